"""Settings of the background job runner (``LABSHARE_*`` variables)."""

from __future__ import annotations

from pydantic import Field

from server.notifications.config import NotificationSettings

__all__ = ["JobSettings"]


class JobSettings(NotificationSettings):
    """The runner's own settings, plus the dispatcher's: each pass also delivers the outbox."""

    # Background jobs run inside the server process: nothing to forget in cron.
    jobs_enabled: bool = True
    jobs_interval_s: float = Field(default=30.0, gt=0)
    reminder_lead_minutes: int = Field(default=24 * 60, ge=1)
    jobs_leader_poll_s: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="With several server processes: seconds between a follower's tries to "
        "become the leader that runs the scheduled jobs (a session-level PostgreSQL advisory "
        "lock), and between the leader's checks that it still holds it. A dead leader is "
        "replaced within about this long after its database session ends.",
    )
