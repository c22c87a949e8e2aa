"""The server tests use the shared fixtures of tests/harness/app.py (app, client, demo, login).

``Login`` stays importable from here for modules not yet moved to ``tests.harness.app``.
"""

from tests.harness.app import Login

__all__ = ["Login"]
