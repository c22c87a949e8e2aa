"""Proficiency testing: rounds, participants' results, robust statistics and performance scores
(ISO 13528, ISO/IEC 17043). docs/trust.md states the rules."""
