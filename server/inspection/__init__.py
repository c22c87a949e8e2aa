"""Smart testing: inspection results, control charts (ISO 7870-2), Nelson tests, capability
(ISO 22514) and SPC alarms. See docs/inspection.md.

Layering: this package sits below ``server.telemetry`` (the ingest worker calls
:func:`server.inspection.ingest.InspectionSink.store`) and above catalog, registry,
notifications, auth and core; it never imports ``server.telemetry``.
"""
