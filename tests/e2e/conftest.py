"""Processes for end-to-end tests: the server, an edge agent and headless Chromium
(defined in tests/harness/browser.py)."""

from tests.harness.browser import processes, server_port, workdir

__all__ = ["processes", "server_port", "workdir"]
