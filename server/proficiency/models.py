"""Proficiency-testing tables (revisions ``0009_proficiency`` and ``0016_proficiency_items``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from server.registry.columns import created_at_field

__all__ = [
    "AssignedMethod",
    "PtItem",
    "PtRound",
    "PtSubmission",
    "RoundStatus",
    "ScorePolicy",
    "SigmaMethod",
]


class AssignedMethod(StrEnum):
    REFERENCE = "reference"  # a reference value with its standard uncertainty
    CONSENSUS = "consensus"  # the robust mean of the participants' results (Algorithm A)


class SigmaMethod(StrEnum):
    FIXED = "fixed"  # set by the provider before the round (fitness for purpose)
    ROBUST = "robust"  # the robust standard deviation s* of the results


class ScorePolicy(StrEnum):
    Z = "z"  # z, or z' when u(x_pt) > 0.3 sigma_pt
    ZETA = "zeta"
    EN = "en"


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PtRound(SQLModel, table=True):
    __tablename__ = "pt_round"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(sa_type=Text, unique=True)
    title: str = Field(sa_type=Text)
    title_en: str | None = Field(default=None, sa_type=Text)
    measurand: str = Field(sa_type=Text)
    unit: str = Field(sa_type=Text)
    items: str = Field(sa_type=Text)
    assigned_method: str = Field(sa_type=Text)
    reference_value: float | None = None
    reference_u: float | None = None
    sigma_method: str = Field(sa_type=Text)
    sigma_fixed: float | None = None
    score_policy: str = Field(sa_type=Text)
    deadline: datetime = Field(sa_type=DateTime(timezone=True))
    status: RoundStatus = Field(default=RoundStatus.OPEN, sa_type=Text)
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    statistics: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class PtItem(SQLModel, table=True):
    """One test item of a round (a thermometer, sample A ...), with its own x_pt and σ_pt."""

    __tablename__ = "pt_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    round_id: uuid.UUID = Field(foreign_key="pt_round.id")
    position: int = 0
    key: str = Field(sa_type=Text)
    name: str = Field(sa_type=Text)
    reference_value: float | None = None
    reference_u: float | None = None
    sigma_fixed: float | None = None
    statistics: dict[str, Any] | None = Field(default=None, sa_type=JSONB)


class PtSubmission(SQLModel, table=True):
    __tablename__ = "pt_submission"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    round_id: uuid.UUID = Field(foreign_key="pt_round.id")
    item_id: uuid.UUID = Field(foreign_key="pt_item.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    value: float
    standard_u: float | None = None
    expanded_u: float | None = None
    coverage_k: float | None = None
    publish: bool = False
    submitted_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    submitted_at: datetime = created_at_field()
    score_kind: str | None = Field(default=None, sa_type=Text)
    score: float | None = None
    judgement: str | None = Field(default=None, sa_type=Text)
