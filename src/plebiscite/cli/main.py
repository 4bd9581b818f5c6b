"""The ``plebiscite`` command line.

Each phase's commands live in their own module with a ``register(app)`` function, so that the entry point stays
small and every command can be documented (docs/cli.md) next to the phase it belongs to.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="plebiscite",
    help="A referendum that cannot be faked: run, verify and audit votes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that contribute commands; each exposes register(app). Missing optional modules are skipped so that a
# partial install still offers what it has.
_COMMAND_MODULES = (
    "plebiscite.cli.election_cmd",
    "plebiscite.cli.verify_cmd",
    "plebiscite.cli.demo_cmd",
    "plebiscite.cli.forensics_cmd",
    "plebiscite.cli.board_cmd",
    "plebiscite.cli.coercion_cmd",
    "plebiscite.cli.trustee_cmd",
    "plebiscite.cli.registrar_cmd",
    "plebiscite.cli.operator_cmd",
    "plebiscite.cli.witness_cmd",
)


@app.callback()
def _settings() -> None:
    """Settings read from the environment are checked before any command runs, so a typo fails at start."""
    from plebiscite.cli.common import check_engine_setting

    check_engine_setting()


for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a module not written yet, not a broken dependency
        if exc.name != _name:
            raise
        continue
    _module.register(app)


if __name__ == "__main__":
    app()
