"""A burst of refused pushes is redelivered on the local stack's subscriptions (issue 13, reproduction 13).

The Pub/Sub emulator (0.8.x) stopped redelivering when several messages were refused together
under a subscription retry policy: jobs stayed ``pending``. The local stack provisions its push
subscriptions without one (``with_retry_policy=False``). This provisions a subscription exactly
so, from the jobs subscription's spec, pushes to a receiver that refuses every message twice,
and requires every message to come back until acked.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter

from google.cloud import pubsub_v1
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from common.adapters import provisioning
from common.topology import JOBS_TOPIC, SUBSCRIPTIONS

BURST = 20
REFUSALS = 2


def test_every_message_of_a_refused_burst_is_redelivered_until_acked(emulators):
    deliveries: Counter[str] = Counter()
    lock = threading.Lock()

    @Request.application
    def receiver(request: Request) -> Response:
        message_id = request.get_json()["message"]["messageId"]
        with lock:
            deliveries[message_id] += 1
            refuse = deliveries[message_id] <= REFUSALS
        return Response(status=503 if refuse else 204)

    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    topic = f"burst-{time.monotonic_ns()}"
    jobs_spec = next(s for s in SUBSCRIPTIONS if s.topic == JOBS_TOPIC)
    spec = dataclasses.replace(jobs_spec, name=f"{topic}-push", topic=topic)
    publisher = pubsub_v1.PublisherClient()
    try:
        provisioning.ensure_topic(emulators.project, topic)
        provisioning.ensure_push_subscription(
            emulators.project, spec, endpoint=f"http://127.0.0.1:{server.server_port}/", with_retry_policy=False
        )
        topic_path = publisher.topic_path(emulators.project, topic)
        published = {publisher.publish(topic_path, b"{}").result() for _ in range(BURST)}
        acked: set[str] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                acked = {m for m, n in deliveries.items() if n > REFUSALS}
            if acked >= published:
                break
            time.sleep(0.2)
        assert acked >= published, f"{len(published - acked)} of {BURST} refused messages never came back"
    finally:
        server.shutdown()
        subscriber = pubsub_v1.SubscriberClient()
        subscriber.delete_subscription(subscription=subscriber.subscription_path(emulators.project, spec.name))
        subscriber.close()
