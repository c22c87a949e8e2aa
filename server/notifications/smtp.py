"""E-mail over SMTP behind a small Protocol, so the dispatcher is testable with a fake."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Protocol

from server.notifications.config import NotificationSettings

__all__ = ["MailSender", "SmtpSender", "build_message"]


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def build_message(*, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body, charset="utf-8")
    return message


class SmtpSender:
    """smtplib in a worker thread: a slow mail server never blocks the event loop."""

    def __init__(self, settings: NotificationSettings) -> None:
        if not settings.smtp_host:
            raise ValueError("smtp_host: set LABSHARE_SMTP_HOST to send e-mail")
        self.settings = settings

    def _send_blocking(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as client:
            if s.smtp_starttls:
                client.starttls()
            if s.smtp_username and s.smtp_password is not None:
                client.login(s.smtp_username, s.smtp_password.get_secret_value())
            client.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send_blocking, message)
