"""The rolling alert: one alert when a judge's pass rate over the last N jobs drops. Pure.

Per key (tenant, agent, judge) the last ``window`` verdicts are kept. When the window is full and
its pass rate is below ``threshold``, :meth:`PassRateWindows.observe` answers ``True`` once; it
answers ``True`` again only after the rate has recovered to the threshold or above and dropped
again. So a judge failing every job raises one alert, not one per job.

The windows live in the worker's memory: each instance of ``run_agent`` keeps its own (a cold
start begins empty), which bounds what is kept without a store write per job. The per-job
Sentry events (fingerprinted by judge and agent) and the ``agentjobs.judgements`` metric carry
the global picture.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

__all__ = ["MAX_KEYS", "PassRateWindows", "WindowState"]

MAX_KEYS = 10_000
"""Most (tenant, agent, judge) windows kept; the least recently seen is dropped first."""


@dataclass(frozen=True, slots=True)
class WindowState:
    """One key's window after an observation.

    Attributes:
        jobs: Verdicts in the window (at most the window size).
        pass_rate: Passed / jobs.
        alert: Whether this observation raises the alert.
    """

    jobs: int
    pass_rate: float
    alert: bool


class PassRateWindows:
    """Rolling pass rates per key, thread-safe.

    Args:
        window: Verdicts per key (N), at least 1.
        threshold: Alert below this pass rate, 0.0 to 1.0.
    """

    def __init__(self, window: int, threshold: float):
        self._window = max(1, window)
        self._threshold = threshold
        self._verdicts: OrderedDict[tuple[str, ...], deque[bool]] = OrderedDict()
        self._alerted: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    def observe(self, key: tuple[str, ...], passed: bool) -> WindowState:
        """Add one verdict for ``key``; see the module docstring for when it alerts."""
        with self._lock:
            verdicts = self._verdicts.get(key)
            if verdicts is None:
                verdicts = self._verdicts[key] = deque(maxlen=self._window)
                if len(self._verdicts) > MAX_KEYS:
                    dropped, _ = self._verdicts.popitem(last=False)
                    self._alerted.discard(dropped)
            self._verdicts.move_to_end(key)
            verdicts.append(passed)
            rate = sum(verdicts) / len(verdicts)
            low = len(verdicts) >= self._window and rate < self._threshold
            alert = low and key not in self._alerted
            if alert:
                self._alerted.add(key)
            elif rate >= self._threshold:
                self._alerted.discard(key)
            return WindowState(len(verdicts), rate, alert)
