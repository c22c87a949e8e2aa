"""Bookings: availability, rules, the booking lifecycle and the jobs that move it.

Entry points: ``server.booking.router`` (HTTP), ``server.booking.service`` (rules and
lifecycle; ``flag_unusable`` re-checks future bookings when an instrument's usability
changes), ``server.booking.availability`` (bulk free time).
"""

__all__: list[str] = []
