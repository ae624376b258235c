# Two commands: `make run` (set up, serve at http://127.0.0.1:8000 and run the task worker) and `make test` (set up and run every test).
# Everything else here is what those two need.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# A Python >= 3.12: the first of these that is new enough.
PYTHON_CANDIDATES := python3.13 python3.12 python3.14 python3 python
FIND_PYTHON = for p in $(PYTHON_CANDIDATES); do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    command -v $$p; exit 0; fi; done; exit 1

# Debian packages: WeasyPrint's libraries (quote PDFs) for both commands, Chromium for the browser tests.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_PACKAGES := chromium

.PHONY: run test setup migrate static bench clean system-packages test-packages

run: export DJANGO_DEBUG ?= 1
run: export DJANGO_HTTPS ?= 0
# The Procfile's lines (gunicorn and the task worker) under a small supervisor; Ctrl-C stops both.
run: system-packages setup migrate static
	HOST=$(HOST) PORT=$(PORT) $(PY) -m pricing_site.procfile Procfile

test: system-packages test-packages setup static
	$(VENV)/bin/pytest

setup: $(VENV)/.installed

# Installs what is missing when this user may (root with apt-get); otherwise says what to install.
system-packages:
	@$(call ensure_debian_packages,$(SYSTEM_PACKAGES))

test-packages:
	@$(call ensure_debian_packages,$(TEST_PACKAGES))

define ensure_debian_packages
missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    echo "Installing Debian packages: $$missing"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
  else \
    echo "Missing Debian packages: $$missing (sudo apt-get install $$missing)" >&2; \
  fi; \
fi
endef

$(VENV)/.installed: pyproject.toml
	@python=$$($(FIND_PYTHON)) || { \
	  echo "No Python 3.12 or newer found (tried: $(PYTHON_CANDIDATES))." >&2; \
	  echo "Install one, e.g. 'apt-get install python3.12' or 'pyenv install 3.13', then run make again." >&2; \
	  exit 1; }; \
	echo "Using $$python ($$($$python --version))"; \
	[ -x $(PY) ] || $$python -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

migrate: setup
	$(PY) manage.py migrate --noinput

static: setup
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py collectstatic --noinput --verbosity 0

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
