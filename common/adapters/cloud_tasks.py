# pyright: reportMissingTypeStubs=false
"""Cloud Tasks implementation of :class:`common.ports.TaskQueue`: callback deliveries for ``notify``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import tasks_v2

from common import telemetry
from common.adapters.sdk_errors import translate
from common.config import Settings

__all__ = ["CloudTasksQueue", "tasks_client"]


def tasks_client(emulator_host: str | None = None) -> tasks_v2.CloudTasksClient:
    """A Cloud Tasks client; over an insecure gRPC channel to ``emulator_host`` when given."""
    if emulator_host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


class CloudTasksQueue:
    """Enqueues HTTP tasks that POST a JSON payload to ``notify``.

    Args:
        client: The Cloud Tasks client.
        queue: ``projects/P/locations/L/queues/Q``.
        target_url: The ``notify`` function's URL.
        service_account: When set, tasks carry an OIDC token for this service account, so
            ``notify`` can stay private (only Cloud Tasks may invoke it).
    """

    def __init__(self, client: tasks_v2.CloudTasksClient, *, queue: str, target_url: str, service_account: str = ""):
        self._client = client
        self._queue = queue
        self._url = target_url
        self._service_account = service_account

    @classmethod
    def from_settings(cls, settings: Settings) -> CloudTasksQueue:
        """Build from ``AGENTJOBS_CALLBACKS_QUEUE``, ``AGENTJOBS_NOTIFY_URL`` and the emulator host."""
        return cls(
            tasks_client(settings.tasks_emulator_host or None),
            queue=settings.callbacks_queue,
            target_url=settings.notify_url,
            service_account=settings.tasks_service_account,
        )

    def enqueue_callback(self, task_id: str, payload: Mapping[str, Any]) -> bool:
        """Create the task ``{queue}/tasks/{task_id}``; ``False`` if it already exists.

        Raises:
            TransientError: Cloud Tasks is unavailable.
        """
        http_request: dict[str, Any] = {
            "http_method": tasks_v2.HttpMethod.POST,
            "url": self._url,
            # traceparent: notify continues the job's trace (one trace per job).
            "headers": dict(telemetry.get().inject({"Content-Type": "application/json"})),
            "body": json.dumps(dict(payload)).encode("utf-8"),
        }
        if self._service_account:
            http_request["oidc_token"] = {
                "service_account_email": self._service_account,
                "audience": self._url,
            }
        task = {"name": f"{self._queue}/tasks/{task_id}", "http_request": http_request}
        client: Any = self._client
        try:
            client.create_task(parent=self._queue, task=task)
        except gexc.AlreadyExists:
            return False
        except Exception as e:
            raise translate(e, what="enqueue callback") from e
        return True
