# plebiscite — two commands: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all demo test lint system-deps clean

all: $(STAMP)

# System packages: only what PyPI cannot give (libsodium for ristretto255).
system-deps:
	@$(PY) -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('sodium') else 1)" \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsodium23)

$(STAMP): pyproject.toml | system-deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/plebiscite demo --voters 200 --trustees 3 --threshold 2 --record demo-record

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) demo-record .pytest_cache
