"""Callbacks survive outages (issue 13, reproduction 12): the queues' retry windows."""

from common.devstack.stack import LOCAL_CALLBACKS_QUEUE
from common.topology import CALLBACKS_QUEUE


def test_the_production_queue_retries_for_hours_like_standard_webhooks():
    delays = CALLBACKS_QUEUE.retry_delays()
    assert len(delays) == CALLBACKS_QUEUE.max_attempts - 1
    assert delays == sorted(delays) and delays[0] >= 5
    assert sum(delays) >= 12 * 3600


def test_the_local_queue_outlasts_a_receiver_down_for_two_minutes():
    # The emulator used to drop a task after about 13 s of 0.1 s retries.
    assert sum(LOCAL_CALLBACKS_QUEUE.retry_delays()) >= 10 * 60
    assert min(LOCAL_CALLBACKS_QUEUE.retry_delays()) >= 0.5
