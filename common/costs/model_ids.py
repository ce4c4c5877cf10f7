"""mirascope model ids to price-list lookups. Pure.

mirascope names a model ``provider/model[:api]``: ``openai/gpt-4o-mini``,
``openai/gpt-4o-mini:completions`` (the ``:completions``/``:responses`` suffix picks OpenAI's
wire API, it is not part of the model), ``anthropic/claude-sonnet-4-5``, ``ollama/llama3.1:8b``
(here ``:8b`` *is* part of the model). Source: mirascope 2.8 ``llm/providers/openai/model_id.py``.
"""

from __future__ import annotations

__all__ = ["PRICE_PROVIDERS", "price_provider", "split_model_id"]

_API_SUFFIXES = (":completions", ":responses")

PRICE_PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "mistral": "mistral",
    "groq": "groq",
    "xai": "x-ai",
    "together": "together",
    "azure": "azure",
    "bedrock": "aws",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "fireworks": "fireworks",
    "cohere": "cohere",
    "cerebras": "cerebras",
    "moonshot": "moonshotai",
}
"""mirascope provider id → genai-prices provider id. Providers that serve models you host
(``ollama``, ``mlx``, vLLM behind ``ollama/``) have no list price: use a tenant override."""


def split_model_id(model_id: str) -> tuple[str, str]:
    """``(provider, model)`` of a mirascope model id, without an OpenAI ``:api`` suffix.

    Examples: ``openai/gpt-4o-mini:completions`` → ``("openai", "gpt-4o-mini")``;
    ``ollama/hf.co/org/model:Q4`` → ``("ollama", "hf.co/org/model:Q4")``.

    Raises:
        ValueError: ``model_id`` has no ``provider/`` prefix.
    """
    provider, slash, model = model_id.partition("/")
    if not slash or not provider or not model:
        raise ValueError("model ids have the form provider/model")
    if provider == "openai":
        for suffix in _API_SUFFIXES:
            model = model.removesuffix(suffix)
    return provider, model


def price_provider(provider: str) -> str | None:
    """The genai-prices provider id for a mirascope provider, or ``None`` when it has no list price."""
    return PRICE_PROVIDERS.get(provider.lower())
