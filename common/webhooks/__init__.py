"""Callbacks: URL policy (SSRF refusal), the thin event, and Standard Webhooks signing."""
