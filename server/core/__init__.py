"""Shared infrastructure of the server: settings, database, errors, logging, security."""
