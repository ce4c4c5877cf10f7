"""Retention and erasure: how long a job lives, and what erasing it leaves (pure domain, no I/O)."""
