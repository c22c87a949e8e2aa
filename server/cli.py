"""``labshare-server``: run the API, migrate, ingest, seed demo data, manage accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from server.core.config import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["build_parser", "main"]

logger = logging.getLogger("server.cli")

_DESCRIPTION = """\
labshare server. Every setting comes from LABSHARE_* environment variables
(LABSHARE_DATABASE_URL, LABSHARE_MQTT_HOST, LABSHARE_SECRET_KEY, ...; see docs/configuration.md).

commands:
  serve           run the HTTP API (and, unless LABSHARE_INGEST_ENABLED=false, the ingest worker)
  migrate         bring the database schema to the newest version
  ingest          run only the telemetry ingest worker (MQTT -> database) until Ctrl-C
  seed-demo       create or repair the demo organisations, users, gateway and instrument
  create-user     add a user to an existing organisation
  mosquitto-auth  write the Mosquitto access control from the gateway registry
  nats-auth       write the NATS broker tier's authorization from the gateway registry
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labshare-server",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the HTTP API with uvicorn",
        description="Run the HTTP API (and the web app from LABSHARE_WEB_DIST) with uvicorn. "
        "With LABSHARE_INGEST_ENABLED=true (the default) the ingest worker runs in the same "
        "process. --workers N runs N API processes on one port (uvicorn's process manager "
        "restarts one that dies). Any number of processes, here or on other hosts, may serve "
        "one database and broker: one of them, chosen by a PostgreSQL advisory lock, runs the "
        "scheduled jobs (booking, calibration pushes, reminders, rollups, retention, states); "
        "every process delivers the outbox (rows claimed with SKIP LOCKED) and every live "
        "stream sees every event (they travel through the broker). See docs/architecture.md.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=os.environ.get("WEB_CONCURRENCY", "1"),  # argparse applies type= to it
        metavar="N",
        help="API processes to run on this port (default: $WEB_CONCURRENCY, else 1); one per "
        "core is a good start. More than one needs LABSHARE_INGEST_ENABLED=false and the "
        "ingest worker run on its own (labshare-server ingest)",
    )
    serve.add_argument(
        "--migrate", action="store_true", help="run the database migrations before starting"
    )

    sub.add_parser(
        "migrate",
        help="migrate the database to the newest schema",
        description="Apply every pending Alembic migration to LABSHARE_DATABASE_URL. Safe to repeat.",
    )
    sub.add_parser(
        "ingest",
        help="run the telemetry ingest worker on its own",
        description="Consume gateway telemetry, state and heartbeats from the MQTT broker "
        "(LABSHARE_MQTT_*) and write them to the database until SIGINT/SIGTERM. Run several "
        "for more throughput: they share the load through an MQTT 5 shared subscription.",
    )
    seed_demo = sub.add_parser(
        "seed-demo",
        help="create or repair the demo data (idempotent)",
        description="Create the demo organisations, users (all with the demo password, see "
        "docs/demo.md), gateway demo-gw-01 (secret from LABSHARE_DEMO_GATEWAY_SECRET, "
        "'demo-gateway-secret' in development) and the temperature chamber with its channels. "
        "Running it again changes nothing.",
    )
    seed_demo.add_argument(
        "--catalogue",
        action="store_true",
        help="also add the demo catalogue: four institutions, dozens of instruments with CMA "
        "scope and calibration certificates in every status",
    )

    user = sub.add_parser(
        "create-user",
        help="add a user to an organisation",
        description="Add a user. The password is read from the environment variable named by "
        "--password-env, else prompted for (twice) on a terminal, else read from the first line of stdin.",
    )
    user.add_argument("--email", required=True, help="log-in name; stored lower-cased")
    user.add_argument("--full-name", required=True, help="name shown in the UI")
    user.add_argument(
        "--role",
        required=True,
        choices=[
            "enterprise_member",
            "enterprise_admin",
            "lab_staff",
            "lab_manager",
            "platform_admin",
        ],
        help="what the user may do; must fit the organisation's kind",
    )
    user.add_argument("--organisation", required=True, help="organisation id (uuid) or exact name")
    user.add_argument(
        "--password-env", metavar="VAR", help="take the password from this environment variable"
    )

    auth = sub.add_parser(
        "mosquitto-auth",
        help="write Mosquitto access control from the gateway registry",
        description="Write the access control of a Mosquitto 2 broker from the gateway registry. "
        "--dynsec writes the configuration of Mosquitto's dynamic-security plugin (what "
        "deploy/mosquitto/mosquitto.conf loads), with the admin account LABSHARE_BROKER_ADMIN_USERNAME / _PASSWORD when set (the server sends dynamic-security commands with it under LABSHARE_BROKER_ACCOUNTS=dynsec): each gateway may publish telemetry/state/"
        "heartbeat and subscribe to config/calibration under labshare/v1/gw/<its key>/ only "
        "(no wildcards, no $share), and may connect only as client id labshare-edge-<key>. "
        "The server account (LABSHARE_MQTT_USERNAME / LABSHARE_MQTT_PASSWORD), shared by the "
        "API server and every ingest worker, reads everything under labshare/v1/, may use "
        "$share subscriptions and publishes config and calibration. The plugin reads its file "
        "only at start: restart the broker afterwards. --passwd/--acl write a password file "
        "and ACL instead (send SIGHUP to reload); Mosquitto's ACL file does not check "
        "subscriptions or client ids, so use it only where gateways are trusted.",
    )
    auth.add_argument("--dynsec", type=Path, help="dynamic-security plugin file to write")
    auth.add_argument("--passwd", type=Path, help="password file to write (with --acl)")
    auth.add_argument("--acl", type=Path, help="ACL file to write (with --passwd)")

    nats_auth = sub.add_parser(
        "nats-auth",
        help="write the NATS cluster's authorization from the gateway registry",
        description="Write the authorization block that every node of a NATS broker tier "
        "includes (deploy/nats/), from the gateway registry: each gateway (user = its key, "
        "MQTT connections only, password = the bcrypt hash the registry keeps) may publish "
        "only labshare.v1.gw.<its key>.{telemetry,state,heartbeat,inspection,program} and "
        "subscribe only to its own config and calibration (plus the $MQTT.sub.> delivery "
        "subjects MQTT QoS 1 subscriptions need). The server account (LABSHARE_MQTT_USERNAME "
        "/ LABSHARE_MQTT_PASSWORD) reads and writes everything under labshare.v1 and uses the "
        "JetStream API. Reload every node afterwards (nats-server --signal reload, or SIGHUP).",
    )
    nats_auth.add_argument(
        "--out", type=Path, required=True, help="file to write (the nodes' include)"
    )
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def worker_app() -> FastAPI:
    """The app of one ``serve --workers N`` process: settings and logging from the environment,
    as the parent had them."""
    # Imported when a worker process starts: --help stays instant and needs no database.
    from server.app import create_app
    from server.core.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_format.value, settings.log_level)
    return create_app(settings)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    # Imported when this command runs: --help stays instant and needs no database.
    import uvicorn

    from server.app import create_app

    if args.workers > 1 and settings.ingest_enabled:
        # Each worker would run an ingest worker under the same MQTT client id
        # (labshare-ingest-<host>), and the broker would keep throwing one of them off.
        print(
            "labshare-server: serve --workers needs LABSHARE_INGEST_ENABLED=false; run the "
            "ingest worker as its own process (labshare-server ingest)",
            file=sys.stderr,
        )
        return 2
    if args.migrate:
        _migrate(settings)
    if args.workers > 1:
        # Each worker process imports the app anew, so uvicorn needs it by name.
        uvicorn.run(
            "server.cli:worker_app",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_config=None,
            proxy_headers=True,
        )
        return 0
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,  # keep our formatter; configure_logging already routed uvicorn's loggers
        proxy_headers=True,
    )
    return 0


def _migrate(settings: Settings) -> int:
    # Imported when this command runs: --help stays instant and needs no database.
    from server.core.migrations import upgrade

    logger.info("migrating database schema")
    upgrade(settings.database_url)
    logger.info("database schema is up to date")
    return 0


def _ingest(settings: Settings) -> int:
    # Imported when this command runs: --help stays instant and needs no database.
    from server.telemetry.worker import run_ingest

    asyncio.run(run_ingest(settings))
    return 0


def _database_url_problem(url: str) -> str | None:
    """Why LABSHARE_DATABASE_URL cannot work, or None; the password never appears."""
    # Imported when this command runs: --help stays instant and needs no database.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "LABSHARE_DATABASE_URL is not a database URL"
    if parsed.drivername != "postgresql+psycopg":
        return (
            f"LABSHARE_DATABASE_URL uses {parsed.drivername!r}; labshare needs "
            "postgresql+psycopg://user:password@host:port/database"
        )
    return None


def _database_error(exc: BaseException, url: str) -> str:
    """One line for an operator: what went wrong with the database, and what to do."""
    # Imported when this command runs: --help stays instant and needs no database.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

    where = make_url(url).render_as_string(hide_password=True)
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(original).strip().splitlines() or [type(original).__name__])[0]
    if isinstance(exc, OperationalError):
        return f"cannot use the database at {where}: {first}"
    if isinstance(exc, ProgrammingError) and "does not exist" in first:
        return (
            f"the database at {where} lacks the labshare schema ({first}); "
            "run `labshare-server migrate` first"
        )
    if isinstance(exc, IntegrityError):
        return f"the database at {where} holds rows that clash with the demo data: {first}"
    return f"database error at {where}: {first}"


def _seed_demo(settings: Settings, *, catalogue: bool = False) -> int:
    # Imported when this command runs: --help stays instant and needs no database.
    from sqlalchemy.exc import SQLAlchemyError

    from server.demo.seed import run_seed_demo

    problem = _database_url_problem(settings.database_url)
    if problem is not None:
        print(f"labshare-server: seed-demo: {problem}", file=sys.stderr)
        return 1
    try:
        seed = run_seed_demo(settings, catalogue=catalogue)
    except SQLAlchemyError as exc:
        print(
            f"labshare-server: seed-demo: {_database_error(exc, settings.database_url)}",
            file=sys.stderr,
        )
        return 1
    except (OSError, ValueError) as exc:  # a broken socket path; no gateway secret outside dev
        print(f"labshare-server: seed-demo: {exc}", file=sys.stderr)
        return 1
    print(
        f"demo data ready: {len(seed.organisations)} organisations, {len(seed.users)} users, "
        f"gateway {seed.gateway.key}, instrument {seed.instrument.name} "
        f"with {len(seed.channels)} channels"
    )
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"labshare-server: environment variable {args.password_env} is empty")
        return value
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise SystemExit("labshare-server: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    # Imported when this command runs: --help stays instant and needs no database.
    from server.auth.models import Role
    from server.auth.repository import OrganisationRepository
    from server.auth.service import create_user
    from server.core.db import create_engine, create_sessionmaker

    password = _read_password(args)

    async def run() -> str:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                orgs = OrganisationRepository(session)
                try:
                    organisation = await orgs.get(uuid.UUID(args.organisation))
                except ValueError:
                    organisation = await orgs.get_by_name(args.organisation)
                if organisation is None:
                    raise SystemExit(f"labshare-server: no organisation {args.organisation!r}")
                user = await create_user(
                    session,
                    organisation_id=organisation.id,
                    email=args.email,
                    full_name=args.full_name,
                    role=Role(args.role),
                    password=password,
                )
                return f"created {user.role} {user.email} ({user.id}) in {organisation.name}"
        finally:
            await engine.dispose()

    print(asyncio.run(run()))
    return 0


def _mosquitto_auth(settings: Settings, args: argparse.Namespace) -> int:
    # Imported when this command runs: --help stays instant and needs no database.
    from server.core.db import create_engine, create_sessionmaker
    from server.gateways.mosquitto import write_mosquitto_auth

    if args.dynsec is None and (args.passwd is None or args.acl is None):
        print(
            "labshare-server: mosquitto-auth needs --dynsec FILE, or --passwd FILE and --acl FILE",
            file=sys.stderr,
        )
        return 2

    if not (settings.mqtt_username and settings.mqtt_password):
        print(
            "labshare-server: warning: LABSHARE_MQTT_USERNAME/LABSHARE_MQTT_PASSWORD are not set, "
            "so no server account is written and the ingest worker cannot log in",
            file=sys.stderr,
        )

    async def run() -> list[str]:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session:
                return await write_mosquitto_auth(
                    session,
                    passwd_path=args.passwd,
                    acl_path=args.acl,
                    dynsec_path=args.dynsec,
                    server_username=settings.mqtt_username,
                    server_password=settings.mqtt_password,
                    admin_username=settings.broker_admin_username,
                    admin_password=(
                        settings.broker_admin_password.get_secret_value()
                        if settings.broker_admin_password
                        else None
                    ),
                )
        finally:
            await engine.dispose()

    users = asyncio.run(run())
    written = " and ".join(str(p) for p in (args.dynsec, args.passwd, args.acl) if p is not None)
    print(f"wrote {written} for {len(users)} accounts: {', '.join(users)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "settings"
            name = f"LABSHARE_{field.upper()}" if error["loc"] else field
            message = str(error["msg"]).removeprefix("Value error, ")
            print(f"labshare-server: configuration error: {name}: {message}", file=sys.stderr)
        return 2

    # Imported when this command runs: --help stays instant and needs no database.
    from server.core.logging import configure_logging

    configure_logging(settings.log_format.value, settings.log_level)
    if args.command == "serve":
        return _serve(settings, args)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "ingest":
        return _ingest(settings)
    if args.command == "seed-demo":
        return _seed_demo(settings, catalogue=args.catalogue)
    if args.command == "create-user":
        return _create_user(settings, args)
    if args.command == "nats-auth":
        return _nats_auth(settings, args)
    return _mosquitto_auth(settings, args)


def _nats_auth(settings: Settings, args: argparse.Namespace) -> int:
    # Imported when this command runs: --help stays instant and needs no database.
    from server.core.db import create_engine, create_sessionmaker
    from server.gateways.nats import write_nats_auth

    if not (settings.mqtt_username and settings.mqtt_password):
        print(
            "labshare-server: warning: LABSHARE_MQTT_USERNAME/LABSHARE_MQTT_PASSWORD are not set, "
            "so no server account is written and the ingest workers cannot log in",
            file=sys.stderr,
        )

    async def run() -> list[str]:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session:
                return await write_nats_auth(
                    session,
                    args.out,
                    server_username=settings.mqtt_username,
                    server_password=settings.mqtt_password,
                )
        finally:
            await engine.dispose()

    users = asyncio.run(run())
    print(f"wrote {args.out} for {len(users)} accounts: {', '.join(users)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
