"""The booking fixtures (app, client, demo, login) for billing tests."""

from tests.booking.conftest import app, calibrated, client, demo, login, settings

__all__ = ["app", "calibrated", "client", "demo", "login", "settings"]
