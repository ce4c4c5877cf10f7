# pyright: reportMissingTypeStubs=false
"""Pub/Sub implementations of :class:`common.ports.JobPublisher` and :class:`common.ports.JobEventPublisher`."""

from __future__ import annotations

import json
from typing import Any

from google.cloud import pubsub_v1

from common import telemetry
from common.adapters.sdk_errors import translate
from common.events.models import JobEvent
from common.jobs.models import Job
from common.messaging.parse import JOB_QUEUED_KIND, SWEEP_KIND

__all__ = ["PubSubJobEventPublisher", "PubSubJobPublisher", "job_events_publisher_client", "publish_sweep_tick"]


class PubSubJobPublisher:
    """Publishes ``{"tenant_id", "job_id"}`` with attribute ``kind=job.queued`` to the jobs topic.

    The message also carries the W3C ``traceparent`` of the current span as an attribute, so
    ``run_agent`` continues the job's trace (one trace per job).

    Args:
        client: A publisher client.
        topic_path: ``projects/P/topics/T``.
        timeout_seconds: How long to wait for the server's ack (s).
    """

    def __init__(self, client: pubsub_v1.PublisherClient, topic_path: str, *, timeout_seconds: float = 10.0):
        self._client: Any = client
        self._topic = topic_path
        self._timeout = timeout_seconds

    def publish_job(self, tenant_id: str, job_id: str) -> str:
        """Publish and wait for the ack; returns the message id.

        Raises:
            TransientError: Pub/Sub is unavailable or did not ack in time.
        """
        data = json.dumps({"tenant_id": tenant_id, "job_id": job_id}).encode("utf-8")
        try:
            trace = telemetry.get().inject({})
            future: Any = self._client.publish(self._topic, data, kind=JOB_QUEUED_KIND, tenant_id=tenant_id, **trace)
            return str(future.result(timeout=self._timeout))
        except Exception as e:
            raise translate(e, what="publish job") from e


def publish_sweep_tick(client: pubsub_v1.PublisherClient, topic_path: str, *, timeout_seconds: float = 10.0) -> str:
    """Publish one ``kind=sweep`` tick (what Cloud Scheduler does in production).

    Raises:
        TransientError: Pub/Sub is unavailable or did not ack in time.
    """
    publisher: Any = client
    try:
        return str(publisher.publish(topic_path, b"", kind=SWEEP_KIND).result(timeout=timeout_seconds))
    except Exception as e:
        raise translate(e, what="publish sweep tick") from e


def job_events_publisher_client() -> pubsub_v1.PublisherClient:
    """A publisher with message ordering on (one message per request), for the job events topic."""
    return pubsub_v1.PublisherClient(
        batch_settings=pubsub_v1.types.BatchSettings(max_messages=1),
        publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True),
    )


class PubSubJobEventPublisher:
    """Publishes job events to the job events topic. Implements :class:`common.ports.JobEventPublisher`.

    Body: the event's JSON (:meth:`JobEvent.to_json`). Attributes: ``tenant_id``, ``job_id``,
    ``agent``, ``type``, ``seq``, so subscriptions can filter (``attributes.tenant_id = "acme"``).
    Ordering key: the job id, so one job's events arrive in ``seq`` order on an ordered
    subscription.

    Args:
        client: A publisher with message ordering enabled (:func:`job_events_publisher_client`).
        topic_path: ``projects/P/topics/T``.
        timeout_seconds: How long to wait for the server's ack (s).
    """

    def __init__(self, client: pubsub_v1.PublisherClient, topic_path: str, *, timeout_seconds: float = 10.0):
        self._client: Any = client
        self._topic = topic_path
        self._timeout = timeout_seconds

    def publish_event(self, job: Job, event: JobEvent) -> str:
        """Publish and wait for the ack; returns the message id.

        Raises:
            TransientError: Pub/Sub is unavailable or did not ack in time.
        """
        data = json.dumps(event.to_json(job.job_id), separators=(",", ":")).encode("utf-8")
        attributes = {
            "tenant_id": job.tenant_id,
            "job_id": job.job_id,
            "agent": job.agent,
            "type": event.type.value,
            "seq": str(event.seq),
        }
        try:
            future: Any = self._client.publish(self._topic, data, ordering_key=job.job_id, **attributes)
            return str(future.result(timeout=self._timeout))
        except Exception as e:
            # A failed publish pauses its ordering key; resume it so the job's next event goes out.
            self._client.resume_publish(self._topic, job.job_id)
            raise translate(e, what="publish job event") from e
