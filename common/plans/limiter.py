"""The rate limiter at the model call: per tenant and model, RPM and TPM in one-minute windows.

A call that would pass a limit waits while the wait is short (``max_wait_seconds``), then tries
again; a longer wait raises :class:`~common.plans.errors.RateLimited` (transient), which releases
the job for redelivery without spending an attempt. A provider's 429 feeds back into the same
windows: its ``retry-after`` blocks the tenant's calls to that model until then, recorded on
every window it covers (so every instance sees it), and in this instance for every tenant (the
provider's quota is shared).

The arithmetic is :mod:`common.plans.windows`; this class only orchestrates a
:class:`~common.plans.ports.WindowCounter`, a clock and a sleep, so it runs under a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from common.plans.errors import RateLimited
from common.plans.models import Limits
from common.plans.ports import WindowCounter
from common.plans.windows import WINDOW_SECONDS, WindowDecision, decide, window_start
from common.telemetry.log import log

__all__ = ["DEFAULT_PROVIDER_BACKOFF_SECONDS", "MAX_PROVIDER_BACKOFF_SECONDS", "RateLimiter"]

DEFAULT_PROVIDER_BACKOFF_SECONDS = 10.0
"""Back-off after a provider 429 without ``retry-after`` (s)."""
MAX_PROVIDER_BACKOFF_SECONDS = 600.0
"""Longest provider back-off honoured (s); a larger ``retry-after`` is capped."""


class RateLimiter:
    """Grants model calls against a tenant's limits.

    Args:
        counter: The windows' counters.
        now: Current time (epoch s).
        sleep: Waits (s).
        max_wait_seconds: Longest a call waits for its window before giving up (s).
    """

    def __init__(
        self,
        counter: WindowCounter,
        *,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_seconds: float = 10.0,
    ):
        self._counter = counter
        self._now = now
        self._sleep = sleep
        self._max_wait = max_wait_seconds
        self._lock = threading.Lock()
        self._provider_backoff: dict[str, float] = {}

    def acquire(self, tenant_id: str, model: str, *, tokens: int, limits: Limits) -> None:
        """Wait until a call of ``tokens`` tokens to ``model`` may be made, or give up.

        Raises:
            RateLimited: ``rate_limited`` with ``limit`` (``rpm``, ``tpm`` or
                ``provider_backoff``) and ``retry_after_seconds``, when the wait would be longer
                than ``max_wait_seconds``.
            TransientError: The counters are unavailable.
        """
        waited = 0.0
        while True:
            decision = self._try(tenant_id, model, tokens, limits)
            if decision.granted:
                return
            wait = decision.retry_after_seconds
            if waited + wait > self._max_wait:
                log("plan.rate_limited", tenant_id=tenant_id, model=model, limit=decision.reason, retry_after=wait)
                raise RateLimited(
                    f"the {decision.reason} limit for this model is reached",
                    details={"limit": decision.reason, "retry_after_seconds": round(wait, 3)},
                )
            self._sleep(wait)
            waited += wait

    def _try(self, tenant_id: str, model: str, tokens: int, limits: Limits) -> WindowDecision:
        now = self._now()
        with self._lock:
            local = self._provider_backoff.get(model, 0.0)
        if local > now:
            return WindowDecision(False, local - now, "provider_backoff")
        if limits.rpm is None and limits.tpm is None:
            return WindowDecision(True)
        window = window_start(now)
        counts = self._counter.add(tenant_id, model, window, requests=1, tokens=tokens)
        decision = decide(counts, limits, now=now, tokens=tokens)
        if not decision.granted:
            # Denied calls must not use up the window: take the addition back.
            self._counter.add(tenant_id, model, window, requests=-1, tokens=-tokens)
        return decision

    def provider_throttled(self, tenant_id: str, model: str, *, retry_after_seconds: float | None) -> float:
        """Feed a provider 429 back: block ``model`` for the tenant (all instances) and here (all tenants).

        Returns:
            The back-off applied (s).
        """
        backoff = min(MAX_PROVIDER_BACKOFF_SECONDS, retry_after_seconds or DEFAULT_PROVIDER_BACKOFF_SECONDS)
        now = self._now()
        until = now + backoff
        with self._lock:
            self._provider_backoff[model] = max(until, self._provider_backoff.get(model, 0.0))
        windows = list(range(window_start(now), int(until) + 1, WINDOW_SECONDS))
        try:
            self._counter.block(tenant_id, model, windows, until=until)
        except Exception as e:  # the local back-off still holds; the job is released anyway
            log("plan.block_failed", severity="WARNING", tenant_id=tenant_id, error_type=type(e).__name__)
        log("plan.provider_throttled", tenant_id=tenant_id, model=model, backoff_seconds=backoff)
        return backoff
