"""Which jobs the LLM judge sees. Pure.

A job is sampled when the first 8 bytes of ``sha256(job_id)``, read as a fraction of 2**64, fall
below the tenant's rate. The choice is deterministic, so a redelivered job is sampled exactly
when its first delivery was, and a rate of 0.1 judges about one job in ten without any counter
to store.
"""

from __future__ import annotations

import hashlib

__all__ = ["sampled"]


def sampled(job_id: str, rate: float) -> bool:
    """Whether the LLM judge sees ``job_id`` at ``rate`` (0.0: never, 1.0: always)."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    digest = hashlib.sha256(job_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate
