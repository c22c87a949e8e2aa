"""NATS authorization for the clustered broker tier, generated from the gateway registry.

The same rights as the Mosquitto files of ``server.gateways.mosquitto``, in nats-server's
terms (docs.nats.io, "Authorization" and "MQTT"): MQTT topics are NATS subjects with ``/``
turned into ``.``, and a user's ``permissions`` allow or deny publishing and subscribing per
subject.

* A gateway (user = its key, connections of type MQTT only) may publish exactly its own
  telemetry, state, heartbeat, inspection and program subjects, and subscribe exactly to its
  own config and calibration subjects. nats-server delivers an MQTT QoS 1 subscription
  through an internal JetStream consumer whose deliver subject ``$MQTT.sub.<nuid>`` the
  client subscribes to, so a gateway also needs ``$MQTT.sub.>``; see the note below.
* The server account (``LABSHARE_MQTT_USERNAME``: the API server's MQTT client and the ingest
  workers' NATS connections) may publish and subscribe to everything under the contract root,
  use the JetStream API (``$JS.API.>``, its consumer's acknowledgements ``$JS.ACK.>``) and
  its own inboxes.

What NATS cannot express that Mosquitto's dynamic-security plugin does: binding an account to
one MQTT client id (any client id is accepted for a gateway's account), and telling one
session's ``$MQTT.sub.<nuid>`` from another's. The latter is not a way into other gateways'
documents: the MQTT listener refuses a subscription to ``$MQTT/sub/#``, and a gateway account
may connect over MQTT only (``allowed_connection_types``), not over the NATS protocol.
nats-server 2.9 PUBACKs a QoS 1 publish its permissions refuse (and drops it, logging a
"Publish Violation"), so a refused publish is invisible to the gateway.

Passwords: nats-server takes plaintext or bcrypt (``$2a$``/``$2b$``) passwords; the registry
keeps a bcrypt hash of each gateway's secret (``Gateway.nats_password_hash``, written when the
secret is set), so the file holds no secret. Gateways registered before that column existed
get an entry once their secret is rotated. Keys with ``.`` cannot be used with nats-server 2.9,
which refuses MQTT topics containing ``.``; they are left out with an error in the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import TOPIC_ROOT, topic_for
from server.gateways.models import Gateway
from server.gateways.mosquitto import GATEWAY_READ_KINDS, GATEWAY_WRITE_KINDS, write_atomically
from server.gateways.repository import GatewayRepository

__all__ = [
    "MQTT_DELIVERY_SUBJECTS",
    "NatsUser",
    "gateway_permissions",
    "nats_subject",
    "render_nats_authorization",
    "server_permissions",
    "write_nats_auth",
]

logger = logging.getLogger(__name__)

# Deliver subjects of nats-server's MQTT QoS 1 subscriptions.
MQTT_DELIVERY_SUBJECTS = "$MQTT.sub.>"


@dataclass(frozen=True, slots=True)
class NatsUser:
    username: str
    # A bcrypt hash ($2a$/$2b$), or a plaintext password (tests, a server account from env).
    password: str


def nats_subject(topic: str) -> str:
    """An MQTT topic (or filter, ``+``/``#``) as nats-server 2.9 maps it to a subject."""
    return topic.replace("/", ".").replace("+", "*").replace("#", ">")


def gateway_permissions(key: str) -> dict[str, object]:
    """Publish its own data, subscribe to its own documents (and QoS 1 delivery subjects)."""
    return {
        "publish": {"allow": [nats_subject(topic_for(key, kind)) for kind in GATEWAY_WRITE_KINDS]},
        "subscribe": {
            "allow": [nats_subject(topic_for(key, kind)) for kind in GATEWAY_READ_KINDS]
            + [MQTT_DELIVERY_SUBJECTS]
        },
    }


def server_permissions() -> dict[str, object]:
    root = nats_subject(f"{TOPIC_ROOT}/#")
    return {
        "publish": {"allow": [root, "$JS.API.>", "$JS.ACK.>", "_INBOX.>"]},
        "subscribe": {"allow": [root, "_INBOX.>", MQTT_DELIVERY_SUBJECTS]},
    }


def _user(username: str, password: str, permissions: dict[str, object], mqtt_only: bool) -> str:
    entry: dict[str, object] = {"user": username, "password": password}
    entry["permissions"] = permissions
    if mqtt_only:
        entry["allowed_connection_types"] = ["MQTT"]
    # nats-server's configuration format reads JSON objects (quoted keys, commas) as well.
    return json.dumps(entry, indent=2, ensure_ascii=False)


def render_nats_authorization(
    gateway_users: Sequence[NatsUser], server_user: NatsUser | None
) -> str:
    """An ``authorization { users = [...] }`` block for every node's configuration.

    Anything not allowed is refused: a user with ``permissions`` may publish and subscribe
    only to what they list.
    """
    entries: list[str] = []
    reserved = {server_user.username} if server_user is not None else set()
    if server_user is not None:
        entries.append(
            _user(server_user.username, server_user.password, server_permissions(), False)
        )
    for user in gateway_users:
        key = user.username
        if key in reserved:
            logger.error("gateway key %s is the server's username; left out", key)
            continue
        if "." in key:
            logger.error(
                "gateway key %s holds '.', which nats-server 2.9 refuses in MQTT topics; left out",
                key,
            )
            continue
        entries.append(_user(key, user.password, gateway_permissions(key), True))
    body = ",\n".join("    " + e.replace("\n", "\n    ") for e in entries)
    return (
        "# Generated by labshare-server nats-auth from the gateway registry.\n"
        "authorization {\n"
        "  users = [\n"
        f"{body}\n"
        "  ]\n"
        "}\n"
    )


def nats_users(gateways: Iterable[Gateway]) -> list[NatsUser]:
    users = []
    for gateway in gateways:
        if gateway.retired_at is not None:
            continue
        if not gateway.nats_password_hash:
            logger.warning(
                "gateway has no NATS password hash; rotate its secret to include it",
                extra={"gateway_key": gateway.key},
            )
            continue
        users.append(NatsUser(gateway.key, gateway.nats_password_hash))
    return users


async def write_nats_auth(
    session: AsyncSession, path: Path, *, server_username: str | None, server_password: str | None
) -> list[str]:
    """Write the authorization block from the registry; returns the usernames written."""
    gateways = await GatewayRepository(session).all()
    users = nats_users(gateways)
    server = (
        NatsUser(server_username, server_password) if server_username and server_password else None
    )
    write_atomically(path, render_nats_authorization(users, server))
    return [u.username for u in users] + ([server.username] if server else [])
