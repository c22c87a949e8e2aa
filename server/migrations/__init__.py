"""Alembic migrations of the labshare schema (PostgreSQL only)."""
