"""The server tests use the shared fixtures of tests/harness/app.py (app, client, demo, login)."""
