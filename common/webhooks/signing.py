"""Standard Webhooks signatures, through the ``standardwebhooks`` library.

Headers: ``webhook-id`` (unique per event, the same on every retry so receivers can dedupe),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` over
``{id}.{timestamp}.{body}`` with the tenant's ``whsec_`` secret).

Source: Standard Webhooks specification, https://www.standardwebhooks.com/ ("Signature scheme").
"""

from __future__ import annotations

from datetime import datetime

from standardwebhooks import Webhook

__all__ = ["signed_headers"]


def signed_headers(secret: str, *, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """Headers that sign ``body`` for delivery.

    Args:
        secret: The tenant's ``whsec_...`` secret.
        message_id: The event's id (stable across retries).
        timestamp: Signing time (aware UTC).
        body: The exact JSON text that will be sent.

    Returns:
        ``{"webhook-id", "webhook-timestamp", "webhook-signature"}``.
    """
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
