"""labshare server: catalogue, identity and tenancy, gateway registry, telemetry queries."""
