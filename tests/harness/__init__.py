"""Real services for the test suite: private PostgreSQL, Mosquitto and NATS processes on free
ports.

Nothing here talks to the machine's own services on their standard ports. Each service object
can be stopped, killed and started again on the same port and data, so tests can inject faults.
"""

from tests.harness.leaks import LeakReport, allow_thread
from tests.harness.mosquitto import MosquittoBroker
from tests.harness.nats import NatsCluster, NatsNode
from tests.harness.ports import free_port, wait_for_port
from tests.harness.postgres import PostgresCluster

__all__ = [
    "LeakReport",
    "MosquittoBroker",
    "NatsCluster",
    "NatsNode",
    "PostgresCluster",
    "allow_thread",
    "free_port",
    "wait_for_port",
]
