"""`plebiscite demo-coercion`: the JSON contract and input errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from plebiscite.cli.main import app


def test_demo_coercion_json(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    args = [
        "demo-coercion",
        "--voters",
        "6",
        "--coerced",
        "2",
        "--record",
        str(record),
        "--json",
        "--workers",
        "1",
    ]
    result = CliRunner().invoke(app, [*args, "--seed", "4"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["verified"] is True and out["record"] == str(record)
    assert out["result"] == out["expected"]
    assert out["coercion"]["coerced"] == 2 and out["coercion"]["ballots_counted"] == 6
    assert out["coercion"]["if_coercion_had_worked"] != out["expected"]


def test_demo_coercion_refuses_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo-coercion", "--voters", "3", "--coerced", "5", "--record", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--coerced" in result.output
