"""Run all of labshare on one machine for a look around (``labshare-demo``).

Embedded stand-ins (PostgreSQL from a wheel, a loopback MQTT broker) replace the services a
production installation runs; see docs/demo.md.
"""

from server.demo.cli import main
from server.demo.database import DatabaseHandle, EmbeddedPostgres, ExternalPostgres
from server.demo.options import DEMO_LOGINS
from server.demo.processes import ManagedProcess, ProcessGroup

__all__ = [
    "DEMO_LOGINS",
    "DatabaseHandle",
    "EmbeddedPostgres",
    "ExternalPostgres",
    "ManagedProcess",
    "ProcessGroup",
    "main",
]
