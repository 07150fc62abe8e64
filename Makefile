# wsgi-stack: every target creates what it needs (the venv first). `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Load-test knobs (make load USERS=50 SPAWN_RATE=10 RUN_TIME=1m HOST=http://localhost:8080)
USERS      ?= 20
SPAWN_RATE ?= 5
RUN_TIME   ?= 30s
HOST       ?= http://localhost:8080
LOCUST_ARGS ?=

.PHONY: help venv dev test lint fmt up down logs stack stack-down bench bench-http load \
        contract resilience audit swarm-up swarm-down k8s-sync new-service clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -e '.[dev]'
	@touch $@

venv: $(STAMP) ## Create .venv with the pinned runtime and the dev tools

dev: $(STAMP) ## Dev server with reloader and debugger on http://127.0.0.1:5000
	APP_DEBUG=1 APP_DIAGNOSTICS=1 $(BIN)/python -m app

test: $(STAMP) ## Run the whole test suite (stack/compose tests skip locally without nginx/Docker)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint + format check), mypy, hadolint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

fmt: $(STAMP) ## Format and autofix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

up: ## docker compose up --build, waiting until healthy (http://localhost:8080)
	$(if $(APP_SECRET_KEY_PATH),,$(PYTHON) -m devtools.dev_secret)
	docker compose up --build --detach --wait

down: ## Stop the compose stack
	docker compose down

logs: ## Follow the compose stack's logs
	docker compose logs --follow --tail=100

stack: $(STAMP) ## nginx + gunicorn natively on loopback (port STACK_PORT, default 8080)
	$(BIN)/python -m devtools.native_stack up

stack-down: $(STAMP) ## Stop the native stack
	$(BIN)/python -m devtools.native_stack down

bench: $(STAMP) ## In-process dispatch benchmark: bare WSGI / werkzeug / this framework / Flask
	$(BIN)/python -m bench.dispatch

bench-http: $(STAMP) ## HTTP benchmark: gunicorn and nginx, bare callable vs this app
	$(BIN)/python -m bench.http

load: $(STAMP) ## Headless locust run against HOST (USERS, SPAWN_RATE, RUN_TIME, LOCUST_ARGS)
	$(BIN)/python -m devtools.load --host $(HOST) --users $(USERS) --spawn-rate $(SPAWN_RATE) --run-time $(RUN_TIME) $(if $(LOCUST_ARGS),-- $(LOCUST_ARGS))

contract: $(STAMP) ## The same app under five servers: print the environ each one passes
	$(BIN)/python -m devtools.contract

resilience: $(STAMP) ## Fault scenarios against the native stack, with a verdict table
	$(BIN)/python -m devtools.resilience

# --strict: a dependency that could not be looked up fails the audit instead of passing silently
# (pip-audit asks PyPI's JSON API, which some mirrors and proxies do not serve).
audit: $(STAMP) ## pip-audit the pinned runtime dependencies (needs PyPI's JSON API)
	$(BIN)/pip-audit --strict --no-deps --requirement requirements.txt

swarm-up: ## Deploy the stack on a single-node Docker Swarm
	$(PYTHON) -m devtools.swarm up

swarm-down: ## Remove the swarm stack
	$(PYTHON) -m devtools.swarm down

k8s-sync: ## Copy nginx/ into deploy/k8s/base/nginx/ (kustomize reads only inside its folder)
	$(PYTHON) deploy/k8s/sync_nginx.py

new-service: ## Copy this template: make new-service NAME=billing DEST=../billing
	@test -f devtools/new_service.py || { echo "new-service: this is a service made from the template; run it in the template's checkout" >&2; exit 2; }
	$(PYTHON) -m devtools.new_service --name "$(NAME)" --dest "$(DEST)"

clean: ## Remove the venv, caches and run output
	rm -rf $(VENV) .run .mypy_cache .ruff_cache .pytest_cache bench/results loadtests/results
