# pyright: reportMissingTypeStubs=false
"""Cloud Storage implementation of :class:`common.ports.BlobStore`, scoped to one tenant's prefix."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from google.api_core import exceptions as gexc
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from common.adapters.sdk_errors import translate
from common.errors import Forbidden, InvalidRequest, NotFound, PermanentError
from common.jobs.inbox import tenant_prefix
from common.ports import StoredObject

__all__ = ["DocumentTooLarge", "GcsBlobStore", "split_gs_uri"]


class DocumentTooLarge(PermanentError):
    """The object exceeds the size limit."""

    code = "document_too_large"


def split_gs_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/name`` -> ``(bucket, name)``.

    Raises:
        InvalidRequest: ``invalid_uri`` when the URI is not of that form.
    """
    if not uri.startswith("gs://"):
        raise InvalidRequest("file_uri must be a gs:// URI", code="invalid_uri")
    bucket, _, name = uri[len("gs://") :].partition("/")
    if not bucket or not name:
        raise InvalidRequest("file_uri must be gs://BUCKET/OBJECT", code="invalid_uri")
    return bucket, name


class GcsBlobStore:
    """A tenant's objects under ``gs://{bucket}/tenants/{tenant_id}/``.

    Args:
        client: Cloud Storage client.
        bucket: The tenants' bucket.
        tenant_id: The tenant every call is scoped to.
        retry_seconds: Total time reads may spend retrying transient errors (s).
    """

    def __init__(self, client: storage.Client, bucket: str, tenant_id: str, *, retry_seconds: float = 30.0):
        if not tenant_id:
            raise ValueError("a blob store needs a tenant id")
        self._bucket_name = bucket
        sdk: Any = client
        self._bucket: Any = sdk.bucket(bucket)
        self._tenant_id = tenant_id
        self._prefix = tenant_prefix(tenant_id)
        # The library retries reads for 120 s by default; a delivery should give up sooner and
        # let Pub/Sub redeliver, so one outage does not hold a worker for minutes.
        self._retry = DEFAULT_RETRY.with_timeout(retry_seconds)

    @property
    def tenant_id(self) -> str:
        """The tenant every call is scoped to."""
        return self._tenant_id

    def _own_name(self, uri: str) -> str:
        bucket, name = split_gs_uri(uri)
        # ".." segments are literal in GCS, but refusing them keeps the prefix check honest to readers.
        if bucket != self._bucket_name or not name.startswith(self._prefix) or "/../" in f"/{name}/":
            raise Forbidden("file_uri is outside the tenant's storage prefix", code="outside_tenant_prefix")
        return name

    def read(self, uri: str, *, max_bytes: int, generation: int | None = None) -> bytes:
        """The object's bytes, optionally pinned to ``generation``.

        Raises:
            Forbidden: ``outside_tenant_prefix``.
            NotFound: ``object_not_found``.
            DocumentTooLarge: The object exceeds ``max_bytes``.
            TransientError: Storage is unavailable.
        """
        name = self._own_name(uri)
        try:
            blob: Any = self._bucket.get_blob(name, generation=generation, retry=self._retry)
            if blob is None:
                raise NotFound("the file does not exist (or that generation was replaced)", code="object_not_found")
            if blob.size is not None and blob.size > max_bytes:
                raise DocumentTooLarge(f"the file is {blob.size} bytes; the limit is {max_bytes}")
            return cast(bytes, blob.download_as_bytes(retry=self._retry))
        except (NotFound, DocumentTooLarge):
            raise
        except gexc.NotFound as e:
            raise NotFound("the file does not exist", code="object_not_found") from e
        except Exception as e:
            raise translate(e, what="read object") from e

    def write(
        self, relative_name: str, data: bytes, *, content_type: str, expires_at: datetime | None = None
    ) -> StoredObject:
        """Write under the tenant prefix; returns the ``gs://`` URI and the new generation.

        ``expires_at`` becomes the object's ``customTime``, which the bucket's lifecycle rule
        deletes on.
        """
        name = self._prefix + relative_name.lstrip("/")
        blob: Any = self._bucket.blob(name)
        if expires_at is not None:
            blob.custom_time = expires_at
        try:
            blob.upload_from_string(data, content_type=content_type)
        except Exception as e:
            raise translate(e, what="write object") from e
        return StoredObject(uri=f"gs://{self._bucket_name}/{name}", generation=int(blob.generation or 0))

    def set_expiry(self, uri: str, expires_at: datetime, *, generation: int | None = None) -> bool:
        """Set the object's ``customTime`` to ``expires_at``; ``False`` when it is gone or replaced.

        Raises:
            Forbidden: ``outside_tenant_prefix``.
            TransientError: Storage is unavailable.
        """
        name = self._own_name(uri)
        blob: Any = self._bucket.blob(name)
        blob.custom_time = expires_at
        try:
            blob.patch(if_generation_match=generation, retry=self._retry)
        except (gexc.NotFound, gexc.PreconditionFailed):
            return False
        except gexc.BadRequest:
            # The one field we send is customTime, and Cloud Storage refuses to move it earlier:
            # another job that read the same object expires later, and keeps the object.
            return False
        except Exception as e:
            raise translate(e, what="set object expiry") from e
        return True

    def delete(self, uri: str, *, generation: int | None = None) -> bool:
        """Delete the object (only that generation, when given); ``False`` when there was none.

        Raises:
            Forbidden: ``outside_tenant_prefix``.
            TransientError: Storage is unavailable.
        """
        name = self._own_name(uri)
        blob: Any = self._bucket.blob(name)
        try:
            blob.delete(if_generation_match=generation, retry=self._retry)
        except (gexc.NotFound, gexc.PreconditionFailed):
            return False  # already gone, or replaced by a newer upload that another job owns
        except Exception as e:
            raise translate(e, what="delete object") from e
        return True

    def delete_all(self) -> int:
        """Delete every object under ``tenants/{tenant_id}/``; returns how many."""
        deleted = 0
        try:
            for blob in self._bucket.list_blobs(prefix=self._prefix, retry=self._retry):
                try:
                    blob.delete(retry=self._retry)
                except gexc.NotFound:
                    continue
                deleted += 1
        except Exception as e:
            raise translate(e, what="delete objects") from e
        return deleted
