"""The calibration programme's periodic work, run by the server's own job runner
(``server.jobs.BackgroundJobs``, every ``LABSHARE_JOBS_INTERVAL_S``):

- reminders of calibrations falling due (lead times from ``CalibrationSettings``), each sent
  once however often the pass runs and however many server processes run it;
- correction sets for the gateways whose corrections changed since they were last sent: a
  certificate recorded while the broker was away, one that became valid or lapsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from server.calibration.config import CalibrationSettings, get_calibration_settings
from server.calibration.edge import CalibrationPublisher, publish_calibration_sets
from server.calibration.service import send_calibration_reminders

__all__ = ["CalibrationJobReport", "run_calibration_jobs"]


@dataclass
class CalibrationJobReport:
    reminders: int = 0
    published_topics: list[str] = field(default_factory=list)


async def run_calibration_jobs(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    publisher: CalibrationPublisher | None = None,
    settings: CalibrationSettings | None = None,
) -> CalibrationJobReport:
    """One pass: reminders in one transaction, then the pending correction sets."""
    settings = settings or get_calibration_settings()
    report = CalibrationJobReport()
    async with sessionmaker() as session, session.begin():
        report.reminders = await send_calibration_reminders(
            session, now, settings.calibration_reminder_lead_days
        )
    if publisher is not None and settings.calibration_push_enabled:
        report.published_topics = await publish_calibration_sets(sessionmaker, publisher, now)
    return report
