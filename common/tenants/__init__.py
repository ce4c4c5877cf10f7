"""Tenants: ids, API keys, webhook secrets and the tenant record. Pure: imports no SDK."""
