# Two commands for a fresh machine: `make demo` and `make test`.
# uv is installed with pip when missing; .python-version pins Python 3.13. The `mcp` extra
# (fastmcp, for `agentjobs mcp serve`) is installed too: its tests run in `make test`.
PY ?= python3
UV := $(PY) -m uv

.PHONY: setup tools demo test lint bench

setup:
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --quiet --extra mcp
	@$(UV) run --frozen python -m common.devstack.tool_envs >/dev/null

# checkov's own locked environment (tools/checkov/.venv), used by tests/deploy.
tools: setup
	@$(UV) sync --frozen --quiet --project tools/checkov

demo: setup
	$(UV) run --frozen agentjobs demo

test: setup tools
	$(UV) run --frozen pytest

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen pyright
	terraform fmt -check -recursive terraform

bench: setup
	$(UV) run --frozen python benchmarks/cold_start.py
	$(UV) run --frozen python benchmarks/cli_startup.py
	$(UV) run --frozen python benchmarks/protocol_accuracy.py
	$(UV) run --frozen python benchmarks/protocol_speed.py
	$(UV) run --frozen python benchmarks/judges_overhead.py
	$(UV) run --frozen python benchmarks/judges_detection.py
