"""Transactional outbox, in-app notifications, e-mail, iCalendar feeds and the in-process
job runner. Other domains call ``server.notifications.service.notify``."""

__all__: list[str] = []
