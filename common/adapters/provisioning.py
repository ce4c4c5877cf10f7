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
    name: str,
    *,
    topic: str,
    endpoint: str,
    ack_deadline_seconds: int = 600,
    dead_letter_topic: str | None = None,
    max_delivery_attempts: int = 10,
) -> str:
    """Create a push subscription of ``topic`` to ``endpoint`` if missing; returns its path.

    Args:
        project: Project id.
        name: Subscription id.
        topic: Topic id.
        endpoint: URL the subscription POSTs messages to.
        ack_deadline_seconds: How long a push may take before redelivery (max 600 s).
        dead_letter_topic: Topic id that receives messages after ``max_delivery_attempts``.
        max_delivery_attempts: Deliveries before dead-lettering (5-100).
    """
    subscriber: Any = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(project, name)
    request: dict[str, object] = {
        "name": path,
        "topic": f"projects/{project}/topics/{topic}",
        "push_config": {"push_endpoint": endpoint},
        "ack_deadline_seconds": ack_deadline_seconds,
        "retry_policy": {"minimum_backoff": {"seconds": 1}, "maximum_backoff": {"seconds": 60}},
    }
    if dead_letter_topic is not None:
        request["dead_letter_policy"] = {
            "dead_letter_topic": f"projects/{project}/topics/{dead_letter_topic}",
            "max_delivery_attempts": max_delivery_attempts,
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


def ensure_queue(queue_path: str, *, emulator_host: str) -> None:
    """Create the Cloud Tasks queue ``projects/P/locations/L/queues/Q`` on the emulator if missing."""
    from common.adapters.cloud_tasks import tasks_client

    client: Any = tasks_client(emulator_host)
    parent, _, _ = queue_path.rpartition("/queues/")
    with contextlib.suppress(gexc.AlreadyExists):
        client.create_queue(parent=parent, queue={"name": queue_path})
