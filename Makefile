# plebiscite — two commands: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all demo test lint system-deps test-deps vendor booth-sri bench-booth booth-screens clean

all: $(STAMP)

# System packages: only what PyPI cannot give — libsodium for ristretto255; for the tests also a PostgreSQL server
# (the PostgreSQL board path is tested against a real one) and Chromium (the booth is tested in a real browser).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

system-deps:
	@$(PY) -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('sodium') else 1)" \
	  || (apt-get update -qq && $(APT_INSTALL) libsodium23)

test-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && $(APT_INSTALL) postgresql)
	@test -x /usr/bin/chromium || (apt-get update -qq && $(APT_INSTALL) chromium fonts-dejavu-core)
	@test -d booth/node_modules/playwright-core -a -d booth/node_modules/axe-core || npm ci --prefix booth --no-audit --no-fund

# After changing booth/package.json: re-vendor the noble libraries into the booth and refresh SRI hashes.
vendor:
	npm ci --prefix booth --no-audit --no-fund
	node scripts/vendor-booth.mjs

# After editing anything under src/plebiscite/booth/static/: refresh the pages' integrity attributes.
booth-sri:
	node scripts/vendor-booth.mjs --sri

bench-booth:
	node bench/booth.mjs

# Screenshots of every booth screen in uk/ru/en at 360 and 1280 px, for review (not committed):
# test-artifacts/booth/screens/ and, for the steps the scenarios reach, test-artifacts/booth/*.png.
booth-screens: $(STAMP) test-deps
	BOOTH_SCREENS=1 $(BIN)/pytest -q tests/booth/test_browser.py -k voting_scenarios

$(STAMP): pyproject.toml | system-deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,scale]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/plebiscite demo --http --voters 200 --trustees 3 --threshold 2 --record demo-record

# Two test processes by default (TEST_WORKERS=0 runs them in one): most tests wait on servers and subprocesses.
TEST_WORKERS ?= 2
test: $(STAMP) test-deps
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo-record .pytest_cache
