"""These tests use the shared server fixtures of tests/harness/app.py (app, client, demo, login)
and the trust helpers of tests/harness/trust.py."""
