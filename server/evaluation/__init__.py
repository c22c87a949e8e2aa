"""Sharing evaluation: a read model above booking, billing, telemetry, catalogue and registry.

Nothing below this package imports it (see docs/evaluation.md).
"""
