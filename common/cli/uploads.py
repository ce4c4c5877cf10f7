"""Uploading a document with only an API key: ``POST /v1/uploads``, then ``PUT`` to the signed URL.

httpx is imported on the first upload, not when the CLI starts.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from common.cli import exits

__all__ = ["UploadFailed", "Uploaded", "delete_upload", "upload_bytes", "upload_document", "upload_file"]


@dataclass(frozen=True, slots=True)
class Uploaded:
    """An uploaded document: the ``file_uri`` to submit and the id that deletes it."""

    file_uri: str
    upload_id: str


class UploadFailed(Exception):
    """The API or the storage service refused an upload, or the storage service did not answer.

    Attributes:
        exit_code: The CLI exit code (:mod:`common.cli.exits`).
        status: The API's HTTP status when the API refused it, else 0.
        code: The API's machine-readable error code, ``storage_refused`` or ``storage_unreachable``.
    """

    def __init__(self, message: str, exit_code: int = exits.FAILED, *, status: int = 0, code: str = "storage_refused"):
        super().__init__(message)
        self.exit_code = exit_code
        self.status = status
        self.code = code


def upload_document(submit_base: str, key: str, path: Path) -> Uploaded:
    """Upload ``path`` into the caller's prefix through the submit API.

    Raises:
        UploadFailed: The API or the storage service refused the upload, or the PUT did not get
            through (the partial upload is deleted).
        typer.Exit: 4 when the submit API does not answer.
    """
    return upload_bytes(submit_base, key, path.read_bytes(), path.name)


def upload_bytes(submit_base: str, key: str, data: bytes, filename: str) -> Uploaded:
    """Upload a PDF's bytes into the caller's prefix: ``POST /v1/uploads``, then ``PUT`` to the signed URL.

    Args:
        submit_base: The submit API base URL.
        key: The API key.
        data: The document (PDF).
        filename: Checked by the API (1-255 characters, no control characters), never stored.

    Raises:
        UploadFailed: The API or the storage service refused the upload, or the PUT did not get
            through (the partial upload is deleted).
        typer.Exit: 4 when the submit API does not answer.
    """
    import httpx

    from common.cli.api_client import call, error_line

    request = {"filename": filename, "content_type": "application/pdf", "size_bytes": len(data)}
    code, answer = call("POST", f"{submit_base}/v1/uploads", key, json=request)
    if code != 201:
        error = cast(dict[str, object], answer.get("error") or {})
        raise UploadFailed(
            f"upload refused: {error_line(code, answer)}", status=code, code=str(error.get("code") or "upload_refused")
        )
    uploaded = Uploaded(str(answer["file_uri"]), str(answer["upload_id"]))
    headers = cast(dict[str, str], answer.get("headers") or {})
    try:
        put = httpx.put(str(answer["upload_url"]), content=data, headers=headers, timeout=300)
    except httpx.HTTPError as e:
        delete_upload(submit_base, key, uploaded.upload_id)
        raise UploadFailed(
            f"could not upload the document: {type(e).__name__}", exits.UNREACHABLE, code="storage_unreachable"
        ) from e
    if put.status_code not in (200, 201):
        delete_upload(submit_base, key, uploaded.upload_id)
        raise UploadFailed(f"the storage service refused the upload: HTTP {put.status_code}")
    return uploaded


def upload_file(submit_base: str, key: str, path: Path) -> Uploaded:
    """:func:`upload_document` for a CLI command: a failure prints why and exits.

    Raises:
        typer.Exit: 1 when the upload was refused; 4 when nothing answered.
    """
    try:
        return upload_document(submit_base, key, path)
    except UploadFailed as e:
        exits.fail(str(e), e.exit_code)


def delete_upload(submit_base: str, key: str, upload_id: str) -> bool:
    """Delete an upload (after a failed submission); ``False`` when that did not work (it expires anyway)."""
    import httpx

    try:
        response = httpx.delete(
            f"{submit_base}/v1/uploads/{upload_id}", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
    except httpx.HTTPError:
        return False
    return response.status_code in (200, 404)
