"""The uploads service: signed upload URLs into a tenant's prefix, and their removal.

``POST /v1/uploads`` answers a short-lived URL for one ``PUT`` of a document into
``tenants/{tenant}/uploads/``, and the ``file_uri`` to submit. Objects there start no job by
themselves (only inboxes do). ``DELETE /v1/uploads/{upload_id}`` removes an upload a client no
longer needs, e.g. after a submission that failed (``agentjobs submit --file`` does this);
uploads that a job used are erased with the job, and every object expires with the bucket's
retention rule in any case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from common.api.views import iso
from common.errors import NotFound
from common.jobs.inbox import tenant_prefix
from common.ports import BlobStore, Clock, UploadSigner
from common.telemetry.log import log
from common.uploads.requests import (
    CONTENT_TYPES,
    is_upload_id,
    new_upload_id,
    parse_upload_request,
    upload_object_name,
)

__all__ = ["UploadNotFound", "UploadService"]


class UploadNotFound(NotFound):
    """No upload with that id in the caller's tenant."""

    code = "upload_not_found"


class UploadService:
    """Signs upload URLs and deletes uploads, for one authenticated tenant at a time.

    Args:
        signer: Builds the URL signer on first use (``submit`` loads Cloud Storage only then).
        blobs_for: Builds a tenant's blob store (for ``DELETE``).
        bucket: The tenants' bucket.
        max_document_bytes: The largest document a job may read (bytes).
        clock: Current UTC time.
    """

    def __init__(
        self,
        *,
        signer: Callable[[], UploadSigner],
        blobs_for: Callable[[str], BlobStore],
        bucket: str,
        max_document_bytes: int,
        clock: Clock,
    ):
        self._signer = signer
        self._blobs_for = blobs_for
        self._bucket = bucket
        self._max_bytes = max_document_bytes
        self._clock = clock

    def create(self, tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Sign a URL for one upload.

        Returns:
            ``{upload_id, file_uri, upload_url, method, headers, expires_at, max_bytes}``:
            ``PUT`` the document's bytes to ``upload_url`` with exactly ``headers``, then submit
            ``file_uri``.

        Raises:
            UnprocessableEntity: ``validation_error``.
            PayloadTooLarge: ``document_too_large``.
            TransientError: The signing service is unavailable.
        """
        request = parse_upload_request(body, max_bytes=self._max_bytes)
        upload_id = new_upload_id()
        name = tenant_prefix(tenant_id) + upload_object_name(upload_id, request.content_type)
        signed = self._signer().signed_put(
            name, content_type=request.content_type, size_bytes=request.size_bytes, now=self._clock()
        )
        log("upload.signed", tenant_id=tenant_id, upload_id=upload_id, size_bytes=request.size_bytes)
        return {
            "upload_id": upload_id,
            "file_uri": f"gs://{self._bucket}/{name}",
            "upload_url": signed.url,
            "method": "PUT",
            "headers": signed.headers,
            "expires_at": iso(signed.expires_at),
            "max_bytes": request.size_bytes,
        }

    def delete(self, tenant_id: str, upload_id: str) -> dict[str, Any]:
        """Delete an upload.

        Returns:
            ``{"upload_id", "deleted": true}``.

        Raises:
            UploadNotFound: 404 ``upload_not_found`` (also for malformed ids, and uploads of
                other tenants, which this store cannot name).
            TransientError: Storage is unavailable.
        """
        if not is_upload_id(upload_id):
            raise UploadNotFound("no upload with that id")
        blobs = self._blobs_for(tenant_id)
        deleted = False
        for content_type in CONTENT_TYPES:
            uri = f"gs://{self._bucket}/{tenant_prefix(tenant_id)}{upload_object_name(upload_id, content_type)}"
            deleted = blobs.delete(uri) or deleted
        if not deleted:
            raise UploadNotFound("no upload with that id")
        log("upload.deleted", tenant_id=tenant_id, upload_id=upload_id)
        return {"upload_id": upload_id, "deleted": True}
