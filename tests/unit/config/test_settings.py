import pytest

from common.config import ConfigError, Settings


def test_defaults_are_values_not_descriptors():
    settings = Settings.from_env({})
    assert settings.max_attempts == 5 and settings.bucket == "agentjobs-dev" and settings.default_model == ""
    assert (
        settings.lease_seconds == 30.0 and settings.heartbeat_seconds == 10.0 and not settings.allow_loopback_callbacks
    )


def test_environment_overrides_and_per_agent_models():
    settings = Settings.from_env(
        {
            "GOOGLE_CLOUD_PROJECT": "prod",
            "AGENTJOBS_MAX_ATTEMPTS": "3",
            "AGENTJOBS_MODEL": "openai/gpt-4o-mini",
            "AGENTJOBS_MODEL__CRITERIA_EVALUATOR": "ollama/llama3.1:8b",
            "AGENTJOBS_DEV_ALLOW_LOOPBACK_CALLBACKS": "true",
            "AGENTJOBS_PUBLIC_BASE_URL": "https://api.example.com/",
        }
    )
    assert settings.project == "prod" and settings.max_attempts == 3
    assert settings.model_for("criteria-evaluator") == "ollama/llama3.1:8b"
    assert settings.model_for("protocol-processor") == "openai/gpt-4o-mini"
    assert settings.allow_loopback_callbacks and settings.public_base_url == "https://api.example.com"


def test_api_key_is_not_in_the_repr():
    assert "sk-secret" not in repr(Settings.from_env({"AGENTJOBS_MODEL_API_KEY": "sk-secret"}))


def test_bad_numbers_are_a_clear_error():
    with pytest.raises(ConfigError, match="AGENTJOBS_MAX_ATTEMPTS"):
        Settings.from_env({"AGENTJOBS_MAX_ATTEMPTS": "many"})
