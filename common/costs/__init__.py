"""Cost per model call and per job, in USD, with provenance.

Prices come from ``genai-prices``' bundled data at each call's request time, or from a tenant's
:class:`~common.costs.models.PriceOverride`. Unknown models are unpriced, never $0. Importing
this package is cheap: the price table loads on the first :func:`price_call`.
"""

from common.costs.model_ids import price_provider, split_model_id
from common.costs.models import PRICE_SOURCE_OVERRIDE, CallCost, Cost, PriceOverride
from common.costs.pricing import genai_prices_source, price_call, price_job

__all__ = [
    "PRICE_SOURCE_OVERRIDE",
    "CallCost",
    "Cost",
    "PriceOverride",
    "genai_prices_source",
    "price_call",
    "price_job",
    "price_provider",
    "split_model_id",
]
