"""The messaging topology: topics, push subscriptions, the callbacks queue and the sweep schedule.

Declared once, as data. The local stack (:mod:`common.devstack.stack`) provisions exactly this on
the emulators, and ``tests/deploy`` checks that Terraform declares the same names and delivery
settings, so local and production wiring cannot drift apart.

Delivery settings and why:

* Push subscriptions to ``run_agent`` wait up to 600 s (Pub/Sub's maximum ack deadline) for an
  answer. A job that runs longer is redelivered while it runs; ``run_agent`` acks such a
  redelivery once it sees the live holder heartbeating, so it never counts towards dead-lettering.
* After :data:`MAX_DELIVERY_ATTEMPTS` refusals a message goes to the dead-letter topic, whose own
  push subscription brings it back to ``run_agent`` at :data:`DEAD_LETTER_PATH`: the delivery
  then ends as a failed job or a rejection record, never silently.
* The callbacks queue retries with exponential backoff over about a day, like the Standard
  Webhooks retry schedule (https://www.standardwebhooks.com/, "Retry schedule").

Sources: Pub/Sub push subscriptions and dead-letter topics
(https://cloud.google.com/pubsub/docs/push, https://cloud.google.com/pubsub/docs/handling-failures);
Cloud Tasks queue retry configuration (https://cloud.google.com/tasks/docs/configuring-queues#retry).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CALLBACKS_QUEUE",
    "DEAD_LETTER_PATH",
    "DEAD_LETTER_TOPIC",
    "GCS_NOTIFICATIONS_TOPIC",
    "JOBS_TOPIC",
    "JOB_EVENTS_TOPIC",
    "MAX_DELIVERY_ATTEMPTS",
    "REQUESTS_TOPIC",
    "SUBSCRIPTIONS",
    "SWEEP_SCHEDULE",
    "SWEEP_TOPIC",
    "TOPICS",
    "PushSubscription",
    "QueueSpec",
]

JOBS_TOPIC = "agentjobs-jobs"
REQUESTS_TOPIC = "agentjobs-requests"
GCS_NOTIFICATIONS_TOPIC = "agentjobs-gcs-notifications"
DEAD_LETTER_TOPIC = "agentjobs-dead-letter"
SWEEP_TOPIC = "agentjobs-sweep"
JOB_EVENTS_TOPIC = "agentjobs-job-events"
"""Job events for downstream systems (:mod:`common.services.job_events`): no subscription of ours;
subscribers create their own, filtered by attributes such as ``tenant_id``."""
TOPICS: tuple[str, ...] = (
    JOBS_TOPIC,
    REQUESTS_TOPIC,
    GCS_NOTIFICATIONS_TOPIC,
    DEAD_LETTER_TOPIC,
    SWEEP_TOPIC,
    JOB_EVENTS_TOPIC,
)

DEAD_LETTER_PATH = "/dead-letter"
"""Path on ``run_agent`` that receives dead-lettered deliveries."""
MAX_DELIVERY_ATTEMPTS = 10
"""Deliveries of one message before Pub/Sub dead-letters it (Pub/Sub allows 5-100)."""
SWEEP_SCHEDULE = "* * * * *"
"""Cron schedule (UTC) on which Cloud Scheduler publishes a sweep tick to :data:`SWEEP_TOPIC`."""


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """A push subscription to ``run_agent``.

    Attributes:
        name: Subscription id.
        topic: Topic id.
        push_path: Path appended to ``run_agent``'s URL.
        ack_deadline_seconds: How long Pub/Sub waits for the push answer (s, 10-600).
        min_backoff_seconds: Retry policy: first redelivery delay after a refusal (s).
        max_backoff_seconds: Retry policy: longest redelivery delay (s, ≤ 600).
        dead_letter: Whether refused messages go to :data:`DEAD_LETTER_TOPIC` after
            :data:`MAX_DELIVERY_ATTEMPTS` deliveries.
        message_retention_seconds: How long an unacked message is kept (s, 600-604800).
    """

    name: str
    topic: str
    push_path: str
    ack_deadline_seconds: int
    min_backoff_seconds: int
    max_backoff_seconds: int
    dead_letter: bool
    message_retention_seconds: int


def _to_run_agent(
    topic: str,
    *,
    push_path: str = "/",
    ack_deadline_seconds: int = 600,
    max_backoff_seconds: int = 600,
    dead_letter: bool = True,
    message_retention_seconds: int = 7 * 24 * 3600,
) -> PushSubscription:
    return PushSubscription(
        name=f"{topic}-to-run-agent",
        topic=topic,
        push_path=push_path,
        ack_deadline_seconds=ack_deadline_seconds,
        min_backoff_seconds=10,
        max_backoff_seconds=max_backoff_seconds,
        dead_letter=dead_letter,
        message_retention_seconds=message_retention_seconds,
    )


SUBSCRIPTIONS: tuple[PushSubscription, ...] = (
    _to_run_agent(JOBS_TOPIC),
    _to_run_agent(REQUESTS_TOPIC),
    _to_run_agent(GCS_NOTIFICATIONS_TOPIC),
    # A missed tick is harmless (the next one comes a minute later), so ticks are never dead-lettered.
    _to_run_agent(
        SWEEP_TOPIC, ack_deadline_seconds=300, max_backoff_seconds=60, dead_letter=False, message_retention_seconds=600
    ),
    # The last stop: run_agent records every message here and acks it, so it needs no dead-letter topic itself.
    _to_run_agent(DEAD_LETTER_TOPIC, push_path=DEAD_LETTER_PATH, dead_letter=False),
)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A Cloud Tasks queue and its retry configuration.

    With ``min_backoff_seconds`` doubling ``max_doublings`` times and then growing linearly up to
    ``max_backoff_seconds``, the 15 retries of :data:`CALLBACKS_QUEUE` span about 23 hours.

    Attributes:
        name: Queue id.
        max_attempts: Dispatches of one task, the first included; ``notify`` marks the callback
            ``abandoned`` when the last one fails.
        min_backoff_seconds: Delay before the first retry (s).
        max_backoff_seconds: Longest delay between retries (s).
        max_doublings: How many times the delay doubles before growing linearly.
        max_dispatches_per_second: Dispatch rate cap.
        max_concurrent_dispatches: Tasks in flight at once.
    """

    name: str
    max_attempts: int
    min_backoff_seconds: float
    max_backoff_seconds: float
    max_doublings: int
    max_dispatches_per_second: float
    max_concurrent_dispatches: int

    def retry_delays(self) -> list[float]:
        """The delay before each retry (s), as Cloud Tasks computes it: ``max_attempts - 1`` values."""
        delays: list[float] = []
        step = self.min_backoff_seconds * 2**self.max_doublings
        delay = 0.0
        for retry in range(self.max_attempts - 1):
            delay = self.min_backoff_seconds * 2**retry if retry <= self.max_doublings else delay + step
            delays.append(min(delay, self.max_backoff_seconds))
        return delays


CALLBACKS_QUEUE = QueueSpec(
    name="agentjobs-callbacks",
    max_attempts=16,
    min_backoff_seconds=5,
    max_backoff_seconds=6 * 3600,
    max_doublings=12,
    max_dispatches_per_second=50,
    max_concurrent_dispatches=100,
)
