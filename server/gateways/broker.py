"""The broker's gateway accounts follow the registry, with no command to run by hand.

When a gateway is registered, its secret rotated or the gateway retired, the request that
changes the registry also changes the broker, in the mode ``LABSHARE_BROKER_ACCOUNTS`` names:

* ``dynsec``: the server sends the dynamic-security plugin its commands on
  ``$CONTROL/dynamic-security/v1`` under its admin account and reads every answer on
  ``.../response``. Registering and rotating replace the gateway's client and role
  (``deleteClient``, ``deleteRole``, ``createRole`` with the gateway's ACLs, ``createClient``
  with the new password, client id ``labshare-edge-<key>`` and the role); deleting the client
  also ends a session still using the old secret. Retiring deletes the client and role. The
  plugin saves its own file, so a broker restart keeps the change.
* ``files``: the server rewrites the password file and ACL from the registry (as seen inside
  the request's transaction, under an advisory lock so two processes never write an older view
  last) and sends SIGHUP to the pid in ``LABSHARE_BROKER_PID_FILE``, which makes Mosquitto
  read them again.
* ``manual``: nothing; ``labshare-server mosquitto-auth`` writes the files.

The broker is changed before the registry commits. If the broker does not confirm, the
request fails with 503 ``broker_update_failed`` and the registry change is rolled back: the
gateway keeps the account the broker knows (a registration simply did not happen; a rotation
leaves the old secret working), and the lab manager tries again. Every broker step is
idempotent, so trying again repairs a change the broker took but did not confirm.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.core.config import BrokerAccounts, Settings
from server.core.errors import ServiceUnavailable, ValidationFailed
from server.gateways.models import Gateway
from server.gateways.mosquitto import (
    DYNSEC_CONTROL_TOPIC,
    accounts_for,
    gateway_acls,
    gateway_client_id,
    gateway_role,
    render_acl,
    render_password_file,
    write_atomically,
)
from server.gateways.repository import GatewayRepository

__all__ = [
    "BROKER_UPDATE_FAILED",
    "BrokerUpdateFailed",
    "DynsecCommand",
    "check_key_available",
    "dynsec_exchange",
    "remove_commands",
    "sync_gateway",
    "upsert_commands",
]

logger = logging.getLogger(__name__)

BROKER_UPDATE_FAILED = "broker_update_failed"
RESPONSE_TOPIC = f"{DYNSEC_CONTROL_TOPIC}/response"
# One lock for every process writing the broker's files (pg_advisory_xact_lock key).
FILES_LOCK_KEY = 0x6C61_6273_6D71  # "labsmq"


class BrokerUpdateFailed(ServiceUnavailable):
    """The broker did not take a gateway account change; nothing was saved."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The broker did not take the change, so it was not saved: {detail}",
            extensions={"code": BROKER_UPDATE_FAILED},
        )


@dataclass(frozen=True, slots=True)
class DynsecCommand:
    body: dict[str, Any]
    # An answer with this error still counts as done (deleting what is not there).
    tolerated_error: str | None = None


def upsert_commands(key: str, secret: str) -> list[DynsecCommand]:
    """Commands that leave exactly one client ``key`` with ``secret`` and its own role."""
    role = gateway_role(key)
    return [
        DynsecCommand({"command": "deleteClient", "username": key}, "not found"),
        DynsecCommand({"command": "deleteRole", "rolename": role}, "not found"),
        DynsecCommand({"command": "createRole", "rolename": role, "acls": gateway_acls(key)}),
        DynsecCommand(
            {
                "command": "createClient",
                "username": key,
                "password": secret,
                "clientid": gateway_client_id(key),
                "textname": f"gateway {key}",
                "roles": [{"rolename": role, "priority": -1}],
            }
        ),
    ]


def remove_commands(key: str) -> list[DynsecCommand]:
    return [
        DynsecCommand({"command": "deleteClient", "username": key}, "not found"),
        DynsecCommand({"command": "deleteRole", "rolename": gateway_role(key)}, "not found"),
    ]


@dataclass
class _Exchange:
    """One connection of the admin account: send the commands, collect the answers."""

    commands: list[DynsecCommand]
    correlation: str = field(default_factory=lambda: uuid.uuid4().hex)
    done: threading.Event = field(default_factory=threading.Event)
    failure: str | None = None
    responses: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> bytes:
        bodies = [
            {**c.body, "correlationData": f"{self.correlation}-{i}"}
            for i, c in enumerate(self.commands)
        ]
        return json.dumps({"commands": bodies}).encode()

    def fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason
        self.done.set()

    def on_connect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self.fail(f"the broker refused the admin account ({reason})")
            return
        client.subscribe(RESPONSE_TOPIC, qos=1)

    def on_subscribe(self, client: paho.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            self.fail("the admin account may not read the plugin's answers")
            return
        client.publish(DYNSEC_CONTROL_TOPIC, self.payload(), qos=1)

    def on_message(self, _c: paho.Client, _u: Any, message: Any) -> None:
        try:
            doc = json.loads(message.payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return
        answers = doc.get("responses") if isinstance(doc, dict) else None
        if not isinstance(answers, list):
            return
        mine = [
            a
            for a in answers
            if isinstance(a, dict)
            and str(a.get("correlationData", "")).startswith(f"{self.correlation}-")
        ]
        if mine:
            self.responses.extend(mine)
        if len(self.responses) >= len(self.commands):
            self.done.set()


def dynsec_exchange(settings: Settings, commands: list[DynsecCommand]) -> list[dict[str, Any]]:
    """Send ``commands`` in one message and wait for every answer; raises on any failure.

    Blocking (paho's network thread plus a wait): call it in a worker thread.
    """
    exchange = _Exchange(commands)
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"labshare-accounts-{exchange.correlation[:12]}",
        protocol=paho.MQTTv5,
    )
    password = settings.broker_admin_password
    client.username_pw_set(
        settings.broker_admin_username, password.get_secret_value() if password else None
    )
    client.connect_timeout = settings.broker_timeout_s
    client.on_connect = exchange.on_connect
    client.on_subscribe = exchange.on_subscribe
    client.on_message = exchange.on_message
    client.on_connect_fail = lambda _c, _u: exchange.fail("the broker is not reachable")
    try:
        client.connect(settings.mqtt_host, settings.mqtt_port, keepalive=30)
    except OSError as exc:
        raise BrokerUpdateFailed(f"the broker is not reachable ({exc})") from exc
    client.loop_start()
    try:
        if not exchange.done.wait(settings.broker_timeout_s):
            exchange.fail(f"no answer from the broker within {settings.broker_timeout_s:g} s")
    finally:
        client.disconnect()
        client.loop_stop()
    if exchange.failure is not None:
        raise BrokerUpdateFailed(exchange.failure)
    by_id = {str(a.get("correlationData")): a for a in exchange.responses}
    for i, command in enumerate(commands):
        answer = by_id.get(f"{exchange.correlation}-{i}", {})
        error = answer.get("error")
        if error and not (
            command.tolerated_error and command.tolerated_error in str(error).lower()
        ):
            raise BrokerUpdateFailed(f"{command.body['command']}: {error}")
    return exchange.responses


def check_key_available(settings: Settings, key: str) -> None:
    """A gateway may not take the name of one of the server's own broker accounts."""
    if key in {settings.mqtt_username, settings.broker_admin_username} - {None}:
        raise ValidationFailed.for_field("key", "is the name of the server's own broker account")


async def _rewrite_files(settings: Settings, session: AsyncSession) -> None:
    pid_file = settings.broker_pid_file
    passwd_file, acl_file = settings.broker_passwd_file, settings.broker_acl_file
    if pid_file is None or passwd_file is None or acl_file is None:  # the settings refuse this
        raise BrokerUpdateFailed("the broker's files are not configured")
    conn = await session.connection()
    # Waits for another process's change to commit, so the registry read below includes it.
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FILES_LOCK_KEY})
    gateways = await GatewayRepository(session).all()
    accounts = accounts_for(gateways, settings.mqtt_username, settings.mqtt_password)
    keys = [g.key for g in gateways if g.mqtt_password_hash and g.retired_at is None]
    server = settings.mqtt_username if settings.mqtt_password else None

    def write_and_signal() -> None:
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError) as exc:
            raise BrokerUpdateFailed(f"no broker process id in {pid_file} ({exc})") from exc
        try:
            write_atomically(passwd_file, render_password_file(accounts))
            write_atomically(acl_file, render_acl(keys, server))
        except OSError as exc:
            raise BrokerUpdateFailed(f"the broker's files could not be written ({exc})") from exc
        try:
            os.kill(pid, signal.SIGHUP)
        except OSError as exc:
            raise BrokerUpdateFailed(
                f"the broker (pid {pid}) could not be signalled ({exc})"
            ) from exc

    await asyncio.to_thread(write_and_signal)


async def sync_gateway(
    settings: Settings, session: AsyncSession, gateway: Gateway, secret: str | None = None
) -> bool:
    """Bring the broker's account of ``gateway`` in line with the registry.

    ``secret``: the plaintext just issued (registration and rotation; the dynamic-security
    plugin hashes it itself). Returns False in manual mode (nothing was done), True once the
    broker confirmed; raises ``BrokerUpdateFailed`` otherwise.
    """
    mode = settings.broker_accounts
    if mode is BrokerAccounts.MANUAL:
        return False
    try:
        if mode is BrokerAccounts.FILES:
            await _rewrite_files(settings, session)
        else:
            if gateway.retired_at is not None:
                commands = remove_commands(gateway.key)
            elif secret is not None:
                commands = upsert_commands(gateway.key, secret)
            else:
                raise ValueError("a live gateway's dynamic-security account needs its secret")
            await asyncio.to_thread(dynsec_exchange, settings, commands)
    except BrokerUpdateFailed as exc:
        logger.warning(
            "broker account not updated: %s", exc.detail, extra={"gateway_key": gateway.key}
        )
        raise
    logger.info(
        "broker account updated",
        extra={"gateway_key": gateway.key, "mode": mode.value, "retired": bool(gateway.retired_at)},
    )
    return True
