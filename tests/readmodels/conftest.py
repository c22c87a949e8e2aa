"""These tests use the shared server fixtures of tests/harness/app.py (app, client, demo, login)."""
