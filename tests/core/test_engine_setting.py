"""An engine setting that names no usable engine is refused when a command starts (exit 2, one line naming the
variable or option and the allowed values) — not when the first ballot is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from plebiscite import native
from plebiscite.cli.main import app

from .conftest import Election

runner = CliRunner()


def run(args: list[str], engine: str | None) -> tuple[int, str]:
    env = {} if engine is None else {"PLEBISCITE_ENGINE": engine}
    result = runner.invoke(app, [str(a) for a in args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def one_error_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in out, out
    return lines[0]


@pytest.mark.parametrize("value", ["bogus", "Native", "reference "])
def test_verify_and_serve_refuse_an_unknown_engine_at_start(
    election: Election, tmp_path: Path, value: str
) -> None:
    code, out = run(["verify", str(election.path), "--workers", "1"], value)
    line = one_error_line(out)
    assert code == 2 and "PLEBISCITE_ENGINE" in line and "allowed values: native, reference" in line
    db = tmp_path / "board.db"
    # no such record: without the start-up check, serve would make its secrets and fail there (never serve)
    serve = [
        "serve",
        "--db",
        f"sqlite:///{db}",
        "--secrets-dir",
        str(tmp_path / "s"),
        "--record",
        str(tmp_path / "no"),
    ]
    code, out = run(serve, value)
    assert code == 2 and "PLEBISCITE_ENGINE" in one_error_line(out)
    assert not db.exists() and not (tmp_path / "s").exists()  # refused before anything was made


def test_an_engine_not_built_is_refused_at_start(
    election: Election, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(native, "AVAILABLE", False)
    code, out = run(["verify", str(election.path), "--workers", "1"], "native")
    line = one_error_line(out)
    assert (
        code == 2 and "PLEBISCITE_ENGINE='native': this engine is not built" in line and "reference" in line
    )


def test_an_unknown_engine_option_is_refused_and_a_valid_setting_runs(election: Election) -> None:
    code, out = run(["verify", str(election.path), "--engine", "fast"], None)
    assert code == 2 and "--engine: 'fast' is not one of native, reference (the allowed values)" in out
    code, out = run(["verify", str(election.path), "--workers", "1"], "reference")
    assert code == 0 and "engine: reference" in out
    code, _ = run(["verify", str(election.path), "--workers", "1"], "")  # empty: the default
    assert code == 0
