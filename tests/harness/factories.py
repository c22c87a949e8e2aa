"""Small factories that build the rows a test needs, through the domains' own models.

Tests depend on these, not on the demo seed (``server/demo/``), so the demo can change its
story without breaking a test; the one thing they share is the temperature chamber itself (its
channels and state rule, ``server.demo.seed``), the instrument both are built around. ``standard_world`` builds the world most API tests share: two
institutions, an enterprise, the platform operator, their users (one password for all), one
lab with one temperature chamber streaming through one gateway. Names and e-mail addresses
are test data; they happen to read like the demo's so failures are easy to picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, Organisation, OrganisationKind, Role
from server.catalog.models import Channel, Instrument, Lab
from server.core.security import hash_password
from server.demo.seed import CHAMBER_CHANNELS, CHAMBER_STATE_RULE
from server.gateways.models import Gateway
from server.gateways.service import set_gateway_secret
from server.telemetry.states import ensure_rule

__all__ = [
    "DEVICE_KEY",
    "GATEWAY_KEY",
    "GATEWAY_SECRET",
    "PASSWORD",
    "World",
    "add_channel",
    "add_gateway",
    "add_instrument",
    "add_lab",
    "add_organisation",
    "add_user",
    "standard_world",
]

PASSWORD = "correct horse battery staple"
GATEWAY_KEY = "demo-gw-01"
GATEWAY_SECRET = "gateway-test-secret"
DEVICE_KEY = "chamber-1"

ZJIM = "浙江省计量科学研究院"
ZJU = "浙江大学分析测试中心"
JINGCE = "杭州精测科技有限公司"
PLATFORM = "浙江省科技厅大型仪器共享平台"


@dataclass(frozen=True, slots=True)
class World:
    """What ``standard_world`` created (ids differ per test database)."""

    organisations: dict[str, Organisation]
    users: dict[str, AppUser]
    gateway: Gateway
    lab: Lab
    instrument: Instrument
    channels: dict[str, Channel]


async def add_organisation(
    session: AsyncSession,
    name: str,
    kind: OrganisationKind,
    *,
    name_en: str | None = None,
    city: str = "杭州",
) -> Organisation:
    organisation = Organisation(kind=kind.value, name=name, name_en=name_en, city=city)
    session.add(organisation)
    await session.flush()
    return organisation


_password_hash: dict[str, str] = {}
_gateway_hashes: dict[str, tuple[str, str | None]] = {}


async def add_user(
    session: AsyncSession,
    organisation: Organisation,
    email: str,
    role: Role,
    *,
    full_name: str = "测试用户",
    password: str = PASSWORD,
) -> AppUser:
    # argon2 is slow on purpose: hash each password once per test session.
    if password not in _password_hash:
        _password_hash[password] = hash_password(password)
    user = AppUser(
        email=email,
        full_name=full_name,
        role=role.value,
        organisation_id=organisation.id,
        password_hash=_password_hash[password],
    )
    session.add(user)
    await session.flush()
    return user


async def add_gateway(
    session: AsyncSession,
    organisation: Organisation,
    key: str = GATEWAY_KEY,
    *,
    secret: str = GATEWAY_SECRET,
    name: str = "热工实验室网关",
) -> Gateway:
    gateway = Gateway(key=key, organisation_id=organisation.id, name=name, secret_hash="")
    # Hashed once per secret and test session, like the users' passwords.
    if secret not in _gateway_hashes:
        set_gateway_secret(gateway, secret)
        _gateway_hashes[secret] = (gateway.secret_hash, gateway.mqtt_password_hash)
    gateway.secret_hash, gateway.mqtt_password_hash = _gateway_hashes[secret]
    session.add(gateway)
    await session.flush()
    return gateway


async def add_lab(
    session: AsyncSession, organisation: Organisation, name: str, *, name_en: str | None = None
) -> Lab:
    lab = Lab(organisation_id=organisation.id, name=name, name_en=name_en)
    session.add(lab)
    await session.flush()
    return lab


async def add_instrument(
    session: AsyncSession, lab: Lab, name: str, **fields: object
) -> Instrument:
    instrument = Instrument(lab_id=lab.id, organisation_id=lab.organisation_id, name=name, **fields)
    session.add(instrument)
    await session.flush()
    return instrument


async def add_channel(
    session: AsyncSession,
    instrument: Instrument,
    gateway: Gateway,
    point_key: str,
    unit: str,
    *,
    device_key: str = DEVICE_KEY,
    name: str | None = None,
    name_en: str | None = None,
    normal_min: float | None = None,
    normal_max: float | None = None,
) -> Channel:
    channel = Channel(
        instrument_id=instrument.id,
        gateway_id=gateway.id,
        device_key=device_key,
        point_key=point_key,
        name=name or point_key,
        name_en=name_en,
        canonical_unit=unit,
        normal_min=normal_min,
        normal_max=normal_max,
    )
    session.add(channel)
    await session.flush()
    return channel


async def standard_world(session: AsyncSession, *, gateway_secret: str = GATEWAY_SECRET) -> World:
    """The world most API tests share; flushes, the caller commits."""
    organisations = {
        ZJIM: await add_organisation(
            session, ZJIM, OrganisationKind.INSTITUTION, name_en="Zhejiang Institute of Metrology"
        ),
        ZJU: await add_organisation(
            session, ZJU, OrganisationKind.INSTITUTION, name_en="Zhejiang University Analysis"
        ),
        JINGCE: await add_organisation(
            session, JINGCE, OrganisationKind.ENTERPRISE, name_en="Hangzhou Jingce Technology"
        ),
        PLATFORM: await add_organisation(
            session, PLATFORM, OrganisationKind.PLATFORM, name_en="Zhejiang Sharing Platform"
        ),
    }
    people = (
        ("manager@zjim.demo", "王建国", Role.LAB_MANAGER, ZJIM),
        ("staff@zjim.demo", "李晓梅", Role.LAB_STAFF, ZJIM),
        ("manager@zju.demo", "陈志强", Role.LAB_MANAGER, ZJU),
        ("buyer@jingce.demo", "张伟", Role.ENTERPRISE_ADMIN, JINGCE),
        ("admin@platform.demo", "刘芳", Role.PLATFORM_ADMIN, PLATFORM),
    )
    users = {
        email: await add_user(session, organisations[org], email, role, full_name=full_name)
        for email, full_name, role, org in people
    }
    zjim = organisations[ZJIM]
    gateway = await add_gateway(session, zjim, secret=gateway_secret)
    lab = await add_lab(session, zjim, "热工实验室", name_en="Thermal lab")
    instrument = await add_instrument(
        session,
        lab,
        "高低温试验箱",
        name_en="Temperature chamber",
        model="SETH-Z-040L",
        location="热工实验室 / Thermal lab",
        is_open=True,
    )
    channels = {
        spec.point_key: await add_channel(
            session,
            instrument,
            gateway,
            spec.point_key,
            spec.unit,
            name=spec.name,
            name_en=spec.name_en,
            normal_min=spec.normal_min,
            normal_max=spec.normal_max,
        )
        for spec in CHAMBER_CHANNELS
    }
    await ensure_rule(session, instrument.id, CHAMBER_STATE_RULE)
    return World(organisations, users, gateway, lab, instrument, channels)
