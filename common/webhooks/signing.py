"""Standard Webhooks signatures, through the ``standardwebhooks`` library.

Headers: ``webhook-id`` (unique per event, the same on every retry so receivers can dedupe),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` over
``{id}.{timestamp}.{body}`` with the tenant's ``whsec_`` secret). During a secret rotation the
header carries one such signature per valid secret, space-separated, newest first; a receiver
accepts the message when any of them matches its secret.

Source: Standard Webhooks specification, https://www.standardwebhooks.com/ ("Signature scheme":
the signature header is a space-delimited list of signatures).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

__all__ = ["signed_headers"]


def signed_headers(secrets: Sequence[str], *, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """Headers that sign ``body`` for delivery.

    Args:
        secrets: The tenant's valid ``whsec_...`` secrets, newest first (one, except during a
            rotation's grace period).
        message_id: The event's id (stable across retries).
        timestamp: Signing time (aware UTC).
        body: The exact JSON text that will be sent.

    Returns:
        ``{"webhook-id", "webhook-timestamp", "webhook-signature"}``; the signature header holds
        one ``v1,...`` value per secret, space-separated.

    Raises:
        ValueError: ``secrets`` is empty.
    """
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    signature = " ".join(Webhook(s).sign(msg_id=message_id, timestamp=timestamp, data=body) for s in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
