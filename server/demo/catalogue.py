"""A realistic demo catalogue: four institutions, dozens of instruments, CMA scope, and
calibration certificates in every status. Idempotent: rows are found by natural keys.

Kept apart from the minimal demo seed, which other tests pin to one instrument; the CLI adds
it with ``labshare-server seed-demo --catalogue``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import add_audited
from server.auth.models import Organisation, OrganisationKind
from server.auth.repository import OrganisationRepository
from server.calibration.models import CalibrationCertificate, OutOfService
from server.catalog.models import Instrument, Lab
from server.catalog.repository import InstrumentRepository, LabRepository
from server.registry.cma import cma_valid_until
from server.registry.models import CmaCertificate, CmaScopeItem, InstrumentScopeItem

__all__ = ["DEMO_CATALOGUE", "seed_demo_catalogue"]

WEEKDAYS_9_TO_5 = {
    d: [["08:30", "12:00"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
}


@dataclass(frozen=True, slots=True)
class _Institution:
    name: str
    name_en: str
    city: str
    cma_number: str
    cma_issued: date
    labs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _Scope:
    category: str
    name: str
    name_en: str
    standard_number: str
    standard_name: str


@dataclass(frozen=True, slots=True)
class _Item:
    institution: str
    lab: str
    name: str
    name_en: str
    category: str
    model: str
    manufacturer: str
    country: str
    value: int
    # valid | due_soon | expired | out_of_service | not_required
    calibration: str
    scope: tuple[str, ...]
    modes: tuple[str, ...] = ("staff_operated",)


INSTITUTIONS = (
    _Institution(
        "浙江省计量科学研究院",
        "Zhejiang Institute of Metrology",
        "杭州",
        "231112050123",
        date(2023, 5, 8),
        (
            ("热工实验室", "Thermal lab"),
            ("力学实验室", "Mechanics lab"),
            ("化学计量实验室", "Chemical metrology lab"),
        ),
    ),
    _Institution(
        "浙江大学分析测试中心",
        "Zhejiang University Analysis Center",
        "杭州",
        "221112010045",
        date(2022, 9, 1),
        (
            ("色谱质谱平台", "Chromatography and MS"),
            ("电镜平台", "Electron microscopy"),
            ("波谱平台", "Spectroscopy"),
        ),
    ),
    _Institution(
        "宁波检验检测研究院",
        "Ningbo Inspection and Testing Institute",
        "宁波",
        "241112080311",
        date(2024, 3, 15),
        (("材料实验室", "Materials lab"), ("环境实验室", "Environment lab")),
    ),
    _Institution(
        "温州市质量技术检测科学研究院",
        "Wenzhou Quality Testing Institute",
        "温州",
        "201112060027",
        date(2020, 12, 20),
        (("电气安全实验室", "Electrical safety lab"), ("食品实验室", "Food lab")),
    ),
)

SCOPE = {
    "temperature": _Scope("parameter", "温度", "Temperature", "GB/T 2423.1-2008", "低温试验方法"),
    "humidity": _Scope("parameter", "湿热", "Damp heat", "GB/T 2423.3-2016", "恒定湿热试验"),
    "tensile": _Scope(
        "item", "拉伸性能", "Tensile properties", "GB/T 228.1-2021", "金属材料 拉伸试验"
    ),
    "hardness": _Scope("item", "洛氏硬度", "Rockwell hardness", "GB/T 230.1-2018", "洛氏硬度试验"),
    "pesticide": _Scope(
        "item", "农药残留", "Pesticide residues", "GB 23200.113-2018", "农药残留量测定"
    ),
    "heavy_metal": _Scope("parameter", "铅", "Lead", "GB 5009.12-2023", "食品中铅的测定"),
    "vocs": _Scope("parameter", "挥发性有机物", "VOCs", "HJ 644-2013", "环境空气 挥发性有机物"),
    "morphology": _Scope("item", "微观形貌", "Microstructure", "GB/T 16594-2008", "扫描电镜测长"),
    "structure": _Scope("item", "晶体结构", "Crystal structure", "JY/T 0587-2020", "X射线衍射分析"),
    "nmr": _Scope("item", "核磁共振波谱", "NMR spectra", "JY/T 0578-2020", "超导核磁共振波谱"),
    "insulation": _Scope(
        "parameter", "绝缘电阻", "Insulation resistance", "GB 4706.1-2005", "家用电器安全"
    ),
    "emc": _Scope("item", "电磁兼容", "EMC", "GB/T 17626.2-2018", "静电放电抗扰度"),
    "mass": _Scope("parameter", "质量", "Mass", "JJG 1036-2022", "电子天平检定规程"),
    "ph": _Scope("parameter", "pH值", "pH", "JJG 119-2018", "实验室pH(酸度)计"),
}

ZJIM, ZJU, NB, WZ = (i.name for i in INSTITUTIONS)
DEMO_CATALOGUE = (
    _Item(
        ZJIM,
        "热工实验室",
        "步入式高低温湿热试验室",
        "Walk-in climatic room",
        "环境试验设备",
        "WTH-8000",
        "重庆银河",
        "中国",
        1280000,
        "valid",
        ("temperature", "humidity"),
    ),
    _Item(
        ZJIM,
        "热工实验室",
        "快速温变试验箱",
        "Rapid temperature change chamber",
        "环境试验设备",
        "TSE-12-A",
        "ESPEC",
        "日本",
        960000,
        "due_soon",
        ("temperature",),
        ("self_operated", "staff_operated"),
    ),
    _Item(
        ZJIM,
        "热工实验室",
        "冷热冲击试验箱",
        "Thermal shock chamber",
        "环境试验设备",
        "TSA-73EL",
        "ESPEC",
        "日本",
        780000,
        "expired",
        ("temperature",),
    ),
    _Item(
        ZJIM,
        "热工实验室",
        "标准铂电阻温度计检定装置",
        "SPRT calibration system",
        "温度计量标准",
        "F900",
        "Fluke",
        "美国",
        650000,
        "valid",
        ("temperature",),
    ),
    _Item(
        ZJIM,
        "力学实验室",
        "电子万能试验机",
        "Universal testing machine",
        "力学试验设备",
        "5985",
        "Instron",
        "美国",
        1850000,
        "valid",
        ("tensile",),
        ("self_operated", "staff_operated"),
    ),
    _Item(
        ZJIM,
        "力学实验室",
        "电液伺服疲劳试验机",
        "Servo-hydraulic fatigue tester",
        "力学试验设备",
        "8802",
        "Instron",
        "英国",
        2300000,
        "out_of_service",
        ("tensile",),
    ),
    _Item(
        ZJIM,
        "力学实验室",
        "全自动洛氏硬度计",
        "Automatic Rockwell hardness tester",
        "力学试验设备",
        "RB2002",
        "Wilson",
        "美国",
        420000,
        "due_soon",
        ("hardness",),
        ("self_operated",),
    ),
    _Item(
        ZJIM,
        "化学计量实验室",
        "超微量电子天平",
        "Ultra-micro balance",
        "质量计量标准",
        "XPR2U",
        "Mettler Toledo",
        "瑞士",
        380000,
        "valid",
        ("mass",),
        ("self_operated",),
    ),
    _Item(
        ZJIM,
        "化学计量实验室",
        "精密pH计",
        "Precision pH meter",
        "电化学分析仪器",
        "S470",
        "Mettler Toledo",
        "瑞士",
        320000,
        "expired",
        ("ph",),
        ("self_operated",),
    ),
    _Item(
        ZJU,
        "色谱质谱平台",
        "液相色谱-三重四极杆质谱联用仪",
        "LC-MS/MS triple quadrupole",
        "色谱质谱仪器",
        "6495C",
        "Agilent",
        "美国",
        3200000,
        "valid",
        ("pesticide",),
    ),
    _Item(
        ZJU,
        "色谱质谱平台",
        "气相色谱-质谱联用仪",
        "GC-MS",
        "色谱质谱仪器",
        "8890-5977B",
        "Agilent",
        "美国",
        1150000,
        "due_soon",
        ("vocs", "pesticide"),
    ),
    _Item(
        ZJU,
        "色谱质谱平台",
        "高分辨飞行时间质谱仪",
        "Q-TOF high-resolution MS",
        "色谱质谱仪器",
        "timsTOF Pro 2",
        "Bruker",
        "德国",
        5600000,
        "valid",
        ("pesticide",),
    ),
    _Item(
        ZJU,
        "色谱质谱平台",
        "超高效液相色谱仪",
        "UHPLC",
        "色谱质谱仪器",
        "ACQUITY UPLC H-Class",
        "Waters",
        "美国",
        680000,
        "not_required",
        (),
        ("self_operated", "staff_operated"),
    ),
    _Item(
        ZJU,
        "色谱质谱平台",
        "离子色谱仪",
        "Ion chromatograph",
        "色谱质谱仪器",
        "ICS-6000",
        "Thermo Fisher",
        "美国",
        540000,
        "expired",
        (),
    ),
    _Item(
        ZJU,
        "电镜平台",
        "场发射扫描电子显微镜",
        "Field-emission SEM",
        "电子光学仪器",
        "GeminiSEM 560",
        "ZEISS",
        "德国",
        4800000,
        "valid",
        ("morphology",),
    ),
    _Item(
        ZJU,
        "电镜平台",
        "透射电子显微镜",
        "Transmission electron microscope",
        "电子光学仪器",
        "Talos F200X",
        "Thermo Fisher",
        "美国",
        12800000,
        "due_soon",
        ("morphology",),
    ),
    _Item(
        ZJU,
        "电镜平台",
        "X射线衍射仪",
        "X-ray diffractometer",
        "X射线仪器",
        "D8 ADVANCE",
        "Bruker",
        "德国",
        2100000,
        "valid",
        ("structure",),
        ("self_operated", "staff_operated"),
    ),
    _Item(
        ZJU,
        "电镜平台",
        "原子力显微镜",
        "Atomic force microscope",
        "显微镜",
        "Dimension Icon",
        "Bruker",
        "美国",
        2600000,
        "not_required",
        ("morphology",),
    ),
    _Item(
        ZJU,
        "波谱平台",
        "600兆核磁共振波谱仪",
        "600 MHz NMR spectrometer",
        "波谱仪器",
        "AVANCE NEO 600",
        "Bruker",
        "瑞士",
        9800000,
        "valid",
        ("nmr",),
    ),
    _Item(
        ZJU,
        "波谱平台",
        "傅里叶变换红外光谱仪",
        "FTIR spectrometer",
        "光谱仪器",
        "Nicolet iS50",
        "Thermo Fisher",
        "美国",
        720000,
        "out_of_service",
        (),
    ),
    _Item(
        ZJU,
        "波谱平台",
        "紫外可见近红外分光光度计",
        "UV-Vis-NIR spectrophotometer",
        "光谱仪器",
        "Cary 7000",
        "Agilent",
        "澳大利亚",
        880000,
        "valid",
        (),
        ("self_operated",),
    ),
    _Item(
        NB,
        "材料实验室",
        "直读光谱仪",
        "Optical emission spectrometer",
        "光谱仪器",
        "SPECTROMAXx",
        "SPECTRO",
        "德国",
        760000,
        "valid",
        ("tensile",),
    ),
    _Item(
        NB,
        "材料实验室",
        "微机控制电子万能试验机",
        "Computer-controlled universal tester",
        "力学试验设备",
        "CMT5305",
        "美特斯",
        "中国",
        360000,
        "expired",
        ("tensile",),
        ("self_operated", "staff_operated"),
    ),
    _Item(
        NB,
        "材料实验室",
        "盐雾腐蚀试验箱",
        "Salt spray chamber",
        "环境试验设备",
        "SSC-1200",
        "Q-Lab",
        "美国",
        310000,
        "due_soon",
        ("humidity",),
        ("self_operated",),
    ),
    _Item(
        NB,
        "材料实验室",
        "工业CT检测系统",
        "Industrial CT system",
        "无损检测设备",
        "phoenix v|tome|x m",
        "Waygate",
        "德国",
        8600000,
        "valid",
        ("morphology",),
    ),
    _Item(
        NB,
        "环境实验室",
        "电感耦合等离子体质谱仪",
        "ICP-MS",
        "元素分析仪器",
        "7900",
        "Agilent",
        "日本",
        1650000,
        "valid",
        ("heavy_metal",),
    ),
    _Item(
        NB,
        "环境实验室",
        "原子吸收分光光度计",
        "Atomic absorption spectrometer",
        "元素分析仪器",
        "PinAAcle 900T",
        "PerkinElmer",
        "美国",
        520000,
        "out_of_service",
        ("heavy_metal",),
    ),
    _Item(
        NB,
        "环境实验室",
        "在线VOCs监测系统",
        "Online VOC monitor",
        "环境监测仪器",
        "GC955-611",
        "Synspec",
        "荷兰",
        430000,
        "not_required",
        ("vocs",),
    ),
    _Item(
        WZ,
        "电气安全实验室",
        "电磁兼容测试系统",
        "EMC test system",
        "电气测试设备",
        "ESD30N",
        "EM TEST",
        "瑞士",
        2400000,
        "valid",
        ("emc",),
    ),
    _Item(
        WZ,
        "电气安全实验室",
        "耐压绝缘测试仪",
        "Hipot and insulation tester",
        "电气测试设备",
        "GPT-9904",
        "固纬",
        "中国台湾",
        300000,
        "due_soon",
        ("insulation",),
        ("self_operated",),
    ),
    _Item(
        WZ,
        "电气安全实验室",
        "灼热丝试验仪",
        "Glow-wire tester",
        "电气测试设备",
        "ZRS-3H",
        "苏试",
        "中国",
        320000,
        "expired",
        ("insulation",),
    ),
    _Item(
        WZ,
        "食品实验室",
        "气相色谱仪",
        "Gas chromatograph",
        "色谱质谱仪器",
        "GC-2030",
        "Shimadzu",
        "日本",
        450000,
        "valid",
        ("pesticide",),
        ("self_operated", "staff_operated"),
    ),
    _Item(
        WZ,
        "食品实验室",
        "高效液相色谱仪",
        "HPLC",
        "色谱质谱仪器",
        "LC-20AD",
        "Shimadzu",
        "日本",
        380000,
        "valid",
        ("pesticide",),
    ),
    _Item(
        WZ,
        "食品实验室",
        "全自动凯氏定氮仪",
        "Kjeldahl analyser",
        "化学分析仪器",
        "K1100",
        "海能",
        "中国",
        310000,
        "not_required",
        (),
    ),
    _Item(
        WZ,
        "食品实验室",
        "微波消解仪",
        "Microwave digestion system",
        "样品前处理设备",
        "MARS 6",
        "CEM",
        "美国",
        330000,
        "due_soon",
        ("heavy_metal",),
    ),
    _Item(
        WZ,
        "食品实验室",
        "石墨炉原子吸收光谱仪",
        "Graphite furnace AAS",
        "元素分析仪器",
        "AA-7000",
        "Shimadzu",
        "日本",
        560000,
        "valid",
        ("heavy_metal",),
    ),
)


def _certificate_window(status: str, now: datetime) -> tuple[datetime, datetime] | None:
    if status in ("valid", "out_of_service"):
        return now - timedelta(days=120), now + timedelta(days=245)
    if status == "due_soon":
        return now - timedelta(days=350), now + timedelta(days=15)
    if status == "expired":
        return now - timedelta(days=400), now - timedelta(days=35)
    return None


async def _institution(session: AsyncSession, spec: _Institution) -> Organisation:
    repo = OrganisationRepository(session)
    org = await repo.get_by_name(spec.name)
    if org is None:
        org = await repo.add(
            Organisation(
                kind=OrganisationKind.INSTITUTION.value,
                name=spec.name,
                name_en=spec.name_en,
                city=spec.city,
            )
        )
    certificate = (
        await session.exec(select(CmaCertificate).where(CmaCertificate.number == spec.cma_number))
    ).first()
    if certificate is None:
        certificate = CmaCertificate(
            organisation_id=org.id,
            number=spec.cma_number,
            issuing_authority="浙江省市场监督管理局",
            issued_on=spec.cma_issued,
            valid_until=cma_valid_until(spec.cma_issued),
        )
        session.add(certificate)
        await session.flush()
        for scope in SCOPE.values():
            session.add(
                CmaScopeItem(
                    certificate_id=certificate.id,
                    category=scope.category,
                    name=scope.name,
                    name_en=scope.name_en,
                    standard_number=scope.standard_number,
                    standard_name=scope.standard_name,
                )
            )
        await session.flush()
    return org


async def seed_demo_catalogue(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Create or repair the demo catalogue; returns how many instruments it holds."""
    now = now or datetime.now(UTC)
    organisations = {spec.name: await _institution(session, spec) for spec in INSTITUTIONS}
    labs: dict[tuple[str, str], Lab] = {}
    lab_repo = LabRepository(session)
    for spec in INSTITUTIONS:
        org = organisations[spec.name]
        for name, name_en in spec.labs:
            labs[(spec.name, name)] = await lab_repo.find(org.id, name) or await lab_repo.add(
                Lab(organisation_id=org.id, name=name, name_en=name_en)
            )
    scope_ids: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    rows = await session.exec(
        select(CmaScopeItem.id, CmaScopeItem.standard_number, CmaCertificate.organisation_id).join(
            CmaCertificate,
            CmaCertificate.id == CmaScopeItem.certificate_id,  # type: ignore[arg-type]
        )
    )
    by_standard = {s.standard_number: key for key, s in SCOPE.items()}
    for item_id, standard, org_id in rows:
        if standard in by_standard:
            scope_ids[(org_id, by_standard[standard])] = item_id

    instruments = InstrumentRepository(session)
    for index, item in enumerate(DEMO_CATALOGUE):
        lab = labs[(item.institution, item.lab)]
        instrument = await instruments.find(lab.id, item.name)
        if instrument is None:
            instrument = await add_audited(
                session,
                None,
                Instrument(
                    lab_id=lab.id,
                    organisation_id=lab.organisation_id,
                    name=item.name,
                    name_en=item.name_en,
                    model=item.model,
                    manufacturer=item.manufacturer,
                    serial_number=f"SN{2019 + index % 6}{index:04d}",
                    location=f"{lab.name} / {lab.name_en}",
                    is_open=True,
                    category=item.category,
                    original_value=Decimal(item.value),
                    currency="CNY",
                    country_of_origin=item.country,
                    purchase_date=date(2016 + index % 8, 1 + index % 12, 10),
                    service_modes=list(item.modes),
                    calibration_required=item.calibration != "not_required",
                    calibration_interval_days=365,
                    opening_hours=WEEKDAYS_9_TO_5,
                    contact_name="仪器管理员",
                    contact_phone="0571-8700" + f"{index:04d}",
                ),
                entity="instrument",
            )
            for key in item.scope:
                session.add(
                    InstrumentScopeItem(
                        instrument_id=instrument.id,
                        scope_item_id=scope_ids[(lab.organisation_id, key)],
                    )
                )
            window = _certificate_window(item.calibration, now)
            if window is not None:
                session.add(
                    CalibrationCertificate(
                        instrument_id=instrument.id,
                        organisation_id=lab.organisation_id,
                        number=f"JJ{window[0].year}-{index:04d}",
                        agency="浙江省计量科学研究院",
                        granted_on=window[0].date(),
                        valid_from=window[0],
                        valid_to=window[1],
                        result="pass",
                        expanded_uncertainty=0.3,
                        coverage_factor=2.0,
                        acceptance_criteria="MPE ±0.5",
                    )
                )
            if item.calibration == "out_of_service":
                session.add(
                    OutOfService(
                        instrument_id=instrument.id,
                        organisation_id=lab.organisation_id,
                        start_at=now - timedelta(days=2),
                        reason="期间核查超差 / intermediate check out of tolerance",
                        cause_kind="manual",
                    )
                )
            await session.flush()
    return len(DEMO_CATALOGUE)
