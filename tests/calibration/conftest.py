"""The server fixtures (app on a fresh migrated database, demo data, log-ins) for these tests."""

from tests.server.conftest import app, client, demo, login, settings

__all__ = ["app", "client", "demo", "login", "settings"]
