# The two commands a new user needs: `make demo` and `make test`. Each sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Debian packages: libmagic1 for iiif-validator, postgresql for catalog tests,
# chromium for the browser test, strace for the crash-point test; `make bench-tools` adds what the benches run
# beside Muniment: IIPImage behind lighttpd and the wrk load generator (bench/iiif.py).
# OCR: Tesseract, its language data and what tesserocr builds against (it links Debian's libtesseract,
# so the language packs installed here are the ones it reads); DejaVu fonts draw the OCR tests' pages.
DEBIAN_OCR_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu libtesseract-dev \
  libleptonica-dev pkg-config g++
DEBIAN_BENCH_PACKAGES := lighttpd iipimage-server wrk
DEBIAN_TEST_PACKAGES := libmagic1 postgresql chromium strace fonts-dejavu-core $(DEBIAN_OCR_PACKAGES)
NODE_STAMP := app/web/static/vendor/.installed

.PHONY: demo test lint bench bench-tools setup debian debian-ocr node wheel clean-demo

# The demo installs what running needs (OCR included: tesserocr builds against Debian's Tesseract);
# tests, lint and benchmarks add the development tools.
$(STAMP): pyproject.toml | debian-ocr
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-binary tesserocr -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --no-binary tesserocr -e '.[dev]'
	touch $(DEV_STAMP)

setup: $(DEV_STAMP)

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "Please install these Debian packages (as root):$$missing"; exit 1; fi; \
	fi
endef

debian:
	$(call apt_install,$(DEBIAN_TEST_PACKAGES))

debian-ocr:
	$(call apt_install,$(DEBIAN_OCR_PACKAGES))

bench-tools:
	$(call apt_install,$(DEBIAN_BENCH_PACKAGES))

# Mirador comes from the npm registry at setup (no CDN at run time); node and npm are needed once.
$(NODE_STAMP): package.json package-lock.json app/web/static/build.sh
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; \
	  else echo "Please install Node.js and npm (Debian: nodejs npm)"; exit 1; fi; }
	bash app/web/static/build.sh

node: $(NODE_STAMP)

demo: $(STAMP) $(NODE_STAMP)
	$(BIN)/muniment demo

test: $(DEV_STAMP) debian $(NODE_STAMP)
	$(BIN)/pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app repo ingest iiif storage
	$(BIN)/lint-imports

bench: $(DEV_STAMP)
	@echo "Benchmarks: $(BIN)/python bench/storage.py (and the others in bench/)"

# A wheel for `pip install` users, with the Mirador bundle inside (app/web/static is package data).
wheel: $(STAMP) $(NODE_STAMP)
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .
	@ls dist/*.whl

clean-demo:
	rm -rf muniment-data
