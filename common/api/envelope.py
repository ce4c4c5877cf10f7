"""The submit envelope's field names, free to import (no pydantic).

A submit body is an agent's input fields plus these; :mod:`common.api.schemas` describes them
for the OpenAPI document, and :mod:`common.services.submit` splits them off before validating
the agent's input.
"""

from __future__ import annotations

__all__ = ["SUBMIT_ENVELOPE_FIELDS"]

SUBMIT_ENVELOPE_FIELDS = ("callback_url", "metadata", "model")
"""The envelope's fields (beside any agent's input fields)."""
