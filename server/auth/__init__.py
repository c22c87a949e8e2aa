"""Identity and tenancy: organisations, users, log-in, access rules."""

from server.auth.dependencies import CurrentUser, SettingsDep
from server.auth.models import AppUser, Organisation, OrganisationKind, Role

__all__ = ["AppUser", "CurrentUser", "Organisation", "OrganisationKind", "Role", "SettingsDep"]
