# Quick start:  make leaflets   (set up everything, build every leaflet)
#               make test       (set up everything, run the full test suite)
# Setup installs what is missing with apt (root or sudo), then a virtual
# environment in .venv with the Python dependencies from pyproject.toml.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Pango for WeasyPrint; harfbuzz-subset for fast font subsetting (else a slow
# fontTools fallback); Noto fonts for every script; poppler, gettext and
# Chromium (driven by Playwright) for tests.
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
                fonts-noto-core fonts-noto-cjk poppler-utils gettext chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup system leaflets test lint bench clean

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

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

leaflets: setup
	$(BIN)/leafletgen build

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check leafletgen tests generate.py
	$(BIN)/mypy leafletgen

clean:
	rm -rf out .pytest_cache

bench: setup
	$(BIN)/python benchmarks/build.py
	$(BIN)/python benchmarks/textlayer.py
	$(BIN)/python benchmarks/load.py
