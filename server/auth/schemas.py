"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel

from server.auth.models import OrganisationKind, Role

__all__ = ["OrganisationPublic", "Token", "UserMe"]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)
    expires_in: int


class OrganisationPublic(BaseModel):
    id: uuid.UUID
    kind: OrganisationKind
    name: str
    name_en: str | None


class UserMe(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    organisation: OrganisationPublic
