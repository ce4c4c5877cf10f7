"""Faults on the real local stack: every job ends terminal, every callback arrives, nothing runs twice.

One test, four faults overlapping in time, so the receiver's two-minute outage is paid once:

* a **lost message**: the jobs subscription is deleted while jobs are submitted, then recreated
  (their messages are gone); the sweeper republishes them;
* a **run_agent process killed mid-job** (SIGKILL while a model call is in flight) and restarted:
  the redelivery finds a live lease and is acked, the lease expires, the sweeper requeues the
  job, and the next claim takes it over;
* a **model answering 30% 429 and 30% 500**: attempts are released and retried, up to the
  attempt cap (``attempts_exhausted`` keeps the model's error as its cause);
* a **receiver down for 2 minutes**: callbacks are retried on the queue's backoff and all arrive
  after recovery, each exactly once.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from typing import Any

import httpx
from google.cloud import pubsub_v1

from common.devstack.stack import restart_function
from common.topology import JOBS_TOPIC, SUBSCRIPTIONS
from common.webhooks.receiver import WebhookReceiver
from tests.support.scripted_llm import Answer, HttpError, Json, ScriptedRequest, Slow

OUTAGE_SECONDS = 120
_CASE = re.compile(r"case-(?P<case>[a-z]+-\d+)")


class FaultyModel:
    """Answers like the stack's criteria script, with injected faults keyed by the case in the prompt."""

    def __init__(self, script: Any, seed: int = 7):
        self.script = script
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.slow_once: set[str] = set()
        self.in_flight = threading.Event()

    def __call__(self, request: ScriptedRequest) -> Answer:
        match = _CASE.search(request.prompt)
        case = match["case"] if match else ""
        with self.lock:
            self.calls[case] += 1
            roll = self.random.random()
            slow = case in self.slow_once
            self.slow_once.discard(case)
        answer = self.script(request)
        if slow:
            self.in_flight.set()
            return Slow(8, answer)
        if case.startswith("flaky") and roll < 0.3:
            return HttpError(429, retry_after=0.2)
        if case.startswith("flaky") and roll < 0.6:
            return HttpError(500)
        return answer if isinstance(answer, Json) else Json({})


def _body(case: str, callback_url: str) -> dict[str, Any]:
    return {
        "criteria": [{"type": "inclusion", "text": f"Adults (case-{case})"}],
        "patient_profile": ["A 54-year-old man."],
        "callback_url": callback_url,
    }


def test_every_job_ends_and_every_callback_arrives_once_through_four_faults(stack):
    tenant = stack.tenant("faults")
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    submit_url = stack.url("submit", "/v1/agents/criteria-evaluator/jobs")
    model = FaultyModel(stack.llm.script)
    stack.llm.script = model
    jobs: dict[str, str] = {}  # case -> job id
    try:
        with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
            outage_ends = time.monotonic() + OUTAGE_SECONDS
            receiver.down_until = outage_ends

            def submit(case: str) -> None:
                response = httpx.post(submit_url, json=_body(case, receiver.url), headers=headers, timeout=30)
                assert response.status_code == 202, response.text
                jobs[case] = response.json()["job_id"]

            # 1. Lost messages: no subscription while these are published.
            spec = next(s for s in SUBSCRIPTIONS if s.topic == JOBS_TOPIC)
            subscriber = pubsub_v1.SubscriberClient()
            path = subscriber.subscription_path(stack.info.project, spec.name)
            subscriber.delete_subscription(subscription=path)
            try:
                for i in range(3):
                    submit(f"lost-{i}")
            finally:
                from common.adapters import provisioning

                provisioning.ensure_push_subscription(
                    stack.info.project, spec, endpoint=stack.info.endpoints["run_agent"] + "/", with_retry_policy=False
                )
                subscriber.close()

            # 2. A worker killed in the middle of a model call, then restarted.
            model.slow_once.add("killed-0")
            submit("killed-0")
            assert model.in_flight.wait(30), "the slow model call never started"
            restart_function(stack.info, "run_agent", extra_env=stack.extra_env)

            # 3. A flaky model.
            for i in range(12):
                submit(f"flaky-{i}")

            # Every job ends terminal, long before the receiver recovers.
            finished = {case: stack.wait_job(tenant.api_key, job_id, timeout=90) for case, job_id in jobs.items()}
            assert time.monotonic() < outage_ends, "jobs should finish during the outage"
            for case, job in finished.items():
                assert job["status"] in ("success", "failed"), (case, job)
                if job["status"] == "failed":
                    assert job["error"]["code"] == "attempts_exhausted" and case.startswith("flaky"), (case, job)
                    assert job["error"]["cause"]["code"] in ("model_rate_limited", "model_unavailable")
            for i in range(3):
                assert finished[f"lost-{i}"]["status"] == "success"
            killed = finished["killed-0"]
            assert killed["status"] == "success" and killed["attempts"] == 2
            assert model.calls["killed-0"] == 2  # the killed attempt, then the takeover: never two at once

            # 4. The receiver recovers: every callback arrives, exactly once per job.
            accepted = receiver.wait_for(len(jobs), timeout=OUTAGE_SECONDS + 60)
            time.sleep(3)  # let any duplicate show up
            delivered = Counter(r.payload["job_id"] for r in receiver.received if r.answered < 300 and r.payload)
            assert len(accepted) >= len(jobs)
            assert delivered == Counter(jobs.values()), delivered
            assert all(r.verified for r in receiver.received if r.answered < 300)
            failed_attempts = sum(1 for r in receiver.received if r.answered == 503)
            assert failed_attempts >= len(jobs)  # each callback failed at least once during the outage
            for job_id in jobs.values():
                view = httpx.get(stack.url("status", f"/v1/jobs/{job_id}"), headers=headers).json()
                assert view["callback_status"] == "delivered", view
    finally:
        stack.llm.script = model.script
