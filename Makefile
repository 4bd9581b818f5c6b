# plebiscite — two commands: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all native demo test lint system-deps test-deps vendor booth-sri bench-booth booth-screens clean

all: $(STAMP) native

# The native engine (docs/native.md): the Rust crate in native/, built in release mode by maturin into the venv as
# the module plebiscite_native. Optional: without cargo (https://rustup.rs) everything runs on the reference engine.
CARGO ?= $(shell command -v cargo 2>/dev/null || echo $(HOME)/.cargo/bin/cargo)
CARGO_ENV := PATH="$(dir $(CARGO)):$$PATH" CARGO_BUILD_JOBS=2
NATIVE_STAMP := $(VENV)/.native
NATIVE_SRC := native/Cargo.toml native/Cargo.lock native/pyproject.toml $(wildcard native/src/*.rs native/src/*/*.rs)
HAVE_CARGO = test -x "$(CARGO)"
NO_CARGO = echo "cargo not found: the native engine is not built, everything runs on the reference engine (docs/native.md)"

native: $(NATIVE_STAMP)

$(NATIVE_STAMP): $(STAMP) $(NATIVE_SRC)
	@if $(HAVE_CARGO); then \
	  $(BIN)/pip install -q 'maturin>=1.5,<2' && \
	  cd native && $(CARGO_ENV) VIRTUAL_ENV="$(abspath $(VENV))" "$(abspath $(BIN))/maturin" develop --release --locked -q \
	  && touch "$(abspath $(NATIVE_STAMP))"; \
	else $(NO_CARGO); fi

# System packages: only what PyPI cannot give — libsodium for ristretto255; for the tests also a PostgreSQL server
# (the PostgreSQL board path is tested against a real one) and Chromium (the booth is tested in a real browser).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

system-deps:
	@$(PY) -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('sodium') else 1)" \
	  || (apt-get update -qq && $(APT_INSTALL) libsodium23)

test-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && $(APT_INSTALL) postgresql)
	@test -x /usr/bin/chromium || (apt-get update -qq && $(APT_INSTALL) chromium fonts-dejavu-core)
	@test booth/node_modules/.package-lock.json -nt booth/package-lock.json \
	  || npm ci --prefix booth --no-audit --no-fund  # again whenever the lock file changed

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

demo: $(STAMP) native
	$(BIN)/plebiscite demo --http --voters 200 --trustees 3 --threshold 2 --record demo-record

# Two test processes by default (TEST_WORKERS=0 runs them in one): most tests wait on servers and subprocesses.
TEST_WORKERS ?= 2
test: $(STAMP) native test-deps
	$(BIN)/pytest -n $(TEST_WORKERS)
	@if $(HAVE_CARGO); then cd native && $(CARGO_ENV) cargo test --release --locked --no-default-features -q; else $(NO_CARGO); fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	@if $(HAVE_CARGO); then cd native && $(CARGO_ENV) cargo fmt --check && $(CARGO_ENV) cargo clippy --locked --all-targets -q -- -D warnings; \
	else $(NO_CARGO); fi

clean:
	rm -rf $(VENV) demo-record .pytest_cache native/target
