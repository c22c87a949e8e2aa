"""Request and response bodies of the catalogue endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from mqtt_contract.v1 import KEY_PATTERN
from server.core.validators import check_text

__all__ = [
    "ChannelChanged",
    "ChannelCreate",
    "ChannelPublic",
    "ChannelUpdate",
    "InstrumentCreate",
    "InstrumentDetail",
    "InstrumentPublic",
    "InstrumentUpdate",
    "LabCreate",
    "LabPublic",
]

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_text),
]
OptionalText = (
    Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(check_text)
    ]
    | None
)
ContractKey = Annotated[str, Field(pattern=KEY_PATTERN)]


class _Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabBase(_Input):
    name: Name
    name_en: OptionalText = None


class LabCreate(LabBase):
    # Platform admins name the institution; lab managers always create in their own.
    organisation_id: uuid.UUID | None = None


class LabPublic(_Schema):
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    name_en: str | None


class InstrumentBase(_Input):
    name: Name
    name_en: OptionalText = None
    model: OptionalText = None
    manufacturer: OptionalText = None
    location: OptionalText = None
    is_open: bool = False


class InstrumentCreate(InstrumentBase):
    lab_id: uuid.UUID
    serial_number: OptionalText = None


class InstrumentUpdate(_Input):
    name: Name | None = None
    name_en: OptionalText = None
    model: OptionalText = None
    manufacturer: OptionalText = None
    serial_number: OptionalText = None
    location: OptionalText = None
    is_open: bool | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> InstrumentUpdate:
        for name in ("name", "is_open"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class InstrumentPublic(_Schema):
    """The catalogue fields: what any user allowed to see the instrument may see."""

    id: uuid.UUID
    lab_id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    name_en: str | None
    model: str | None
    manufacturer: str | None
    location: str | None
    is_open: bool


class ChannelCreate(_Input):
    gateway_id: uuid.UUID
    device_key: ContractKey
    point_key: ContractKey
    name: Name
    name_en: OptionalText = None
    canonical_unit: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
    normal_min: float | None = None
    normal_max: float | None = None

    @model_validator(mode="after")
    def _range_ordered(self) -> ChannelCreate:
        if (
            self.normal_min is not None
            and self.normal_max is not None
            and self.normal_min > self.normal_max
        ):
            raise ValueError("normal_min must not be greater than normal_max")
        return self


class ChannelUpdate(_Input):
    """A correction of a channel: its names, the instrument it belongs to, and its unit while
    it has no readings. Its gateway, device and point stay (they are what the gateway sends)."""

    name: Name | None = None
    name_en: OptionalText = None
    instrument_id: uuid.UUID | None = Field(
        default=None, description="another instrument of the same institution"
    )
    canonical_unit: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = Field(
        default=None,
        description="only while the channel has no readings (409 channel_unit_has_readings)",
    )

    @model_validator(mode="after")
    def _required_stay_set(self) -> ChannelUpdate:
        for name in ("name", "instrument_id", "canonical_unit"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ChannelPublic(_Schema):
    id: int
    device_key: str
    point_key: str
    name: str
    name_en: str | None
    canonical_unit: str
    gateway_id: uuid.UUID
    normal_min: float | None
    normal_max: float | None


class ChannelChanged(ChannelPublic):
    """A channel after a correction, with the instrument it now belongs to."""

    instrument_id: uuid.UUID


class InstrumentDetail(InstrumentPublic):
    """Catalogue fields plus what the owning institution's staff see (serial number, channels);
    responses leave out what the reader may not see (server.catalog.visibility)."""

    serial_number: str | None = None
    channels: list[ChannelPublic] | None = None
