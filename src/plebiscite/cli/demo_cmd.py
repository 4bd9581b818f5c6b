"""`plebiscite demo`: a whole referendum end to end, verified."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.table import Table

from plebiscite.cli.common import console, fail, print_json, progress_bar
from plebiscite.cli.verify_cmd import show_report
from plebiscite.demo import DemoOutcome, run_demo
from plebiscite.verify.runner import verify_record


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
        if http:
            fail("--coercion: runs from files only (the board service serves the standard mode)")
        from plebiscite.cli.coercion_cmd import run as run_coercion

        run_coercion(voters, coerced, trustees, threshold, record, json_out, seed)
    if record.exists():
        if not (record / "events.jsonl").exists() and any(record.iterdir()):
            fail(f"{record}: exists and is not a record; refusing to replace it")
        shutil.rmtree(record)
    say = (lambda m: None) if json_out else (lambda m: console.print(f"• {m}", highlight=False))

    def bar(label: str, total: int):  # type: ignore[no-untyped-def]
        return progress_bar(label, total, enabled=not json_out)

    if http:
        from plebiscite.board.demo_http import run_http_demo

        outcome = run_http_demo(record, voters, trustees, threshold, seed=seed, progress=bar, say=say)
    else:
        outcome = run_demo(record, voters, trustees, threshold, seed=seed, progress=bar, say=say)
    say(f"{outcome.challenged} ballot(s) challenged and opened, {outcome.revotes} revote(s)")
    report = verify_record(record)
    verified = report.ok and outcome.result == outcome.expected
    if json_out:
        expected = {q["id"]: q for q in outcome.expected}
        result = {q["id"]: q for q in outcome.result}
        print_json(
            {
                "expected": expected,
                "result": result,
                "verified": verified,
                "record": str(record),
                **outcome.extra,
            }
        )
    else:
        _show(outcome)
        show_report(report)
        console.print(f"record: {record}  (check it yourself: plebiscite verify {record})")
    raise typer.Exit(0 if verified else 1)


def register(app: typer.Typer) -> None:
    app.command()(demo)
