# pyright: reportMissingTypeStubs=false
"""Create the stack's topics, push subscriptions, bucket and queue (what Terraform does in production).

Used by the local stack against the emulators. Every call is idempotent: an existing resource is
left as it is.
"""

from __future__ import annotations

import contextlib
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1

from common.adapters.clients import publisher_client, storage_client
from common.topology import DEAD_LETTER_TOPIC, MAX_DELIVERY_ATTEMPTS, PushSubscription, QueueSpec

__all__ = ["ensure_bucket", "ensure_push_subscription", "ensure_queue", "ensure_topic"]


def ensure_topic(project: str, topic: str) -> str:
    """Create ``projects/{project}/topics/{topic}`` if missing; returns its path."""
    publisher: Any = publisher_client()
    path = publisher.topic_path(project, topic)
    with contextlib.suppress(gexc.AlreadyExists):
        publisher.create_topic(name=path)
    return path


def ensure_push_subscription(
    project: str,
    spec: PushSubscription,
    *,
    endpoint: str,
    with_retry_policy: bool = True,
) -> str:
    """Create the push subscription ``spec`` to ``endpoint`` if missing; returns its path.

    Args:
        project: Project id.
        spec: Name, topic, ack deadline, retry policy and dead-lettering (:mod:`common.topology`).
        endpoint: Full push URL (``run_agent``'s URL plus ``spec.push_path``).
        with_retry_policy: Set the retry policy. The local stack leaves it out: the Pub/Sub
            emulator (0.8.x) stops redelivering when several messages are refused together
            under a retry policy, and redelivers immediately without one.
    """
    subscriber: Any = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(project, spec.name)
    request: dict[str, object] = {
        "name": path,
        "topic": f"projects/{project}/topics/{spec.topic}",
        "push_config": {"push_endpoint": endpoint},
        "ack_deadline_seconds": spec.ack_deadline_seconds,
        "message_retention_duration": {"seconds": spec.message_retention_seconds},
    }
    if with_retry_policy:
        request["retry_policy"] = {
            "minimum_backoff": {"seconds": spec.min_backoff_seconds},
            "maximum_backoff": {"seconds": spec.max_backoff_seconds},
        }
    if spec.dead_letter:
        request["dead_letter_policy"] = {
            "dead_letter_topic": f"projects/{project}/topics/{DEAD_LETTER_TOPIC}",
            "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS,
        }
    try:
        with contextlib.suppress(gexc.AlreadyExists):
            subscriber.create_subscription(request=request)
    finally:
        subscriber.close()
    return path


def ensure_bucket(project: str, bucket: str) -> None:
    """Create ``bucket`` if missing."""
    client: Any = storage_client(project)
    with contextlib.suppress(gexc.Conflict):
        client.create_bucket(bucket)


def ensure_queue(queue_path: str, spec: QueueSpec, *, emulator_host: str) -> None:
    """Create the Cloud Tasks queue ``projects/P/locations/L/queues/Q`` with ``spec``'s retry config if missing."""
    from common.adapters.cloud_tasks import tasks_client

    client: Any = tasks_client(emulator_host)
    parent, _, _ = queue_path.rpartition("/queues/")
    queue = {
        "name": queue_path,
        "retry_config": {
            "max_attempts": spec.max_attempts,
            "min_backoff": {"seconds": int(spec.min_backoff_seconds), "nanos": int(spec.min_backoff_seconds % 1 * 1e9)},
            "max_backoff": {"seconds": int(spec.max_backoff_seconds)},
            "max_doublings": spec.max_doublings,
        },
        "rate_limits": {
            "max_dispatches_per_second": spec.max_dispatches_per_second,
            "max_concurrent_dispatches": spec.max_concurrent_dispatches,
        },
    }
    with contextlib.suppress(gexc.AlreadyExists):
        client.create_queue(parent=parent, queue=queue)
