# Quick start:  make leaflets   (set up everything, build every leaflet)
#               make test       (set up everything, run the full test suite)
#               make test-fast  (the same, without real PDFs and the browser)
# Setup installs what is missing with apt (root or sudo), then a virtual
# environment in .venv with exactly the Python packages in requirements.lock
# (hash-checked). The environment is rebuilt from scratch whenever the lock or
# pyproject.toml changes. `make lock` refreshes the lock, deliberately.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
# `make lock` upgrades everything; `make lock UPGRADE="--upgrade-package babel"` one package.
UPGRADE ?= --upgrade
# Pango for WeasyPrint; harfbuzz-subset for fast font subsetting (else a slow
# fontTools fallback); Noto fonts for every script; poppler, gettext and
# Chromium (driven by Playwright) for tests.
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
                fonts-noto-core fonts-noto-cjk poppler-utils gettext chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup system leaflets test test-fast lint lock bench clean

setup: system $(VENV)/.installed

system:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

# Every package, pip and setuptools included, comes from the lock with its hash;
# leafletgen itself is installed editable with no dependencies and no isolated
# build environment (which would fetch an unpinned setuptools).
$(VENV)/.installed: $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

# Re-resolve every dependency (runtime, serve, dev, and the build tools) to the
# newest versions pyproject.toml allows, with hashes. Review the diff, run
# `make test`, and commit the lock on its own: an upgrade is a deliberate commit.
lock: setup
	printf 'pip\nsetuptools>=77\n' | $(BIN)/uv pip compile pyproject.toml - --extra dev --extra serve --extra cluster \
	  --generate-hashes --python-version 3.11 $(UPGRADE) --quiet -o $(LOCK)

leaflets: setup
	$(BIN)/leafletgen build

# One pytest-xdist worker per core, work stolen from the busy one (the session's PDFs are built
# once and shared, tests/conftest.py). Bytecode and pytest's rewritten test modules are cached in
# __pycache__ (ignored by git) even where PYTHONDONTWRITEBYTECODE is set, so a second run
# compiles nothing again.
# The tests' scratch folders go to /dev/shm where it is a memory file system with room to
# spare (2 GB free; Docker's default is 64 MB): a run creates and removes some 70,000 small files.
TEST_TMP := $(shell [ -w /dev/shm ] && [ "$$(df -Pk /dev/shm | awk 'NR==2 {print $$4}')" -gt 2097152 ] \
                    && echo /dev/shm || echo "$${TMPDIR:-/tmp}")
PYTEST := env -u PYTHONDONTWRITEBYTECODE TMPDIR=$(TEST_TMP) $(BIN)/pytest -n auto --dist worksteal

test: setup
	$(PYTEST)

# The fast tier: everything but real PDFs (WeasyPrint), the browser (Chromium) and the slow
# tests (processes started and waited for, whole commands over every shipped catalog again and again).
test-fast: setup
	$(PYTEST) -m "not pdf and not browser and not slow"

lint: setup
	$(BIN)/ruff check leafletgen tests benchmarks generate.py
	$(BIN)/mypy leafletgen
	$(BIN)/lint-imports

clean:
	rm -rf out .pytest_cache

bench: setup
	$(BIN)/python benchmarks/build.py
	$(BIN)/python benchmarks/catalogs.py
	$(BIN)/python benchmarks/textlayer.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/cluster.py
