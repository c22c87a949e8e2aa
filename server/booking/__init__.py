"""Bookings: availability, rules, the booking lifecycle and the jobs that move it.

Modules by concern: ``access`` (who sees which booking), ``rules`` (checks before a booking is
stored), ``lifecycle`` (quote, create, approve, check in, no-show, cancel, accept an offer),
``waitlist``, ``series`` (recurring bookings), ``bulk`` (staff actions on many bookings),
``jobs`` (what the background runner calls; ``flag_unusable`` re-checks future bookings when an
instrument's usability changes), ``availability`` (bulk free time), ``ical`` and
``calendar_router`` (iCalendar feeds), ``router`` (HTTP).
"""

__all__: list[str] = []
