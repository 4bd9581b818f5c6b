"""`plebiscite demo-coercion`: the door-to-door scenario in coercion-resistant mode, verified.

``run`` is shared with ``plebiscite demo --coercion`` (cli/demo_cmd.py) so both print the same thing.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from plebiscite.cli.common import console, fail, finish_demo, fresh_record_dir, narration
from plebiscite.coercion.demo import run_coercion_demo
from plebiscite.demo import DemoOutcome


def show(outcome: DemoOutcome) -> None:
    """Published result, what the voters really chose, and what the coercer would have obtained."""
    details = outcome.extra["coercion"]
    would = details["if_coercion_had_worked"]
    table = Table(title="result (published) vs. the voters' real votes vs. what the coercer demanded")
    for col in ("question", "option", "result", "real votes", "if coercion had worked"):
        table.add_column(col)
    for got, want in zip(outcome.result, outcome.expected, strict=True):
        for opt, n in got["counts"].items():
            table.add_row(
                got["id"], opt, str(n), str(want["counts"][opt]), str(would[got["id"]]["counts"][opt])
            )
        if "blank" in got:
            table.add_row(
                got["id"],
                "(blank)",
                str(got["blank"]),
                str(want.get("blank")),
                str(would[got["id"]].get("blank")),
            )
    console.print(table)
    console.print(
        f"{details['coerced']} voter(s) coerced: {details['fake_credentials_passed_coercer_checks']} fake "
        f"credential(s) passed every check the coercer could run; {details['fake_ballots']} ballot(s) cast with "
        f"them did not count. {details['ballots_cast']} ballots cast, {details['ballots_counted']} counted.",
        highlight=False,
    )


def run(
    voters: int,
    coerced: int,
    trustees: int,
    threshold: int,
    record: Path,
    json_out: bool,
    seed: int | None,
    workers: int | None = None,
    http: bool = False,
) -> None:
    """Run, verify, print; exits 0 only when the record verifies and the result equals the real votes.

    ``http``: through the real service on loopback (trustee processes, registrar, voters' devices)."""
    if threshold > trustees:
        fail("--threshold: must not exceed --trustees")
    if coerced > voters:
        fail("--coerced: must not exceed --voters")
    fresh_record_dir(record)
    say, bar = narration(json_out)
    if http:
        from plebiscite.coercion.demo_http import run_coercion_http_demo

        outcome = run_coercion_http_demo(record, voters, coerced, trustees, threshold, seed, bar, say)
    else:
        outcome = run_coercion_demo(
            record, voters, coerced, trustees, threshold, seed=seed, progress=bar, say=say, workers=workers
        )
    finish_demo(outcome, record, json_out, show, workers)


def demo_coercion(
    voters: int = typer.Option(50, min=2, help="Number of voters."),
    coerced: int = typer.Option(
        5, min=0, help="Voters coerced at the door (they hand over a fake credential)."
    ),
    trustees: int = typer.Option(3, min=1, help="Number of trustees n."),
    threshold: int = typer.Option(2, min=1, help="Trustees needed to tally and decrypt k."),
    record: Path = typer.Option(Path("demo-coercion-record"), help="Where to write the record (replaced)."),
    json_out: bool = typer.Option(
        False, "--json", help="Print {expected, result, verified, record, coercion}."
    ),
    seed: int = typer.Option(None, help="Seed for the simulated voters' choices (not for any cryptography)."),
    workers: int = typer.Option(0, help="Processes for the tally and the verifier (0: one per core)."),
) -> None:
    """Coercion-resistant referendum: coerced voters hand over fake credentials, then vote for real."""
    run(voters, coerced, trustees, threshold, record, json_out, seed, workers or None)


def register(app: typer.Typer) -> None:
    app.command("demo-coercion")(demo_coercion)
