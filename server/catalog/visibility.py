"""Who sees which field of an instrument: one table, applied by every endpoint that returns one.

Audiences, from the widest to the narrowest (each also sees what the wider ones see):

- ``PUBLIC``: anybody, also without logging in (the public catalogue search);
- ``ENTERPRISE``: any logged-in user allowed to see the instrument (enterprise users, staff of
  other institutions looking at an open instrument);
- ``STAFF``: staff of the institution that owns the instrument;
- ``PLATFORM_ADMIN``: platform administrators.

Asset data (serial number, original value, purchase date, asset class code), the firmware
version and the direct phone line stay with the owning institution. Enterprises get the name
and e-mail address of the person in charge to arrange their work. A field missing from the
table is shown to platform administrators only, so a new column stays hidden until someone
decides who may see it (tests/registry/test_field_visibility.py fails on such a column).

Hidden fields are left out of the response (not sent as ``null``), so "not yours to see" and
"not filled in" are told apart by the presence of the key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from server.auth.models import AppUser
from server.auth.tenancy import is_platform_admin, may_see_organisation

__all__ = [
    "INSTRUMENT_FIELDS",
    "Audience",
    "audience_for",
    "hidden_fields",
    "redact_instrument",
    "sees_field",
]


class Audience(IntEnum):
    PUBLIC = 0
    ENTERPRISE = 1
    STAFF = 2
    PLATFORM_ADMIN = 3


INSTRUMENT_FIELDS: Mapping[str, Audience] = {
    # Identity and place: the catalogue.
    "id": Audience.PUBLIC,
    "lab_id": Audience.PUBLIC,
    "organisation_id": Audience.PUBLIC,
    "name": Audience.PUBLIC,
    "name_en": Audience.PUBLIC,
    "model": Audience.PUBLIC,
    "manufacturer": Audience.PUBLIC,
    "location": Audience.PUBLIC,
    "is_open": Audience.PUBLIC,
    # Record fields a customer chooses an instrument by.
    "category": Audience.PUBLIC,
    "specification": Audience.PUBLIC,
    "country_of_origin": Audience.PUBLIC,
    "manufacture_date": Audience.PUBLIC,
    "technical_specifications": Audience.PUBLIC,
    "main_functions": Audience.PUBLIC,
    "accessories": Audience.PUBLIC,
    "fee_rule": Audience.PUBLIC,
    "opening_hours": Audience.PUBLIC,
    "service_modes": Audience.PUBLIC,
    "calibration_required": Audience.PUBLIC,
    "calibration_interval_days": Audience.PUBLIC,
    "scope": Audience.PUBLIC,
    # Computed by the catalogue search.
    "institution_name": Audience.PUBLIC,
    "institution_name_en": Audience.PUBLIC,
    "city": Audience.PUBLIC,
    "lab_name": Audience.PUBLIC,
    "calibration_state": Audience.PUBLIC,
    "calibration_valid_to": Audience.PUBLIC,
    "live_state": Audience.PUBLIC,
    # Whom a customer contacts.
    "contact_name": Audience.ENTERPRISE,
    "contact_email": Audience.ENTERPRISE,
    # The owning institution's own business.
    "contact_phone": Audience.STAFF,
    "serial_number": Audience.STAFF,
    "original_value": Audience.STAFF,
    "currency": Audience.STAFF,
    "purchase_date": Audience.STAFF,
    "asset_class_code": Audience.STAFF,
    "asset_number": Audience.STAFF,
    "commissioned_on": Audience.STAFF,
    "firmware_version": Audience.STAFF,
    "created_at": Audience.STAFF,
    "channels": Audience.STAFF,
}


def audience_for(user: AppUser | None, organisation_id: uuid.UUID) -> Audience:
    """The widest audience ``user`` belongs to for an instrument of ``organisation_id``."""
    if user is None:
        return Audience.PUBLIC
    if is_platform_admin(user):
        return Audience.PLATFORM_ADMIN
    if may_see_organisation(user, organisation_id):
        return Audience.STAFF
    return Audience.ENTERPRISE


def sees_field(audience: Audience, field: str) -> bool:
    return audience >= INSTRUMENT_FIELDS.get(field, Audience.PLATFORM_ADMIN)


def hidden_fields(user: AppUser | None, organisation_id: uuid.UUID) -> frozenset[str]:
    audience = audience_for(user, organisation_id)
    return frozenset(f for f in INSTRUMENT_FIELDS if not sees_field(audience, f))


def redact_instrument(
    data: Mapping[str, Any], user: AppUser | None, organisation_id: uuid.UUID
) -> dict[str, Any]:
    """``data`` (an instrument's fields) without the keys ``user`` may not see."""
    audience = audience_for(user, organisation_id)
    return {key: value for key, value in data.items() if sees_field(audience, key)}
