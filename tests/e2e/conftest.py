"""Processes for end-to-end tests: the server (``certified_demo``: the demo with a bookable
chamber), an edge agent and headless Chromium (defined in tests/harness/browser.py)."""

from tests.harness.browser import certified_demo, processes, server_port, workdir

__all__ = ["certified_demo", "processes", "server_port", "workdir"]
