"""One pass of every background job, repeated every ``jobs_interval_s``.

Every ``jobs_interval_s`` it runs the booking jobs (telemetry check-in, no-show release,
actual use and charges, reminders, waitlist expiry, flags for unusable instruments) in one
transaction, then the calibration jobs (reminders, correction sets for the gateways), then
delivers the outbox. A failing pass is logged once and again on recovery.

With several server processes, every process runs the loop but only the leader
(:class:`server.jobs.leader.Leadership`) runs the scheduled jobs; the outbox is delivered by
every process, each claiming its rows with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from server.booking.jobs import run_jobs
from server.calibration.edge import CalibrationPublisher
from server.calibration.jobs import run_calibration_jobs
from server.credit.service import reassess_all
from server.evaluation.aggregates import refresh_pending_days
from server.jobs.config import JobSettings
from server.jobs.leader import Leadership
from server.notifications.dispatcher import dispatch_pending
from server.notifications.smtp import MailSender, SmtpSender
from server.registry.cma_reminders import send_cma_renewal_reminders

__all__ = ["BackgroundJobs"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
logger = logging.getLogger(__name__)


class BackgroundJobs:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: JobSettings,
        *,
        sender: MailSender | None = None,
        leadership: Leadership | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        # None: this process is the only one and runs everything.
        self.leadership = leadership
        self.settings = settings
        self.sender = (
            sender if sender is not None else (SmtpSender(settings) if settings.smtp_host else None)
        )
        # The broker connection for the calibration sets; the app sets it once it has one.
        self.publisher: CalibrationPublisher | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._nudged = asyncio.Event()
        self._failing = False
        self._credit_day: date | None = None

    async def run_once(self, now: datetime | None = None, *, leader: bool = True) -> None:
        """One pass of every job (tests call this directly with a chosen ``now``); a process
        that does not lead (``leader=False``) only delivers the outbox."""
        moment = now or datetime.now(UTC)
        if leader:
            await self._scheduled(moment)
        # Messages queued just now carry the wall-clock time; deliver them in this pass too.
        await dispatch_pending(
            self.sessionmaker, self.settings, self.sender, now=max(moment, datetime.now(UTC))
        )

    async def _scheduled(self, moment: datetime) -> None:
        """The jobs that must run once per pass across all processes: the leader's."""
        async with self.sessionmaker() as session, session.begin():
            await run_jobs(
                session,
                moment,
                reminder_lead=timedelta(minutes=self.settings.reminder_lead_minutes),
            )
        # CMA qualifications due for renewal or expired: the institution's lab managers.
        async with self.sessionmaker() as session, session.begin():
            await send_cma_renewal_reminders(session, moment)
        # Calibration reminders and correction sets for the gateways (own transactions).
        await run_calibration_jobs(self.sessionmaker, moment, publisher=self.publisher)
        # State durations per Beijing day for the sharing evaluation, late data included.
        await refresh_pending_days(self.sessionmaker)
        # Credit classes once per Beijing day (facts age out of the rule's window), so public
        # lists read the stored class instead of assessing every institution per request.
        day = moment.astimezone(SHANGHAI).date()
        if self._credit_day != day:
            async with self.sessionmaker() as session, session.begin():
                await reassess_all(session, moment)
            self._credit_day = day

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once(leader=self.leadership is None or self.leadership.is_leader)
            except Exception as exc:  # keep the server up; the next pass retries
                if not self._failing:
                    logger.error("background jobs failed: %s", exc, exc_info=exc)
                self._failing = True
            else:
                if self._failing:
                    logger.info("background jobs recovered")
                self._failing = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudged.wait(), self.settings.jobs_interval_s)
            self._nudged.clear()

    async def nudge(self) -> None:
        """Run the next pass now (a process that has just become the leader)."""
        self._nudged.set()

    async def start(self) -> None:
        self._stopping.clear()
        self._nudged.clear()
        self._task = asyncio.create_task(self._loop(), name="labshare-background-jobs")

    async def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
