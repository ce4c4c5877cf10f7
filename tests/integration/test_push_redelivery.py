"""The local stack's push subscriptions redeliver a refused burst (the emulator stalls under a retry policy)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from common.adapters import provisioning
from common.adapters.clients import publisher_client
from common.topology import PushSubscription


class RefuseTwice:
    """A push endpoint that answers 503 to each message's first two deliveries, then 204."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.acked: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = json.loads(Request(environ).get_data())
        key = base64.b64decode(body["message"]["data"]).decode()
        with self.lock:
            self.deliveries[key] += 1
            ok = self.deliveries[key] > 2
            if ok:
                self.acked.add(key)
        return Response(status=204 if ok else 503)(environ, start_response)


def test_a_burst_of_refused_messages_is_redelivered_until_all_are_acked(emulators):
    endpoint = RefuseTwice()
    server = make_server("127.0.0.1", 0, endpoint, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        topic = "test-burst"
        provisioning.ensure_topic(emulators.project, topic)
        spec = PushSubscription(
            name="test-burst-to-endpoint",
            topic=topic,
            push_path="/",
            ack_deadline_seconds=10,
            min_backoff_seconds=10,
            max_backoff_seconds=600,
            dead_letter=False,
            message_retention_seconds=600,
        )
        # Exactly how the local stack creates its subscriptions.
        provisioning.ensure_push_subscription(
            emulators.project, spec, endpoint=f"http://127.0.0.1:{server.server_port}/", with_retry_policy=False
        )
        publisher = publisher_client()
        path = publisher.topic_path(emulators.project, topic)
        futures = [publisher.publish(path, f"m{i}".encode()) for i in range(20)]
        for future in futures:
            future.result(timeout=10)
        deadline = time.monotonic() + 30
        while len(endpoint.acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(endpoint.acked) == 20, (
            f"only {len(endpoint.acked)} of 20 acked; deliveries {dict(endpoint.deliveries)}"
        )
        assert all(count >= 3 for count in endpoint.deliveries.values())
    finally:
        server.shutdown()
