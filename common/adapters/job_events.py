"""Wiring of the job events fan-out for a function: the Pub/Sub publisher, built on first use.

Importing this module loads no Pub/Sub code: the client (with message ordering) is created on
the first event published, so a function's cold start does not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable

from common.config import Settings
from common.ports import JobEventPublisher
from common.services.job_events import JobEventFanout
from common.tenants.models import Tenant

__all__ = ["job_event_sink"]


def job_event_sink(settings: Settings, tenant: Callable[[str], Tenant | None]) -> JobEventFanout | None:
    """The fan-out to ``settings.job_events_topic``, or ``None`` when the topic setting is empty.

    Args:
        settings: The function's settings (project, topic).
        tenant: A (cached) tenant lookup, for the tenant's ``publish_stage_events`` choice.
    """
    if not settings.job_events_topic:
        return None
    built: list[JobEventPublisher] = []

    def publisher() -> JobEventPublisher:
        if not built:
            from common.adapters.pubsub_publisher import PubSubJobEventPublisher, job_events_publisher_client

            client = job_events_publisher_client()
            built.append(
                PubSubJobEventPublisher(client, client.topic_path(settings.project, settings.job_events_topic))
            )
        return built[0]

    return JobEventFanout(publisher=publisher, tenant=tenant)
