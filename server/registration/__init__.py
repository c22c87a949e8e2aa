"""Enterprise self-registration: an enterprise applies, the platform admin approves or
rejects, the enterprise's admin invites colleagues. Above notifications (it tells the platform
admins and the new user), below every domain that serves instruments."""

__all__: list[str] = []
