"""The demo's command line: options, defaults and the published demo log-ins."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from server.core.config import DEVELOPMENT_DEMO_GATEWAY_SECRET as DEFAULT_GATEWAY_SECRET
from server.demo.credentials import DEMO_PASSWORD

__all__ = [
    "CHAMBER_MODEL",
    "DATA_DIR_MARKER",
    "DEFAULT_DATA_DIR",
    "DEMO_LOGINS",
    "EDGE_PASSWORD_ENV",
    "LIVE_VALUE_TIMEOUT_S",
    "REPO_ROOT",
    "STATE_TIMEOUT_S",
    "STEPS",
    "DemoOptions",
    "build_parser",
]


REPO_ROOT = Path(__file__).resolve().parents[2]


DEFAULT_DATA_DIR = REPO_ROOT / ".labshare-demo"


DATA_DIR_MARKER = ".labshare-demo-data"


STEPS = 9


LIVE_VALUE_TIMEOUT_S = 30.0


# The state evaluator runs every few seconds and needs min_dwell_s of samples first.
STATE_TIMEOUT_S = 30.0


CHAMBER_MODEL = "SETH-Z-040L"


EDGE_PASSWORD_ENV = "LABSHARE_EDGE_MQTT_PASSWORD"  # noqa: S105 - a variable name, not a secret


# (email, role, organisation) — created by `labshare-server seed-demo`.
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("manager@zjim.demo", "lab manager", "浙江省计量科学研究院"),
    ("staff@zjim.demo", "lab staff", "浙江省计量科学研究院"),
    ("manager@zju.demo", "lab manager", "浙江大学分析测试中心"),
    ("buyer@jingce.demo", "enterprise admin", "杭州精测科技有限公司"),
    ("admin@platform.demo", "platform admin", "浙江省科技厅大型仪器共享平台"),
)


_EPILOG = f"""\
data directory layout:
  postgres/          embedded PostgreSQL cluster (kept between runs; its own log is postgres/log)
  logs/*.log         one log per child process (server, edge, chamber, broker, migrate, seed)
  gateway/           the edge agent's generated config and its SQLite spool
  bridge/            the firmware bridge's generated config
  mosquitto/         the generated broker config
  run/demo.json      pids, address and database URL of the running demo

environment:
  LABSHARE_DATABASE_URL         use this PostgreSQL instead of the embedded one (it always wins)
  LABSHARE_DEMO_DIR             data directory (same as --data-dir)
  LABSHARE_DEMO_GATEWAY_SECRET  the demo gateway's MQTT password (default {DEFAULT_GATEWAY_SECRET})
  LABSHARE_DEMO_BROKER          'amqtt' uses the pure-Python broker even when mosquitto is installed
  LABSHARE_DEMO_BRIDGE          'off' leaves out the balance, the multimeter and the bridge

Every demo login uses the password '{DEMO_PASSWORD}'. The broker accepts anonymous clients on
127.0.0.1 only; that and the embedded database are for trying labshare out, not for
production (see docs/production.md).
"""


@dataclass
class DemoOptions:
    data_dir: Path
    port: int | None
    reset: bool
    ready_timeout_s: float = 120.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labshare-demo",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="HTTP port of the server (default: 8000 when free, otherwise any free port)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"where the demo keeps its database, logs and configs "
        f"(default: $LABSHARE_DEMO_DIR or {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete the data directory first (all demo data recorded so far is lost)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for the server to report ready (default %(default)s)",
    )
    return parser
