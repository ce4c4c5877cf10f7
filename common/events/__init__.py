"""Job events: the per-job log of state changes and stages (SSE, Pub/Sub)."""
