"""The background job runner inside the server process (no external cron to forget).

It sits above every domain: each pass runs the booking jobs, the calibration jobs and then
delivers the notification outbox. With several server processes, one leads
(``Leadership``, a PostgreSQL advisory lock) and runs the scheduled jobs.
"""

from server.jobs.config import JobSettings
from server.jobs.leader import Leadership
from server.jobs.runner import BackgroundJobs

__all__ = ["BackgroundJobs", "JobSettings", "Leadership"]
