"""Uploading a document with only an API key: ``POST /v1/uploads``, then ``PUT`` to the signed URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console

__all__ = ["Uploaded", "delete_upload", "upload_file"]

console = Console(stderr=True)


@dataclass(frozen=True, slots=True)
class Uploaded:
    """An uploaded document: the ``file_uri`` to submit and the id that deletes it."""

    file_uri: str
    upload_id: str


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(1)


def upload_file(submit_base: str, key: str, path: Path) -> Uploaded:
    """Upload ``path`` into the caller's prefix through the submit API.

    Raises:
        typer.Exit: The API refused the upload or could not be reached (the message says why).
    """
    data = path.read_bytes()
    request = {"filename": path.name, "content_type": "application/pdf", "size_bytes": len(data)}
    headers = {"Authorization": f"Bearer {key}"}
    try:
        response = httpx.post(f"{submit_base}/v1/uploads", json=request, headers=headers, timeout=30)
    except httpx.HTTPError as e:
        raise _fail(f"could not reach the submit API at {submit_base}: {type(e).__name__}") from e
    answer: dict[str, Any] = (
        response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    )
    if response.status_code != 201:
        error = answer.get("error", {})
        raise _fail(f"upload refused: {response.status_code} {error.get('code')}: {error.get('message')}")
    uploaded = Uploaded(answer["file_uri"], answer["upload_id"])
    try:
        put = httpx.put(answer["upload_url"], content=data, headers=answer["headers"], timeout=300)
    except httpx.HTTPError as e:
        delete_upload(submit_base, key, uploaded.upload_id)
        raise _fail(f"could not upload the document: {type(e).__name__}") from e
    if put.status_code not in (200, 201):
        delete_upload(submit_base, key, uploaded.upload_id)
        raise _fail(f"the storage service refused the upload: HTTP {put.status_code}")
    return uploaded


def delete_upload(submit_base: str, key: str, upload_id: str) -> bool:
    """Delete an upload (after a failed submission); ``False`` when that did not work (it expires anyway)."""
    try:
        response = httpx.delete(
            f"{submit_base}/v1/uploads/{upload_id}", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
    except httpx.HTTPError:
        return False
    return response.status_code in (200, 404)
