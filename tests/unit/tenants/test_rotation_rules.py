"""Rotation rules: grace periods for webhook secrets and API keys."""

from datetime import UTC, datetime, timedelta

import pytest

from common.errors import UnprocessableEntity
from common.tenants import rotation
from common.tenants.models import ApiKey, WebhookSecret

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "seconds"), [("24h", 86400), ("90m", 5400), ("2d", 172800), ("3600s", 3600), ("0", 0), (" 30 ", 30)]
)
def test_grace_periods_parse(text, seconds):
    assert rotation.parse_grace(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "-1h", "1.5h", "1w", "31d", "h", "²h", "1h30m"])
def test_bad_grace_periods_are_refused(text):
    with pytest.raises(UnprocessableEntity) as info:
        rotation.parse_grace(text)
    assert info.value.error_code == "invalid_grace"


def test_a_rotation_retires_the_current_secret_after_the_grace_and_never_prolongs_an_old_one():
    first = WebhookSecret("c1", T0)
    second = WebhookSecret("c2", T0 + timedelta(hours=1))
    after_one = rotation.rotate_secrets((first,), second, now=second.created_at, grace=DAY)
    assert after_one == (second, WebhookSecret("c1", T0, second.created_at + DAY))

    third = WebhookSecret("c3", T0 + timedelta(hours=2))
    after_two = rotation.rotate_secrets(after_one, third, now=third.created_at, grace=DAY)
    assert [s.ciphertext for s in after_two] == ["c3", "c2", "c1"]
    assert after_two[2].expires_at == second.created_at + DAY  # not extended by the second rotation
    assert after_two[1].expires_at == third.created_at + DAY

    later = T0 + 3 * DAY
    fourth = WebhookSecret("c4", later)
    # c1 and c2 have expired and are dropped; c3, current until now, is retired.
    assert rotation.rotate_secrets(after_two, fourth, now=later, grace=DAY) == (
        fourth,
        WebhookSecret("c3", third.created_at, later + DAY),
    )


def test_a_rotation_without_grace_keeps_only_the_new_secret():
    new = WebhookSecret("c2", T0)
    assert rotation.rotate_secrets((WebhookSecret("c1", T0),), new, now=T0, grace=timedelta(0)) == (new,)


def test_callbacks_are_signed_with_every_secret_still_valid():
    secrets = (WebhookSecret("new", T0), WebhookSecret("old", T0, T0 + DAY))
    assert [s.ciphertext for s in rotation.signing_secrets(secrets, now=T0 + DAY / 2)] == ["new", "old"]
    assert [s.ciphertext for s in rotation.signing_secrets(secrets, now=T0 + DAY)] == ["new"]


def test_rotating_keys_retires_current_ones_and_deletes_expired_ones():
    keys = [
        ("current", ApiKey("acme", T0)),
        ("retiring", ApiKey("acme", T0, T0 + timedelta(hours=2))),
        ("expired", ApiKey("acme", T0, T0 - timedelta(seconds=1))),
    ]
    retire, delete = rotation.rotate_keys(keys, now=T0, grace=DAY)
    assert retire == {"current": ApiKey("acme", T0, T0 + DAY)}  # "retiring" keeps its sooner expiry
    assert delete == ["expired"]
    retire, delete = rotation.rotate_keys(keys, now=T0, grace=timedelta(0))
    assert retire == {} and sorted(delete) == ["current", "expired", "retiring"]


def test_a_retired_key_is_valid_until_its_expiry_and_never_cached_beyond_it():
    key = ApiKey("acme", T0, T0 + timedelta(seconds=30))
    assert rotation.key_valid(key, now=T0 + timedelta(seconds=29.9))
    assert not rotation.key_valid(key, now=T0 + timedelta(seconds=30))
    assert rotation.key_cache_seconds(60, key, now=T0) == 30
    assert rotation.key_cache_seconds(60, key, now=T0 + timedelta(seconds=40)) == 0
    assert rotation.key_cache_seconds(60, ApiKey("acme", T0), now=T0) == 60
