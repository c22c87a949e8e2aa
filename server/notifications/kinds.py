"""The notification kinds the server emits, grouped for the e-mail preferences page.

Every domain passes one of these strings to ``server.notifications.service.notify`` (the
notifications layer sits below them, so the catalogue lives here as plain strings). A kind
missing from the catalogue is still delivered, by e-mail too: preferences only ever switch
e-mail off for the kinds listed. ``MANDATORY`` kinds are always e-mailed; users cannot opt out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["KINDS", "MANDATORY", "KindGroup", "NotificationKind", "kinds_for_role"]


class KindGroup(StrEnum):
    BOOKINGS = "bookings"  # the user's own bookings
    COMPLAINTS = "complaints"
    QUALITY = "quality"  # calibration findings that may affect the user's results
    ACCOUNT = "account"
    LAB = "lab"  # lab work: approvals, flags, over-runs, SPC alarms, certificates due
    PLATFORM = "platform"  # platform administration


@dataclass(frozen=True, slots=True)
class NotificationKind:
    kind: str
    group: KindGroup
    mandatory: bool = False


KINDS: tuple[NotificationKind, ...] = (
    NotificationKind("booking_confirmed", KindGroup.BOOKINGS),
    NotificationKind("booking_approved", KindGroup.BOOKINGS),
    NotificationKind("booking_rejected", KindGroup.BOOKINGS),
    NotificationKind("booking_cancelled", KindGroup.BOOKINGS),
    NotificationKind("booking_rescheduled", KindGroup.BOOKINGS),
    NotificationKind("booking_reminder", KindGroup.BOOKINGS),
    NotificationKind("booking_completed", KindGroup.BOOKINGS),
    NotificationKind("no_show", KindGroup.BOOKINGS),
    NotificationKind("waitlist_offer", KindGroup.BOOKINGS),
    NotificationKind("complaint_filed", KindGroup.COMPLAINTS),
    NotificationKind("complaint_answered", KindGroup.COMPLAINTS),
    NotificationKind("complaint_decided", KindGroup.COMPLAINTS),
    # Results obtained with an instrument found out of tolerance may be wrong: the laboratory
    # must tell every customer concerned (ISO/IEC 17025, 7.10), so this one is always e-mailed.
    NotificationKind("calibration.out_of_tolerance", KindGroup.QUALITY, mandatory=True),
    # Access to the account itself: an approved enterprise learns it can log in.
    NotificationKind("registration_approved", KindGroup.ACCOUNT, mandatory=True),
    NotificationKind("approval_request", KindGroup.LAB),
    NotificationKind("booking_flagged", KindGroup.LAB),
    NotificationKind("overrun", KindGroup.LAB),
    NotificationKind("inspection_alarm", KindGroup.LAB),
    NotificationKind("calibration.due", KindGroup.LAB),
    NotificationKind("cma.renewal_due", KindGroup.LAB),
    NotificationKind("cma.expired", KindGroup.LAB),
    NotificationKind("registration_submitted", KindGroup.PLATFORM),
)

BY_KIND: dict[str, NotificationKind] = {k.kind: k for k in KINDS}
MANDATORY: frozenset[str] = frozenset(k.kind for k in KINDS if k.mandatory)

# Enterprise users never receive lab or platform work; the page does not offer it to them.
_CUSTOMER_ROLES = frozenset({"enterprise_member", "enterprise_admin"})
_STAFF_GROUPS = frozenset({KindGroup.LAB, KindGroup.PLATFORM})


def kinds_for_role(role: str) -> list[NotificationKind]:
    """The kinds a user of ``role`` can receive, in catalogue order."""
    if role in _CUSTOMER_ROLES:
        return [k for k in KINDS if k.group not in _STAFF_GROUPS]
    return list(KINDS)
