# pyright: reportMissingTypeStubs=false
"""Google client construction, once per cold start, emulator-aware.

The client libraries find the Firestore and Pub/Sub emulators through ``FIRESTORE_EMULATOR_HOST``
and ``PUBSUB_EMULATOR_HOST`` themselves. Cloud Storage needs anonymous credentials when
``STORAGE_EMULATOR_HOST`` is set, because the emulator takes no auth and there may be no
application-default credentials on a developer machine.

Each function imports only the SDK it returns: ``status`` must not pay for Cloud Storage.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.cloud import firestore, pubsub_v1, storage

__all__ = ["firestore_client", "publisher_client", "storage_client"]


def firestore_client(project: str) -> firestore.Client:
    """A Firestore client for ``project`` (the emulator when ``FIRESTORE_EMULATOR_HOST`` is set)."""
    from google.cloud import firestore

    return firestore.Client(project=project)


def storage_client(project: str) -> storage.Client:
    """A Cloud Storage client for ``project`` (the emulator when ``STORAGE_EMULATOR_HOST`` is set)."""
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=project, credentials=AnonymousCredentials())
    return storage.Client(project=project)


def publisher_client() -> pubsub_v1.PublisherClient:
    """A Pub/Sub publisher tuned for single low-latency publishes (the emulator when set)."""
    from google.cloud import pubsub_v1

    # One message per request: waiting to fill a batch would only add latency to submit.
    return pubsub_v1.PublisherClient(batch_settings=pubsub_v1.types.BatchSettings(max_messages=1))
