"""Complaints and reports (投诉举报) about institutions, test reports and bookings: filed by
anyone, answered by the institution, decided by the platform. docs/trust.md states the rules."""
