"""Messages: what arrives at ``run_agent`` (CloudEvents, Pub/Sub push) and what ``submit`` publishes."""
