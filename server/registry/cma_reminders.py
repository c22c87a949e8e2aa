"""Reminding an institution that its CMA qualification must be renewed.

Renewal is applied for three months before the certificate's last valid day, so when a
certificate enters ``renewal_due`` the institution's lab managers are told once, and told
again when it has expired. The background job runner calls this on every pass; the notice's
``dedupe_key`` keeps each reminder to one per certificate and stage.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, Role
from server.registry.cma import CmaStatus, cma_status
from server.registry.models import CmaCertificate
from server.registry.notices import notify_users

__all__ = ["send_cma_renewal_reminders"]

CHINA = ZoneInfo("Asia/Shanghai")


def _texts(certificate: CmaCertificate, status: CmaStatus) -> tuple[str, str]:
    until = certificate.valid_until.isoformat()
    if status is CmaStatus.EXPIRED:
        return (
            f"CMA 资质认定证书已过期 / CMA certificate expired: {certificate.number}",
            f"证书 {certificate.number} 有效期至 {until}，已过期；过期后出具的报告不得使用 CMA 标志。"
            f" Certificate {certificate.number} was valid until {until}; reports issued since"
            " may not carry the CMA mark.",
        )
    return (
        f"CMA 资质认定证书需要复查换证 / CMA renewal due: {certificate.number}",
        f"证书 {certificate.number} 有效期至 {until}，请在有效期届满 3 个月前提出复查申请。"
        f" Certificate {certificate.number} is valid until {until}; apply for renewal now,"
        " three months before it ends.",
    )


async def send_cma_renewal_reminders(session: AsyncSession, now: datetime) -> int:
    """Tell lab managers of certificates due for renewal or expired; returns how many were told."""
    today: date = now.astimezone(CHINA).date()
    certificates = (await session.exec(select(CmaCertificate))).all()
    due = {
        c.id: (c, status)
        for c in certificates
        if (status := cma_status(c.issued_on, c.valid_until, today))
        in (CmaStatus.RENEWAL_DUE, CmaStatus.EXPIRED)
    }
    if not due:
        return 0
    organisations = {c.organisation_id for c, _ in due.values()}
    managers: dict[uuid.UUID, list[uuid.UUID]] = {o: [] for o in organisations}
    rows = await session.exec(
        select(AppUser.organisation_id, AppUser.id).where(
            col(AppUser.organisation_id).in_(organisations),
            AppUser.role == Role.LAB_MANAGER.value,
            col(AppUser.is_active),
        )
    )
    for organisation_id, user_id in rows.all():
        managers[organisation_id].append(user_id)
    told = 0
    for certificate, status in due.values():
        title, body = _texts(certificate, status)
        told += len(
            await notify_users(
                session,
                user_ids=managers[certificate.organisation_id],
                kind=f"cma.{status.value}",
                title=title,
                body=body,
                data={
                    "cma_certificate_id": str(certificate.id),
                    "number": certificate.number,
                    "valid_until": certificate.valid_until.isoformat(),
                },
                dedupe_key=f"cma:{certificate.id}:{certificate.valid_until.isoformat()}:{status.value}",
            )
        )
    return told
