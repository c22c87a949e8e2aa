"""Helpers for the trust tests (proficiency testing, complaints, credit records, public pages)."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI

from server.auth.models import OrganisationKind, Role
from server.registry.models import CmaCertificate, CmaScopeItem
from tests.harness.factories import World, add_organisation, add_user

__all__ = ["EXTRA_INSTITUTIONS", "add_cma", "add_institutions"]

# Two more institutions, so a round has four participants with the standard world's two.
EXTRA_INSTITUTIONS = (
    ("宁波检验检测研究院", "Ningbo Inspection Institute", "宁波", "manager@nbjy.demo"),
    ("温州质量技术检测院", "Wenzhou Quality Testing", "温州", "manager@wzzj.demo"),
)


async def add_institutions(app: FastAPI) -> dict[str, str]:
    """The extra institutions with a lab manager each; returns manager e-mail by name."""
    managers = {}
    async with app.state.sessionmaker() as session, session.begin():
        for name, name_en, city, email in EXTRA_INSTITUTIONS:
            org = await add_organisation(
                session, name, OrganisationKind.INSTITUTION, name_en=name_en, city=city
            )
            await add_user(session, org, email, Role.LAB_MANAGER)
            managers[name] = email
    return managers


async def add_cma(
    app: FastAPI,
    demo: World,
    organisation: str,
    number: str,
    *,
    valid_until: date = date(2030, 1, 1),
) -> None:
    """A CMA certificate with two scope items for one of the world's institutions."""
    async with app.state.sessionmaker() as session, session.begin():
        certificate = CmaCertificate(
            organisation_id=demo.organisations[organisation].id,
            number=number,
            issuing_authority="浙江省市场监督管理局",
            issued_on=date(2024, 1, 1),
            valid_until=valid_until,
        )
        session.add(certificate)
        await session.flush()
        session.add_all(
            [
                CmaScopeItem(
                    certificate_id=certificate.id,
                    category="parameter",
                    name="温度",
                    name_en="Temperature",
                    standard_number="JJF 1101-2019",
                    standard_name="环境试验设备温度、湿度参数校准规范",
                ),
                CmaScopeItem(
                    certificate_id=certificate.id,
                    category="product",
                    name="电线电缆",
                    name_en="Wires and cables",
                    standard_number="GB/T 2951.11-2008",
                ),
            ]
        )
