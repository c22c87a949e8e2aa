"""Response bodies of billing that other domains' endpoints return too."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ChargeOut"]


class ChargeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    booking_id: uuid.UUID
    kind: str
    category: str
    minutes: int
    breakdown: dict[str, Any]
    amount: Decimal
    voucher_amount: Decimal
    enterprise_amount: Decimal
    voucher_id: uuid.UUID | None
    service_date: date
