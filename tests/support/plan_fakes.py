"""In-memory usage-plan ports with the adapter's atomicity (one lock per call), and a fake clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from common.plans.budget import LedgerTotals, settlement
from common.plans.ports import LedgerView, Reservation, Settled, reservation_key
from common.plans.windows import WindowCounts

__all__ = ["FakeTime", "MemoryLedger", "MemoryWindowCounter"]


@dataclass
class FakeTime:
    """Epoch seconds that advance only when slept through."""

    now: float = 1_800_000_000.0
    slept: list[float] = field(default_factory=list[float])

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class MemoryLedger:
    """Implements :class:`common.plans.ports.PlanLedger` in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reservations: dict[tuple[str, str], tuple[Reservation, str, int]] = {}
        self.periods: dict[tuple[str, str], LedgerTotals] = {}
        self.active: dict[tuple[str, str], int] = {}
        self.warned: set[tuple[str, str]] = set()

    def _add(
        self, r: Reservation, active: int, reserved: int, spent: int = 0, overrun: int = 0
    ) -> tuple[LedgerTotals, int]:
        key = (r.tenant_id, r.agent)
        self.active[key] = self.active.get(key, 0) + active
        totals = LedgerTotals()
        if r.period:
            old = self.periods.get((r.tenant_id, r.period), LedgerTotals())
            totals = LedgerTotals(old.reserved + reserved, old.spent + spent, old.overrun + overrun)
            self.periods[(r.tenant_id, r.period)] = totals
        return totals, self.active[key]

    def reserve(self, reservation: Reservation) -> tuple[LedgerTotals, int] | None:
        with self._lock:
            key = (reservation.tenant_id, reservation.key)
            if key in self.reservations:
                return None
            self.reservations[key] = (reservation, "open", 0)
            return self._add(reservation, 1, reservation.estimate_micros)

    def cancel(self, reservation: Reservation) -> None:
        with self._lock:
            if self.reservations.pop((reservation.tenant_id, reservation.key), None) is not None:
                self._add(reservation, -1, -reservation.estimate_micros)

    def settle(
        self, tenant_id: str, job_id: str, actual_micros: int, *, now: datetime, round_: int = 0
    ) -> Settled | None:
        with self._lock:
            found = self.reservations.get((tenant_id, reservation_key(job_id, round_)))
            if found is None or found[1] != "open":
                return None
            r = found[0]
            s = settlement(r.estimate_micros, actual_micros if r.period else 0)
            before = self.periods.get((tenant_id, r.period), LedgerTotals())
            after, _ = self._add(r, -1, s.reserved_delta, s.spent_delta, s.overrun)
            self.reservations[(tenant_id, r.key)] = (r, "settled", actual_micros)
            return Settled(r, actual_micros, before, after)

    def open_reservations(self, *, created_before: datetime, limit: int) -> list[Reservation]:
        with self._lock:
            found = [
                r for r, state, _ in self.reservations.values() if state == "open" and r.created_at < created_before
            ]
        return sorted(found, key=lambda r: r.created_at)[:limit]

    def view(self, tenant_id: str, period: str) -> LedgerView:
        with self._lock:
            active = {agent: n for (t, agent), n in self.active.items() if t == tenant_id and n}
            return LedgerView(period, self.periods.get((tenant_id, period), LedgerTotals()), active)

    def mark_warned(self, tenant_id: str, period: str, *, now: datetime) -> bool:
        with self._lock:
            if (tenant_id, period) in self.warned:
                return False
            self.warned.add((tenant_id, period))
            return True


class MemoryWindowCounter:
    """Implements :class:`common.plans.ports.WindowCounter` in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.windows: dict[tuple[str, str, int], list[float]] = {}

    def add(self, tenant_id: str, model: str, window: int, *, requests: int, tokens: int) -> WindowCounts:
        with self._lock:
            w = self.windows.setdefault((tenant_id, model, window), [0, 0, 0.0])
            w[0] += requests
            w[1] += tokens
            return WindowCounts(int(w[0]), int(w[1]), w[2])

    def block(self, tenant_id: str, model: str, windows: list[int], *, until: float) -> None:
        with self._lock:
            for window in windows:
                w = self.windows.setdefault((tenant_id, model, window), [0, 0, 0.0])
                w[2] = max(w[2], until)
