"""The agents. Each lives in its own sub-package and is loaded by name through :mod:`common.agents.registry`."""
