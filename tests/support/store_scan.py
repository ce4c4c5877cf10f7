"""Read back everything Firestore and the bucket hold, to prove that erased data is gone.

:func:`firestore_documents` walks every root collection, every document (also the missing ones
that only hold subcollections) and every subcollection, recursively, and then every collection
group it met, so a document anywhere in the database is seen. :func:`bucket_objects` lists every
object of the bucket with its bytes.
"""

from __future__ import annotations

from typing import Any


def firestore_documents(client: Any) -> dict[str, str]:
    """``path -> repr(data)`` of every document in the database."""
    found: dict[str, str] = {}
    groups: set[str] = set()

    def walk(collection: Any) -> None:
        groups.add(collection.id)
        for ref in collection.list_documents():
            snapshot = ref.get()
            if snapshot.exists:
                found[ref.path] = repr(snapshot.to_dict())
            for sub in ref.collections():
                walk(sub)

    for collection in client.collections():
        walk(collection)
    for group in groups:
        for snapshot in client.collection_group(group).stream():
            found[snapshot.reference.path] = repr(snapshot.to_dict())
    return found


def bucket_objects(client: Any, bucket: str) -> dict[str, bytes]:
    """``object name -> bytes`` of every object in the bucket."""
    return {blob.name: blob.download_as_bytes() for blob in client.bucket(bucket).list_blobs()}


def holding(needles: list[str], documents: dict[str, str], objects: dict[str, bytes]) -> list[str]:
    """Where any needle still appears: ``firestore:<path>`` or ``gs:<name>`` (in a name or the bytes)."""
    hits = [f"firestore:{path}" for path, text in documents.items() if any(n in text for n in needles)]
    for name, data in objects.items():
        if any(n in name or n.encode() in data for n in needles):
            hits.append(f"gs:{name}")
    return hits
