"""Small factories that build the rows a test needs, through the domains' own models.

Tests depend on these, never on the demo seed (``server/demo/``), so the demo can change its
story without breaking a test. ``standard_world`` builds the world most API tests share: two
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
from server.gateways.models import Gateway
from server.gateways.service import set_gateway_secret
from server.telemetry.states import InstrumentState, PowerRule, StateRule, StatusRule, ensure_rule

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


# (point, name, English name, unit, normal range) of the chamber's channels.
_CHAMBER = (
    ("temperature", "温度", "Temperature", "degC", -40.0, 150.0),
    ("setpoint", "设定温度", "Setpoint", "degC", -40.0, 150.0),
    ("humidity", "湿度", "Humidity", "percent", 0.0, 100.0),
    ("power", "功率", "Power", "W", 0.0, 5000.0),
    ("status", "状态", "Status", "dimensionless", 0.0, 3.0),
)

# The chamber's status register, with power as the fallback when it is not read.
CHAMBER_STATE_RULE = StateRule(
    status=StatusRule(
        point="status",
        map={
            0: InstrumentState.OFF,
            1: InstrumentState.IDLE,
            2: InstrumentState.RUNNING,
            3: InstrumentState.FAULT,
        },
    ),
    power=PowerRule(
        point="power", running_enter=200.0, running_exit=120.0, off_enter=5.0, off_exit=20.0
    ),
    offline_after_s=30.0,
    min_dwell_s=5.0,
)


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
        point: await add_channel(
            session,
            instrument,
            gateway,
            point,
            unit,
            name=name,
            name_en=name_en,
            normal_min=low,
            normal_max=high,
        )
        for point, name, name_en, unit, low, high in _CHAMBER
    }
    await ensure_rule(session, instrument.id, CHAMBER_STATE_RULE)
    return World(organisations, users, gateway, lab, instrument, channels)
