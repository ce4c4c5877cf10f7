"""Limiter arithmetic and the rate limiter under a fake clock."""

from __future__ import annotations

import pytest

from common.plans.errors import RateLimited
from common.plans.limiter import DEFAULT_PROVIDER_BACKOFF_SECONDS, RateLimiter
from common.plans.models import Limits
from common.plans.windows import WINDOW_SECONDS, WindowCounts, decide, window_start
from tests.support.plan_fakes import FakeTime, MemoryWindowCounter

MODEL = "openai/gpt-4o-mini"


def test_windows_are_epoch_aligned_minutes():
    assert window_start(120.0) == 120 and window_start(179.9) == 120 and window_start(180.0) == 180


@pytest.mark.parametrize(
    ("counts", "limits", "granted", "reason"),
    [
        (WindowCounts(20, 0), Limits(rpm=20), True, ""),
        (WindowCounts(21, 0), Limits(rpm=20), False, "rpm"),
        (WindowCounts(1, 900), Limits(tpm=1000), True, ""),
        (WindowCounts(2, 1100), Limits(tpm=1000), False, "tpm"),
        (WindowCounts(1, 5000), Limits(tpm=1000), True, ""),  # alone in its window: else it never runs
        (WindowCounts(1, 0, blocked_until=1010.0), Limits(), False, "provider_backoff"),
    ],
)
def test_decide(counts, limits, granted, reason):
    decision = decide(counts, limits, now=1000.0, tokens=5000 if counts.tokens == 5000 else 100)
    assert decision.granted is granted and decision.reason == reason


def test_a_denied_call_retries_at_the_next_window():
    decision = decide(WindowCounts(3, 0), Limits(rpm=2), now=1000.0, tokens=1)
    assert decision.retry_after_seconds == pytest.approx(window_start(1000.0) + WINDOW_SECONDS - 1000.0)


def test_a_burst_of_100_against_rpm_20_admits_20_per_window_with_a_correct_retry_after():
    clock = FakeTime(now=1_800_000_015.0)  # 15 s into a window
    limiter = RateLimiter(MemoryWindowCounter(), now=clock, sleep=clock.sleep, max_wait_seconds=0)
    granted, denied = 0, []
    for _ in range(100):
        try:
            limiter.acquire("acme", MODEL, tokens=10, limits=Limits(rpm=20))
            granted += 1
        except RateLimited as e:
            denied.append(e)
    assert granted == 20 and len(denied) == 80
    assert {e.details["retry_after_seconds"] for e in denied} == {45.0}
    assert {e.details["limit"] for e in denied} == {"rpm"} and {e.http_status for e in denied} == {429}
    # Denied calls did not use the window up: after it, the next 20 go.
    clock.now += 45.0
    for _ in range(20):
        limiter.acquire("acme", MODEL, tokens=10, limits=Limits(rpm=20))
    with pytest.raises(RateLimited):
        limiter.acquire("acme", MODEL, tokens=10, limits=Limits(rpm=20))


def test_a_short_wait_is_waited_out():
    clock = FakeTime(now=1_800_000_055.0)  # 5 s before the window ends
    limiter = RateLimiter(MemoryWindowCounter(), now=clock, sleep=clock.sleep, max_wait_seconds=10)
    limiter.acquire("acme", MODEL, tokens=1, limits=Limits(rpm=1))
    limiter.acquire("acme", MODEL, tokens=1, limits=Limits(rpm=1))
    assert clock.slept == [pytest.approx(5.0)]


def test_tpm_counts_tokens_and_tenants_and_models_are_separate():
    clock = FakeTime()
    limiter = RateLimiter(MemoryWindowCounter(), now=clock, sleep=clock.sleep, max_wait_seconds=0)
    limits = Limits(tpm=1000)
    limiter.acquire("acme", MODEL, tokens=600, limits=limits)
    with pytest.raises(RateLimited) as info:
        limiter.acquire("acme", MODEL, tokens=600, limits=limits)
    assert info.value.details["limit"] == "tpm"
    limiter.acquire("acme", "openai/gpt-4o", tokens=600, limits=limits)
    limiter.acquire("globex", MODEL, tokens=600, limits=limits)
    limiter.acquire("acme", MODEL, tokens=400, limits=limits)  # the denied 600 was taken back


def test_provider_429_blocks_for_its_retry_after_then_lets_calls_through():
    clock = FakeTime()
    counter = MemoryWindowCounter()
    limiter = RateLimiter(counter, now=clock, sleep=clock.sleep, max_wait_seconds=10)
    assert limiter.provider_throttled("acme", MODEL, retry_after_seconds=4) == 4
    limiter.acquire("acme", MODEL, tokens=1, limits=Limits())  # waits out the 4 s
    assert clock.slept == [4]
    limiter.provider_throttled("acme", MODEL, retry_after_seconds=30)
    with pytest.raises(RateLimited) as info:
        limiter.acquire("acme", MODEL, tokens=1, limits=Limits(rpm=100))
    assert info.value.details == {"limit": "provider_backoff", "retry_after_seconds": 30.0}
    # Other instances see it through the windows' blocked_until.
    other = RateLimiter(counter, now=clock, sleep=clock.sleep, max_wait_seconds=0)
    with pytest.raises(RateLimited):
        other.acquire("acme", MODEL, tokens=1, limits=Limits(rpm=100))


def test_provider_429_without_retry_after_backs_off_by_default():
    clock = FakeTime()
    limiter = RateLimiter(MemoryWindowCounter(), now=clock, sleep=clock.sleep)
    assert limiter.provider_throttled("acme", MODEL, retry_after_seconds=None) == DEFAULT_PROVIDER_BACKOFF_SECONDS
