"""`plebiscite demo`: a whole referendum end to end, verified."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from plebiscite.cli.common import console, fail, finish_demo, fresh_record_dir, narration
from plebiscite.demo import DemoOutcome, run_demo


def _show(outcome: DemoOutcome) -> None:
    table = Table(title="result (published) vs. expected (what voters chose)")
    for col in ("question", "option", "result", "expected"):
        table.add_column(col)
    for got, want in zip(outcome.result, outcome.expected, strict=True):
        for opt, n in got["counts"].items():
            table.add_row(got["id"], opt, str(n), str(want["counts"][opt]))
        if "blank" in got:
            table.add_row(got["id"], "(blank)", str(got["blank"]), str(want.get("blank")))
    console.print(table)


def demo(
    voters: int = typer.Option(100, min=1, help="Number of voters."),
    trustees: int = typer.Option(3, min=1, help="Number of trustees n."),
    threshold: int = typer.Option(2, min=1, help="Trustees needed to decrypt k."),
    record: Path = typer.Option(
        Path("demo-record"), help="Where to write the record (replaced if it exists)."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print {expected, result, verified, record} as JSON."
    ),
    seed: int = typer.Option(None, help="Seed for the simulated voters' choices (not for any cryptography)."),
    http: bool = typer.Option(False, "--http", help="Run through the board service on loopback."),
    coercion: bool = typer.Option(False, "--coercion", help="Coercion-resistant mode (fake credentials)."),
    coerced: int = typer.Option(5, min=0, help="With --coercion: voters coerced at the door."),
) -> None:
    """Run a referendum end to end (ceremony, voting with challenges and revotes, tally, k-of-n decryption)."""
    if threshold > trustees:
        fail("--threshold: must not exceed --trustees")
    if coercion:
        from plebiscite.cli.coercion_cmd import run as run_coercion

        run_coercion(voters, coerced, trustees, threshold, record, json_out, seed, http=http)
    fresh_record_dir(record)
    say, bar = narration(json_out)
    if http:
        from plebiscite.board.demo_http import run_http_demo

        outcome = run_http_demo(record, voters, trustees, threshold, seed=seed, progress=bar, say=say)
    else:
        outcome = run_demo(record, voters, trustees, threshold, seed=seed, progress=bar, say=say)
    say(f"{outcome.challenged} ballot(s) challenged and opened, {outcome.revotes} revote(s)")
    finish_demo(outcome, record, json_out, _show, None)


def register(app: typer.Typer) -> None:
    app.command()(demo)
