"""Read models: queries that join several domains for one screen, above all of them.

The public catalogue search reads instruments, their registry record, calibration status and
bookings in one SQL statement; no domain imports from here.
"""

__all__: list[str] = []
