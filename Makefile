# wsgi-stack: every target creates what it needs (the venv first). `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# One install stamp per extra of pyproject.toml: `make dev` installs only the runtime, `make lint`
# the linters; `make venv` and the test targets install the union (the `dev` extra).
STAMP  := $(VENV)/.installed-dev

# Dev server (make dev PORT=5001 HOST=0.0.0.0).
PORT ?= 5000
# Load-test knobs (make load USERS=50 SPAWN_RATE=10 RUN_TIME=1m HOST=http://localhost:8080).
# Without HOST, `make load` targets the compose stack's port: HTTP_PORT from the environment or
# .env, else 8080.
USERS      ?= 20
SPAWN_RATE ?= 5
RUN_TIME   ?= 30s
LOCUST_ARGS ?=

.PHONY: help venv dev test coverage test-fast test-swarm lint fmt build-certs standins up down logs \
        stack stack-down bench bench-http load contract resilience audit lock dev-docker \
        swarm-up swarm-down \
        k8s-sync clean
# Every venv stamp is a real file that later runs rely on: never delete it as intermediate.
.PRECIOUS: $(VENV)/.installed-%

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# docker-compose.yml's app_secret_key: every target that needs the venv (`make dev`, `make test`)
# writes a random one once, so a bare `docker compose up --build` works after them; never replaced.
DEV_KEY := secrets/app_secret_key
$(DEV_KEY):
	$(PYTHON) -m devtools.dev_secret $@

# What is tested is what ships: every venv installs from a hashed lock (`make lock` writes both),
# then this project itself without resolving anything again. `runtime` takes requirements.txt,
# every other stamp the dev lock, which holds all the extras.
# Order-only: the dev key (below) is made when missing, without reinstalling anything.
$(VENV)/.installed-%: pyproject.toml requirements.txt requirements-dev.txt | $(DEV_KEY)
	@test -x $(BIN)/python || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --upgrade pip; }
	$(BIN)/pip install --quiet --require-hashes -r $(if $(filter runtime,$*),requirements.txt,requirements-dev.txt)
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

venv: $(STAMP) ## Create .venv from the hashed locks: the runtime and every dev tool

dev: $(VENV)/.installed-runtime build-certs ## Dev server with reloader and debugger (PORT=5000, HOST=127.0.0.1)
	APP_DEBUG=1 APP_DIAGNOSTICS=1 $(BIN)/python -m wsgistack.devserver --port "$(PORT)" --host "$(or $(HOST),127.0.0.1)"

test: $(STAMP) build-certs ## Run the whole test suite (Swarm tests: make test-swarm)
	$(BIN)/pytest $(PYTEST_ARGS)

# The hosted CI's test job: the whole suite, failing when line coverage of the shipped packages
# drops under the floor.
COVERAGE_FLOOR ?= 80
coverage: $(STAMP) ## make test with coverage of app/, flasklite/ and wsgistack/ (COVERAGE_FLOOR=80)
	$(BIN)/pytest --cov=app --cov=flasklite --cov=wsgistack --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

test-fast: $(STAMP) ## Framework, service, route smoke and template checks, no servers (< 1 min)
	$(BIN)/pytest -q -m "not slow and not docker and not nginx and not swarm" \
	    tests/framework tests/service tests/smoke $(wildcard tests/template) $(PYTEST_ARGS)

test-swarm: $(STAMP) ## The Swarm tests: they join and leave a swarm on this engine
	$(BIN)/pytest -m swarm $(PYTEST_ARGS)

lint: $(VENV)/.installed-lint ## ruff (lint + format check), mypy, hadolint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

fmt: $(VENV)/.installed-lint ## Format and autofix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

build-certs: ## Give image builds the host's CA bundle (certs/README.md); no-op without one
	@$(PYTHON) -m devtools.host_ca

standins: build-certs ## No registry? Build local base images once and point .env at them
	bash .ci/standins.sh --env-file .env

up: build-certs $(if $(APP_SECRET_KEY_PATH),,$(DEV_KEY)) ## docker compose up --build, waiting until healthy (http://localhost:$HTTP_PORT, 8080)
	docker compose up --build --detach --wait

down: ## Stop the compose stack
	docker compose down

logs: ## Follow the compose stack's logs
	docker compose logs --follow --tail=100

stack: $(VENV)/.installed-runtime ## nginx + gunicorn natively on loopback (STACK_PORT, default 8080)
	$(BIN)/python -m devtools.native_stack up

stack-down: $(VENV)/.installed-runtime ## Stop the native stack
	$(BIN)/python -m devtools.native_stack down

# BENCH_QUICK=1: a smoke run (fewer, shorter rounds) that proves the benchmarks work, not a measurement.
BENCH_QUICK ?=
bench: $(VENV)/.installed-bench ## In-process dispatch: bare WSGI, werkzeug, flasklite, Flask, Bottle, Falcon; metrics cost (BENCH_QUICK=1)
	$(BIN)/python -m bench.dispatch $(if $(BENCH_QUICK),--quick)
	$(BIN)/python -m bench.metrics_cost $(if $(BENCH_QUICK),--calls 2000)

bench-http: $(VENV)/.installed-bench ## HTTP benchmark: gunicorn and nginx, bare callable vs this app
	$(BIN)/python -m bench.http

load: $(VENV)/.installed-test ## Headless locust run, server p50/p99 beside it (HOST, USERS, SPAWN_RATE, RUN_TIME, LOCUST_ARGS)
	$(BIN)/python -m devtools.load_metrics -- $(BIN)/python -m devtools.load $(if $(HOST),--host $(HOST)) --users $(USERS) --spawn-rate $(SPAWN_RATE) --run-time $(RUN_TIME) $(if $(LOCUST_ARGS),-- $(LOCUST_ARGS))

contract: $(STAMP) ## The same app under five servers: print the environ each one passes
	$(BIN)/python -m devtools.contract

resilience: $(STAMP) ## Fault scenarios against the native stack, with a verdict table
	$(BIN)/python -m devtools.resilience

# Strict: a dependency that could not be looked up fails the audit instead of passing silently;
# devtools.audit then names the PyPI JSON endpoint that did not answer for it.
audit: $(VENV)/.installed-audit ## pip-audit the runtime lock, requirements.txt (needs PyPI's JSON API)
	$(BIN)/python -m devtools.audit --requirement requirements.txt

# Universal (one lock for every platform and Python >= 3.11), hashed, from pyproject.toml alone.
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"
lock: $(VENV)/.installed-lock ## Re-resolve pyproject.toml into requirements.txt and requirements-dev.txt
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_ARGS) -o requirements.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(LOCK_ARGS) -o requirements-dev.txt

# The app behind the same nginx, reloading on every edit of app/ or flasklite/ (docs/development.md).
dev-docker: build-certs ## Compose stack with the reloader: edits to app/ and flasklite/ are live
	docker compose -f docker-compose.yml -f compose.dev.yaml up --build

swarm-up: build-certs ## Deploy the stack on a single-node Docker Swarm
	$(PYTHON) -m devtools.swarm up

swarm-down: ## Remove the swarm stack
	$(PYTHON) -m devtools.swarm down

k8s-sync: ## Copy nginx/ into deploy/k8s/base/nginx/ (kustomize reads only inside its folder)
	$(PYTHON) deploy/k8s/sync_nginx.py

# new-service: template-only-start
.PHONY: new-service
# copier (copier.yml) copies the last commit; its task formats the renamed files with the venv's
# ruff, so the copy's `make lint` passes. The copy gets its first commit: `copier update` needs it.
new-service: $(VENV)/.installed-template ## Copy this template: make new-service NAME=billing DEST=../billing (DATABASE=no)
	$(BIN)/python -m devtools.new_service --name "$(NAME)" --dest "$(DEST)" $(if $(filter no false 0,$(DATABASE)),--no-database)
# new-service: template-only-end

clean: ## Remove the venv, caches and run output
	rm -rf $(VENV) .run .mypy_cache .ruff_cache .pytest_cache bench/results loadtests/results

.PHONY: certs
certs: $(STAMP) ## Local CA + certificate for localhost and the compose names into secrets/ (docs/edge.md)
	$(BIN)/python -m devtools.certs $(if $(NAMES),$(foreach n,$(NAMES),--name $(n)))
# --- The database (docs/database.md) ---------------------------------------------------------
.PHONY: migrate revision db-backup db-restore

migrate: $(STAMP) ## Migrate DATABASE_URL's database to head (default: the dev SQLite file)
	$(BIN)/python -m app.migrate upgrade

revision: $(STAMP) ## New migration script in app/migrations/versions: make revision MSG="add x"
	@test -n "$(MSG)" || { echo 'revision: say what it changes, MSG="add a column"' >&2; exit 2; }
	$(BIN)/python -m app.migrate revision -m "$(MSG)"
	$(BIN)/ruff format --quiet app/migrations/versions

# pg_dump's custom format (-Fc): compressed, and pg_restore can restore it selectively.
db-backup: ## pg_dump the compose stack's database to BACKUP (default backups/db-<time>.dump)
	@set -euo pipefail; file="$(or $(BACKUP),backups/db-$$(date +%Y%m%d-%H%M%S).dump)"; \
	mkdir -p "$$(dirname "$$file")"; \
	docker compose exec -T db sh -c 'pg_dump -Fc -U "$$POSTGRES_USER" "$$POSTGRES_DB"' >"$$file.partial"; \
	mv "$$file.partial" "$$file"; echo "backup written to $$file"

db-restore: ## pg_restore BACKUP into the compose stack's database, replacing what it holds
	@set -euo pipefail; test -f "$(BACKUP)" || { echo 'db-restore: BACKUP=path/to/file.dump' >&2; exit 2; }; \
	docker compose exec -T db sh -c \
	  'pg_restore --clean --if-exists --no-owner --single-transaction -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"' <"$(BACKUP)"; \
	echo "restored $(BACKUP)"
