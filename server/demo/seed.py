"""Demo data (``labshare-server seed-demo``): idempotent, safe to run on every start.

Every name here is relied on elsewhere (demo orchestrator, edge config, browser tests), so
they are constants. Re-running finds each row by its natural key and fixes it up instead of
adding a second one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import add_audited, snapshot
from server.auth.models import AppUser, Organisation, OrganisationKind, Role
from server.auth.repository import OrganisationRepository, UserRepository
from server.calibration.models import CalibrationCertificate
from server.catalog.models import Channel, Instrument, Lab
from server.catalog.repository import ChannelRepository, InstrumentRepository, LabRepository
from server.core.config import Settings
from server.core.db import create_engine, create_sessionmaker
from server.core.security import hash_password, verify_password
from server.demo.bookings import seed_demo_bookings
from server.demo.catalogue import seed_demo_catalogue
from server.demo.credentials import DEMO_PASSWORD
from server.demo.evaluation import seed_demo_evaluation
from server.demo.trust import seed_demo_trust
from server.gateways.models import Gateway
from server.gateways.repository import GatewayRepository
from server.gateways.service import set_gateway_secret, verify_gateway_secret
from server.registry.models import CmaCertificate, CmaScopeItem, InstrumentScopeItem
from server.telemetry.states import (
    InstrumentState,
    PowerRule,
    StateRule,
    StatusRule,
    ensure_rule,
)

__all__ = [
    "DEMO_DEVICE_KEY",
    "DEMO_GATEWAY_KEY",
    "DEMO_INSTRUMENT_NAME",
    "DEMO_USERS",
    "DemoSeed",
    "run_seed_demo",
    "seed_demo",
    "seed_demo_chamber_calibration",
    "seed_demo_chamber_record",
]

logger = logging.getLogger(__name__)

DEMO_GATEWAY_KEY = "demo-gw-01"
DEMO_DEVICE_KEY = "chamber-1"
DEMO_INSTRUMENT_NAME = "高低温试验箱"

ZJIM = "浙江省计量科学研究院"
ZJU = "浙江大学分析测试中心"
JINGCE = "杭州精测科技有限公司"
PLATFORM = "浙江省科技厅大型仪器共享平台"


@dataclass(frozen=True, slots=True)
class _Org:
    name: str
    name_en: str
    kind: OrganisationKind
    city: str = "杭州"


@dataclass(frozen=True, slots=True)
class _User:
    email: str
    full_name: str
    role: Role
    organisation: str


@dataclass(frozen=True, slots=True)
class _Channel:
    point_key: str
    name: str
    name_en: str
    unit: str
    normal_min: float | None
    normal_max: float | None


ORGANISATIONS = (
    _Org(ZJIM, "Zhejiang Institute of Metrology", OrganisationKind.INSTITUTION),
    _Org(ZJU, "Zhejiang University Analysis Center", OrganisationKind.INSTITUTION),
    _Org(JINGCE, "Hangzhou Jingce Technology", OrganisationKind.ENTERPRISE),
    _Org(PLATFORM, "Zhejiang Large Instrument Sharing Platform", OrganisationKind.PLATFORM),
)

DEMO_USERS = (
    _User("manager@zjim.demo", "王建国", Role.LAB_MANAGER, ZJIM),
    _User("staff@zjim.demo", "李晓梅", Role.LAB_STAFF, ZJIM),
    _User("manager@zju.demo", "陈志强", Role.LAB_MANAGER, ZJU),
    _User("buyer@jingce.demo", "张伟", Role.ENTERPRISE_ADMIN, JINGCE),
    _User("admin@platform.demo", "刘芳", Role.PLATFORM_ADMIN, PLATFORM),
)

CHAMBER_CHANNELS = (
    _Channel("temperature", "温度", "Temperature", "degC", -40.0, 150.0),
    _Channel("setpoint", "设定温度", "Setpoint", "degC", -40.0, 150.0),
    _Channel("humidity", "湿度", "Humidity", "percent", 0.0, 100.0),
    _Channel("power", "功率", "Power", "W", 0.0, 5000.0),
    _Channel("status", "状态", "Status", "dimensionless", 0.0, 3.0),
)

# Status register 7 of the chamber; power is the fallback when the register is not read.
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


@dataclass(frozen=True, slots=True)
class DemoSeed:
    """What the seed left in the database (ids differ per database)."""

    organisations: dict[str, Organisation]
    users: dict[str, AppUser]
    gateway: Gateway
    lab: Lab
    instrument: Instrument
    channels: dict[str, Channel]


async def _organisation(session: AsyncSession, spec: _Org) -> Organisation:
    repo = OrganisationRepository(session)
    org = await repo.get_by_name(spec.name)
    if org is None:
        return await repo.add(
            Organisation(kind=spec.kind.value, name=spec.name, name_en=spec.name_en, city=spec.city)
        )
    org.kind, org.name_en, org.city = spec.kind.value, spec.name_en, spec.city
    session.add(org)
    return org


async def _user(session: AsyncSession, spec: _User, organisation: Organisation) -> AppUser:
    repo = UserRepository(session)
    user = await repo.get_by_email(spec.email)
    if user is None:
        return await repo.add(
            AppUser(
                organisation_id=organisation.id,
                email=spec.email,
                full_name=spec.full_name,
                role=spec.role.value,
                password_hash=hash_password(DEMO_PASSWORD),
            )
        )
    user.organisation_id, user.role, user.is_active = organisation.id, spec.role.value, True
    # Hashing is slow on purpose: only when someone changed the demo password.
    if not verify_password(DEMO_PASSWORD, user.password_hash):
        user.password_hash = hash_password(DEMO_PASSWORD)
    session.add(user)
    return user


async def _gateway(session: AsyncSession, organisation: Organisation, secret: str) -> Gateway:
    repo = GatewayRepository(session)
    gateway = await repo.get_by_key(DEMO_GATEWAY_KEY)
    if gateway is None:
        gateway = Gateway(
            key=DEMO_GATEWAY_KEY,
            organisation_id=organisation.id,
            name="热工实验室网关 / Thermal lab gateway",
            secret_hash="",
        )
        set_gateway_secret(gateway, secret)
        return await repo.add(gateway)
    gateway.organisation_id = organisation.id
    # The secret follows LABSHARE_DEMO_GATEWAY_SECRET, so changing it and re-seeding works.
    if not verify_gateway_secret(gateway, secret) or not gateway.mqtt_password_hash:
        set_gateway_secret(gateway, secret)
    session.add(gateway)
    return gateway


async def seed_demo(session: AsyncSession, *, gateway_secret: str) -> DemoSeed:
    """Create or repair the demo data; flushes, the caller commits."""
    organisations = {spec.name: await _organisation(session, spec) for spec in ORGANISATIONS}
    users = {
        spec.email: await _user(session, spec, organisations[spec.organisation])
        for spec in DEMO_USERS
    }
    zjim = organisations[ZJIM]
    gateway = await _gateway(session, zjim, gateway_secret)

    labs = LabRepository(session)
    lab = await labs.find(zjim.id, "热工实验室") or await labs.add(
        Lab(organisation_id=zjim.id, name="热工实验室", name_en="Thermal lab")
    )

    instruments = InstrumentRepository(session)
    instrument = await instruments.find(lab.id, DEMO_INSTRUMENT_NAME)
    if instrument is None:
        # In the change history as the system's entry, like anything the seed writes.
        instrument = await add_audited(
            session,
            None,
            Instrument(
                lab_id=lab.id,
                organisation_id=zjim.id,
                name=DEMO_INSTRUMENT_NAME,
                name_en="Temperature chamber",
                model="SETH-Z-040L",
                location="热工实验室 / Thermal lab",
                is_open=True,
            ),
            entity="instrument",
        )

    channel_repo = ChannelRepository(session)
    channels: dict[str, Channel] = {}
    for spec in CHAMBER_CHANNELS:
        channel = await channel_repo.find(gateway.id, DEMO_DEVICE_KEY, spec.point_key)
        if channel is None:
            channel = await add_audited(
                session,
                None,
                Channel(
                    instrument_id=instrument.id,
                    gateway_id=gateway.id,
                    device_key=DEMO_DEVICE_KEY,
                    point_key=spec.point_key,
                    name=spec.name,
                    name_en=spec.name_en,
                    canonical_unit=spec.unit,
                    normal_min=spec.normal_min,
                    normal_max=spec.normal_max,
                ),
                entity="channel",
                organisation_id=instrument.organisation_id,
            )
        channels[spec.point_key] = channel
    await session.flush()
    await ensure_rule(session, instrument.id, CHAMBER_STATE_RULE)
    return DemoSeed(organisations, users, gateway, lab, instrument, channels)


# Where the demo chamber's certificates come from: the institute calibrates its own chamber.
CHAMBER_CALIBRATION_AGENCY = "浙江省计量科学研究院 热工所 / ZJIM thermal metrology division"
CALIBRATION_INTERVAL = timedelta(days=365)


async def seed_demo_chamber_calibration(
    session: AsyncSession, seed: DemoSeed, *, now: datetime | None = None
) -> bool:
    """Give the demo chamber a passed certificate valid now, so it can be booked.

    Once a year of demo use the old one lapses and the next run adds the following year's;
    otherwise nothing changes. Returns whether a certificate was added.
    """
    now = now or datetime.now(UTC)
    instrument = seed.instrument
    valid_now = await session.exec(
        select(CalibrationCertificate.id).where(
            CalibrationCertificate.instrument_id == instrument.id,
            CalibrationCertificate.result == "pass",
            CalibrationCertificate.valid_from <= now,
            CalibrationCertificate.valid_to > now,
        )
    )
    if valid_now.first() is not None:
        return False
    # Calibrated two months ago, so the status page shows a history rather than a fresh start.
    valid_from = (now - timedelta(days=60)).replace(hour=0, minute=0, second=0, microsecond=0)
    session.add(
        CalibrationCertificate(
            instrument_id=instrument.id,
            organisation_id=instrument.organisation_id,
            number=f"ZJIM-RG{valid_from:%Y%m%d}-040",
            agency=CHAMBER_CALIBRATION_AGENCY,
            is_internal=True,
            granted_on=valid_from.date(),
            valid_from=valid_from,
            valid_to=valid_from + CALIBRATION_INTERVAL,
            prepared_by="李晓梅",
            approved_by="王建国",
            remarks="温度偏差、温度均匀度、温度波动度 JJF 1101-2019 / "
            "temperature deviation, uniformity and fluctuation",
            expanded_uncertainty=0.3,
            coverage_factor=2.0,
            uncertainty_unit="degC",
            acceptance_criteria="温度偏差 ±2.0 °C / deviation within ±2.0 °C",
            result="pass",
        )
    )
    await session.flush()
    return True


# CMA scope (standards) the chamber is used for; the catalogue seeds ZJIM's scope items.
CHAMBER_SCOPE_STANDARDS = ("GB/T 2423.1-2008", "GB/T 2423.3-2016")


async def seed_demo_chamber_record(session: AsyncSession, seed: DemoSeed) -> None:
    """Fill the chamber's registry record and CMA scope, as the catalogue's instruments have.

    Only empty fields are filled, so a lab manager's edits survive the next run.
    """
    instrument = seed.instrument
    record: dict[str, object] = {
        "manufacturer": "重庆四达",
        "serial_number": "SETH-2021-0417",
        "category": "环境试验设备",
        "specification": "40 L, -40 ~ 150 °C, 20 ~ 98 %RH",
        "original_value": Decimal("186000.00"),
        "currency": "CNY",
        "country_of_origin": "中国",
        "purchase_date": date(2021, 4, 17),
        "technical_specifications": "温度波动度 ±0.5 °C，温度均匀度 ≤2.0 °C，升温速率 3 °C/min",
        "main_functions": "高温、低温、恒定湿热试验 / high, low temperature and damp heat tests",
        "contact_name": "李晓梅",
        "contact_phone": "0571-85021234",
        "contact_email": "staff@zjim.demo",
        "calibration_interval_days": 365,
    }
    before = snapshot(instrument)
    for name, value in record.items():
        if getattr(instrument, name) is None:
            setattr(instrument, name, value)
    # Booked both ways in the demo bookings: by ZJIM staff and by the buyer's own engineers.
    if instrument.service_modes == ["staff_operated"]:
        instrument.service_modes = ["staff_operated", "self_operated"]
    if snapshot(instrument) != before:
        # The demo's lab manager filled in the record: the editor's history shows it.
        await add_audited(
            session,
            seed.users.get("manager@zjim.demo"),
            instrument,
            entity="instrument",
            action="update",
            before=before,
        )

    linked = set(
        (
            await session.exec(
                select(InstrumentScopeItem.scope_item_id).where(
                    InstrumentScopeItem.instrument_id == instrument.id
                )
            )
        ).all()
    )
    scope_items = await session.exec(
        select(CmaScopeItem.id)
        .join(CmaCertificate, CmaCertificate.id == CmaScopeItem.certificate_id)  # type: ignore[arg-type]
        .where(
            CmaCertificate.organisation_id == instrument.organisation_id,
            col(CmaScopeItem.standard_number).in_(CHAMBER_SCOPE_STANDARDS),
        )
    )
    for scope_item_id in scope_items.all():
        if scope_item_id not in linked:
            session.add(
                InstrumentScopeItem(instrument_id=instrument.id, scope_item_id=scope_item_id)
            )
    await session.flush()


def run_seed_demo(settings: Settings, *, catalogue: bool = False) -> DemoSeed:
    """Seed the database of ``settings`` in one transaction (for the CLI).

    ``catalogue`` adds the realistic demo catalogue (server.demo.catalogue) and a
    certificate valid now for the demo chamber; without it the chamber stays uncalibrated,
    which tests of the calibration rules rely on.
    """

    async def run() -> DemoSeed:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                seed = await seed_demo(session, gateway_secret=settings.demo_gateway_secret_value())
                if catalogue:
                    await seed_demo_catalogue(session)
                    await seed_demo_chamber_record(session, seed)
                    await seed_demo_chamber_calibration(session, seed)
                    # A year of measured use, bookings and ratings for the sharing evaluation.
                    await seed_demo_evaluation(session)
                    await seed_demo_trust(session)  # PT round, complaints, credit classes
                # Bookings in every state, with fees, vouchers and a waitlist entry.
                await seed_demo_bookings(session, seed.instrument, seed.users)
                return seed
        finally:
            await engine.dispose()

    return asyncio.run(run())
