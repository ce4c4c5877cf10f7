"""Telemetry: structured logs that carry ids, counts and timings, never content."""
