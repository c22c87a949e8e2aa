"""The background job runner inside the server process (no external cron to forget).

It sits above every domain: each pass runs the booking jobs, the calibration jobs and then
delivers the notification outbox.
"""

from server.jobs.config import JobSettings
from server.jobs.runner import BackgroundJobs

__all__ = ["BackgroundJobs", "JobSettings"]
