"""Run ``gcloud-tasks-emulator`` 0.6.2 with the queue semantics ``notify`` relies on in production.

This file runs inside the emulator's own tool environment (it pins an old protobuf), so it
imports nothing from ``common``. It starts the stock emulator with four corrections, each a
behaviour of the real Cloud Tasks service that the emulator lacks
(https://cloud.google.com/tasks/docs/reference/rpc/google.cloud.tasks.v2):

* **retry configuration**: the emulator retries a failed task every ~0.1 s and ignores the
  queue's ``retry_config``; here a failed task is rescheduled after the queue's exponential
  backoff (``min_backoff`` doubling ``max_doublings`` times, then linear, capped at
  ``max_backoff``) and dropped after ``max_attempts`` dispatches, so a receiver outage of
  minutes does not lose the callback;
* **task-name deduplication**: creating a task whose name exists (or existed) in the queue
  fails with ``ALREADY_EXISTS``;
* **loopback only**: the gRPC API binds 127.0.0.1 instead of every interface;
* the ``X-CloudTasks-TaskRetryCount`` header counts retries, as in production (the emulator
  already sends it).

Usage: ``python tasks_emulator_main.py --port N``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from concurrent import futures
from datetime import UTC, datetime, timedelta

import grpc
from gcloud_tasks_emulator import server as emulator
from gcloud_tasks_emulator.cloudtasks_pb2_grpc import add_CloudTasksServicer_to_server
from google.api_core.exceptions import AlreadyExists

_lock = threading.Lock()
_seen_names: set[str] = set()


def _backoff_seconds(queue: object, retry: int) -> float:
    """Delay before retry number ``retry`` (0-based), per Cloud Tasks' retry semantics."""
    config = getattr(queue, "retry_config", None)
    min_backoff = config.min_backoff.total_seconds() if config and config.min_backoff else 0.1
    max_backoff = config.max_backoff.total_seconds() if config and config.max_backoff else 3600.0
    doublings = config.max_doublings if config and config.max_doublings else 16
    delay = min_backoff * 2**retry if retry <= doublings else min_backoff * 2**doublings * (retry - doublings + 1)
    return min(delay, max_backoff)


def _max_attempts(queue: object) -> int:
    config = getattr(queue, "retry_config", None)
    return config.max_attempts if config and config.max_attempts else 100


def _create_task(original):
    def create_task(self, queue, task):
        if task.name:
            with _lock:
                if task.name in _seen_names:
                    raise AlreadyExists(f"task {task.name.rsplit('/', 1)[-1]} already exists")
                _seen_names.add(task.name)
        return original(self, queue, task)

    return create_task


def _submit_task(original):
    def submit_task(self, task_name, force_run=False):
        queue_name = task_name.rsplit("?", 1)[0].rsplit("/", 2)[0]
        pending = self._queue_tasks.get(queue_name, [])
        before = next((t.dispatch_count for t in pending if t.name == task_name.rsplit("?", 1)[0]), 0)
        task = original(self, task_name, force_run)
        dispatched = task.dispatch_count > before  # not a task merely put back because it is not due
        if dispatched and task in pending and task.last_attempt:
            status = task.last_attempt.response_status.code
            if 400 <= status < 600:
                queue = self._queues.get(queue_name)
                if task.dispatch_count >= _max_attempts(queue):
                    pending.remove(task)
                    logging.getLogger("gcloud-tasks-emulator").info("[TASKS] Giving up task %s", task.name)
                else:
                    delay = _backoff_seconds(queue, task.dispatch_count - 1)
                    task.schedule_time = datetime.now(UTC) + timedelta(seconds=delay)
        return task

    return submit_task


def _serve_on_loopback(self) -> None:
    self._httpd = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_CloudTasksServicer_to_server(emulator.Greeter(self._state), self._httpd)
    self._httpd.add_insecure_port(f"127.0.0.1:{self._port}")
    self._httpd.start()
    self._is_running.set()
    while self._is_running.is_set():
        time.sleep(0.1)


def main(argv: list[str]) -> int:
    """Start the patched emulator and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    emulator.QueueState.create_task = _create_task(emulator.QueueState.create_task)
    emulator.QueueState.submit_task = _submit_task(emulator.QueueState.submit_task)
    emulator.APIThread.run = _serve_on_loopback
    # Targets are full URLs on HTTP tasks; target host/port only matter for App Engine tasks.
    server = emulator.create_server("127.0.0.1", args.port, max_retries=-1)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
