"""Which model a job uses.

One setting picks the default (``AGENTJOBS_MODEL``, mirascope's ``provider/model`` form), an
agent may override it (``AGENTJOBS_MODEL__<AGENT>``), and a request may pick another model only
from its tenant's allow-list (the usage plan's ``model_permissions``, or the legacy
``allowed_models`` of a tenant without a plan).
"""

from __future__ import annotations

import re

from common.agents.registry import NEEDS_MODEL, model_not_configured_message
from common.config import Settings
from common.errors import Forbidden, UnprocessableEntity
from common.tenants.models import Tenant

__all__ = ["MODEL_ID_PATTERN", "ModelNotConfigured", "ModelPolicy"]

MODEL_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(:[a-z]+)?/[A-Za-z0-9._:/-]{1,128}$")


class ModelNotConfigured(UnprocessableEntity):
    """The agent needs a model and the deployment configures none (HTTP 422)."""

    code = "model_not_configured"


class ModelPolicy:
    """Selects the model of a job from settings, the request and the tenant's allow-list."""

    def __init__(self, settings: Settings):
        self._settings = settings

    def select(self, agent: str, requested: str | None, tenant: Tenant) -> str:
        """The ``provider/model`` for a job, or ``""`` when none is configured.

        Args:
            agent: Agent name.
            requested: The request's model override, if any.
            tenant: The requesting tenant.

        Raises:
            UnprocessableEntity: ``invalid_model`` when ``requested`` is not ``provider/model``.
            Forbidden: ``model_not_allowed`` when ``requested`` is not on the tenant's allow-list.
            ModelNotConfigured: ``model_not_configured`` when the agent needs a model and neither
                the request nor the settings name one.
        """
        default = self._settings.model_for(agent)
        if requested is None or requested == default:
            if not default and agent in NEEDS_MODEL:
                raise ModelNotConfigured(model_not_configured_message(agent))
            return default
        if not MODEL_ID_PATTERN.fullmatch(requested):
            raise UnprocessableEntity("model must have the form provider/model", code="invalid_model")
        if requested not in tenant.model_permissions:
            raise Forbidden("this model is not on the tenant's allow-list", code="model_not_allowed")
        return requested
