"""The published demo log-in password, in one place.

``labshare-demo`` prints it and the README lists it; ``seed-demo`` gives it to every demo user.
The demo gateway's secret is ``server.core.config.DEVELOPMENT_DEMO_GATEWAY_SECRET``, which the
server refuses outside development.
"""

from __future__ import annotations

__all__ = ["DEMO_PASSWORD"]

DEMO_PASSWORD = "labshare-demo"  # noqa: S105 - published on purpose (demo accounts only)
