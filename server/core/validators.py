"""Types for request fields, so bad input is a 422 naming the field instead of a 500 deeper down.

Every text input is :data:`Text` (or a constrained variant): PostgreSQL ``text`` cannot hold NUL,
and a NUL that reaches the database fails the statement. Integers stored in ``integer`` columns are
bounded by :data:`INT4_MAX` or tighter domain bounds. Time zones must be in the IANA database the
server has (``zoneinfo``). Months are ``YYYY-MM`` of a real calendar month.

:func:`reject_nul_in_parameters` checks every query and path parameter of every request, also the
ones an endpoint types as something other than text (a NUL in ``?q=`` of any endpoint is a 422).
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import Request
from pydantic import AfterValidator, Field, StringConstraints

from server.core.errors import FieldError, ValidationFailed

__all__ = [
    "INT4_MAX",
    "MAX_YEAR",
    "MIN_YEAR",
    "NUL_MESSAGE",
    "Int4",
    "NonNegativeInt4",
    "Text",
    "TimeZoneName",
    "YearMonth",
    "check_text",
    "check_time_zone",
    "reject_nul_in_parameters",
]

INT4_MAX = 2**31 - 1
# Months the statements and dates the API accepts: wide enough for any real use, narrow enough that
# a time zone shift or "the next month" never leaves the range Python and PostgreSQL handle.
MIN_YEAR = 1970
MAX_YEAR = 9998

NUL_MESSAGE = "must not contain NUL characters"


def check_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


Text = Annotated[str, AfterValidator(check_text)]
"""Any text the API stores or sends to the database: no NUL. Length limits nest:
``Annotated[Text, Field(max_length=200)]``."""


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(value: str) -> str:
    if value not in _zones():
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError) as exc:
            raise ValueError(f"{value!r} is not a time zone of the IANA database") from exc
    return value


TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(check_text),
    AfterValidator(check_time_zone),
    Field(examples=["Asia/Shanghai"]),
]
"""An IANA time zone name the server's zoneinfo knows (``Asia/Shanghai``)."""

Int4 = Annotated[int, Field(ge=-INT4_MAX - 1, le=INT4_MAX)]
NonNegativeInt4 = Annotated[int, Field(ge=0, le=INT4_MAX)]


def _check_month(value: str) -> str:
    year, month = int(value[:4]), int(value[5:])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    date(year, month, 1)  # the pattern already limits month to 01-12
    return value


YearMonth = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
    AfterValidator(_check_month),
    Field(examples=["2025-05"]),
]
"""A calendar month ``YYYY-MM`` between 1970-01 and 9998-12."""


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            found += [key_path] if "\x00" in str(key) else _nul_paths(item, key_path)
        return found
    if isinstance(value, list):
        return [
            p
            for i, item in enumerate(value)
            for p in _nul_paths(item, f"{path}.{i}" if path else str(i))
        ]
    return []


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def reject_nul_in_parameters(request: Request) -> None:
    """A NUL in any query or path parameter, or in any string of a JSON body, is a 422 naming it
    (``query.<name>``, ``path.<name>``, or the body path ``channels.0.name``).

    Endpoints type their text fields as :data:`Text` as well; this check also covers the fields
    and parameters that are not (free-form JSON objects, parameters no endpoint declares).
    """
    errors = [
        FieldError(f"query.{name}", NUL_MESSAGE)
        for name, value in request.query_params.multi_items()
        if "\x00" in value or "\x00" in name
    ]
    errors += [
        FieldError(f"path.{name}", NUL_MESSAGE)
        for name, value in request.path_params.items()
        if isinstance(value, str) and "\x00" in value
    ]
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH") and "json" in content_type:
        raw = await request.body()  # Starlette keeps it; the endpoint reads the same bytes
        # Cheap gate: a NUL in JSON text is the escape \u0000 (or a raw NUL byte, invalid JSON).
        if b"\\u0000" in raw.lower() or b"\x00" in raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None  # the endpoint's own parsing reports malformed JSON
            errors += [FieldError(path, NUL_MESSAGE) for path in _nul_paths(body, "")]
    elif request.method in ("POST", "PUT", "PATCH") and content_type.startswith(_FORMS):
        try:
            form = await request.form()  # already parsed (and kept) when the endpoint takes a form
        except Exception:  # malformed forms are the endpoint's to report
            form = None
        if form is not None:
            errors += [
                FieldError(name, NUL_MESSAGE)
                for name, value in form.multi_items()
                if isinstance(value, str) and ("\x00" in value or "\x00" in name)
            ]
    if errors:
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        raise ValidationFailed(f"Invalid request: check {fields}", errors=errors)
