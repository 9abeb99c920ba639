# The two entry points of a fresh machine: `make synth` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK8S_CHECK_UPGRADE := false

.PHONY: synth test lint install schema imports diagrams diagram-deps kubectl-deps dagster-venv smoke-deps scan bench bench-quick

# pyproject.toml holds compatible ranges; constraints.txt the exact versions installed here and in CI.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Dagster itself, pinned, for the validators and the smoke test (its own venv: its pins are its
# own), and the servers the smoke test boots (Debian's rabbitmq-server and redis-server, the
# PostgreSQL binaries; apt-get, as root). Both scripts are idempotent.
dagster-venv:
	bash scripts/dagster-venv.sh

smoke-deps: dagster-venv
	bash scripts/smoke-deps.sh

# Graphviz's `dot` for `--diagram FILE.svg` (Debian's graphviz; apt-get, as root; idempotent).
diagram-deps:
	bash scripts/diagram-deps.sh

# `kubectl kustomize` for the namespace-overlay tests (Debian's kubernetes-client; apt-get, as
# root; idempotent).
kubectl-deps:
	bash scripts/kubectl-deps.sh

# checkov, pinned, in a venv of its own (it pins an old `packaging`).
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed: scripts/checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r scripts/checkov-requirements.txt
	touch $@

install: $(BIN)/.installed node_modules/.installed smoke-deps diagram-deps kubectl-deps $(CHECKOV_VENV)/.installed

# Synthesize the default system (Celery-on-K8s with RabbitMQ) into dist/; also installs the pinned
# cdk8s CLI (node_modules), so that `npx cdk8s synth` works next.
synth: $(BIN)/.installed node_modules/.installed
	$(BIN)/python main.py

# Regenerate the JSON schema of the accepted Helm values after changing the values model.
schema: $(BIN)/.installed
	$(BIN)/python -c "from constructs_lib.helm.schema import write; print(write())"

# The README's pictures: the default system, the Celery-less one and Celery with KEDA.
DIAGRAMS := celery-rabbitmq k8s celery-autoscaling
diagrams: $(BIN)/.installed diagram-deps
	@for v in $(DIAGRAMS); do \
	    $(BIN)/python main.py --variant $$v --outdir $$(mktemp -d) --diagram docs/diagrams/$$v.svg >/dev/null || exit 1; \
	done
	@ls docs/diagrams/*.svg

# Regenerate the typed bindings in imports/ from the CRDs cdk8s.yaml imports (KEDA's, read
# offline from ../shared/crds); commit the result. Packaged as constructs_lib._imports.
imports: node_modules/.installed
	rm -rf imports/keda_*
	npx cdk8s import

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

# The scanner gate: checkov, offline, over the default and hardened output (scripts/checkov_gate.py).
scan: $(BIN)/.installed $(CHECKOV_VENV)/.installed
	$(BIN)/python scripts/checkov_gate.py

# Lint, type-check, run every test and the scanner gate.
test: install lint
	$(BIN)/python -m pytest
	$(MAKE) scan

# Synthesis speed next to a bare cdk8s app and Helm's Go SDK rendering the official chart:
# prints a markdown table and writes bench/RESULTS.md (a few minutes). bench-quick proves the
# bench works (small sizes, no file written; .ci/run runs it, with no timing assertion).
bench: $(BIN)/.installed
	$(BIN)/python -m bench.run

bench-quick: $(BIN)/.installed
	$(BIN)/python -m bench.run --quick
