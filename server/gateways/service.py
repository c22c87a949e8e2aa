"""Gateway registry: register gateways with fresh credentials, scoped per institution."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, OrganisationKind
from server.auth.repository import OrganisationRepository
from server.auth.tenancy import (
    is_enterprise,
    is_platform_admin,
    may_manage_organisation,
    may_see_organisation,
    require_catalogue_manager,
)
from server.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.core.security import (
    hash_password,
    mosquitto_password_hash,
    nats_password_hash,
    new_gateway_secret,
    verify_password,
)
from server.gateways.models import Gateway
from server.gateways.repository import GatewayRepository
from server.gateways.schemas import GatewayCreate

__all__ = [
    "create_gateway",
    "get_gateway",
    "list_gateways",
    "managed_gateway",
    "register_gateway",
    "retire_gateway",
    "rotate_gateway_secret",
    "set_gateway_secret",
    "verify_gateway_secret",
]


async def list_gateways(session: AsyncSession, user: AppUser) -> Sequence[Gateway]:
    if is_enterprise(user):
        raise Forbidden("Gateways belong to institutions; enterprise accounts cannot list them")
    gateways = GatewayRepository(session)
    if is_platform_admin(user):
        return await gateways.all()
    return await gateways.all(organisation_id=user.organisation_id)


async def get_gateway(session: AsyncSession, user: AppUser, gateway_id: uuid.UUID) -> Gateway:
    gateway = await GatewayRepository(session).get(gateway_id)
    if gateway is None or not may_see_organisation(user, gateway.organisation_id):
        raise NotFound(f"Gateway {gateway_id} not found")
    return gateway


async def managed_gateway(session: AsyncSession, user: AppUser, gateway_id: uuid.UUID) -> Gateway:
    """The gateway, when the user manages its institution (its documents are theirs to change)."""
    gateway = await get_gateway(session, user, gateway_id)
    if not may_manage_organisation(user, gateway.organisation_id):
        raise Forbidden("Only the institution's lab managers change a gateway's documents")
    return gateway


def set_gateway_secret(gateway: Gateway, secret: str) -> None:
    """Store the secret hashed three ways: argon2 for us, PBKDF2 for Mosquitto's password
    file, bcrypt for nats-server's authorization."""
    gateway.secret_hash = hash_password(secret)
    gateway.mqtt_password_hash = mosquitto_password_hash(secret)
    gateway.nats_password_hash = nats_password_hash(secret)


def verify_gateway_secret(gateway: Gateway, secret: str) -> bool:
    return verify_password(secret, gateway.secret_hash)


async def register_gateway(
    session: AsyncSession, *, organisation_id: uuid.UUID, key: str, name: str, secret: str
) -> Gateway:
    """Add a gateway to the registry (no permission check: for the CLI and seeding)."""
    organisation = await OrganisationRepository(session).get(organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.INSTITUTION.value:
        raise ValidationFailed.for_field("organisation_id", "gateways belong to an institution")
    gateways = GatewayRepository(session)
    if await gateways.get_by_key(key) is not None:
        raise Conflict(f"A gateway with key {key!r} already exists")
    gateway = Gateway(organisation_id=organisation_id, key=key, name=name, secret_hash="")
    set_gateway_secret(gateway, secret)
    try:
        return await gateways.add(gateway)
    except IntegrityError as exc:
        raise Conflict(f"A gateway with key {key!r} already exists") from exc


async def create_gateway(
    session: AsyncSession, user: AppUser, data: GatewayCreate
) -> tuple[Gateway, str]:
    """Register a gateway; returns it with its secret, which is never retrievable again."""
    require_catalogue_manager(user)
    organisation_id = data.organisation_id or user.organisation_id
    if not may_manage_organisation(user, organisation_id):
        raise ValidationFailed.for_field(
            "organisation_id", "you may only register gateways for your own institution"
        )
    secret = new_gateway_secret()
    gateway = await register_gateway(
        session, organisation_id=organisation_id, key=data.key, name=data.name, secret=secret
    )
    return gateway, secret


async def rotate_gateway_secret(
    session: AsyncSession, user: AppUser, gateway_id: uuid.UUID
) -> tuple[Gateway, str]:
    """Issue a new secret (the old one stops working once the broker has the new one)."""
    gateway = await _managed_for_registry(session, user, gateway_id)
    secret = new_gateway_secret()
    set_gateway_secret(gateway, secret)
    session.add(gateway)
    await session.flush()
    return gateway, secret


async def _managed_for_registry(
    session: AsyncSession, user: AppUser, gateway_id: uuid.UUID
) -> Gateway:
    require_catalogue_manager(user)
    gateway = await get_gateway(session, user, gateway_id)
    if not may_manage_organisation(user, gateway.organisation_id):
        raise NotFound(f"Gateway {gateway_id} not found")
    if gateway.retired_at is not None:
        raise Conflict(f"Gateway {gateway.key} is retired", extensions={"code": "gateway_retired"})
    return gateway


async def retire_gateway(session: AsyncSession, user: AppUser, gateway_id: uuid.UUID) -> Gateway:
    """Retire a gateway: it keeps its channels and history, but may no longer connect."""
    gateway = await _managed_for_registry(session, user, gateway_id)
    gateway.retired_at = datetime.now(UTC)
    session.add(gateway)
    await session.flush()
    return gateway
