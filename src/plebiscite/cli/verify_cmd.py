"""`plebiscite verify RECORD [--json]`: the independent verifier."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from plebiscite import native
from plebiscite.cli.common import console, fail, print_json
from plebiscite.merkle.heads import TreeHeadError, log_id_for
from plebiscite.record.store import RecordError
from plebiscite.verify.board_pin import ExpectedBoard, PinError, check_expected_board
from plebiscite.verify.report import Report
from plebiscite.verify.runner import Progress, verify_record


def show_report(report: Report, expected: ExpectedBoard | None = None) -> None:
    title = "verification" if report.engine is None else f"verification (engine: {report.engine})"
    table = Table(title=title, show_lines=False)
    for col in ("#", "check", "items", "status"):
        table.add_column(col)
    for c in report.checks:
        status = "[green]ok[/]" if c.ok and c.ran else ("[red]FAILED[/]" if not c.ok else "[dim]not run[/]")
        table.add_row(str(c.id), c.name, str(c.items), status)
    console.print(table)
    for c in report.checks:
        for f in c.failures:
            console.print(f"[red]{c.id} {c.name}:[/] {f}", highlight=False)
        if c.failure_count > len(c.failures):
            console.print(f"[red]{c.id} {c.name}:[/] … and {c.failure_count - len(c.failures)} more")
    if report.board_key is not None and expected is not None:
        pinned = report.by_name("board heads").ok
        console.print(
            f"heads signed by board key {report.board_key} (log id {_log_id(report.board_key)}): "
            + ("the key expected" if pinned else f"NOT the expected {expected.text}"),
            highlight=False,
        )
    elif report.board_key is not None:
        console.print(
            f"heads signed by board key {report.board_key} (log id {_log_id(report.board_key)}): compare it with "
            "the key the organiser published, or the log id in your receipt",
            highlight=False,
        )
    for warning in report.warnings:
        console.print(f"[bold yellow]WARNING: {warning}[/]", highlight=False)
    console.print("[bold green]VERIFIED[/]" if report.ok else "[bold red]NOT VERIFIED[/]")


def _log_id(key_hex: str) -> str:
    try:
        return log_id_for(bytes.fromhex(key_hex))
    except (ValueError, TreeHeadError):
        return "unreadable"


def verify(
    record: Path = typer.Argument(..., help="Record directory or zip."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    workers: int = typer.Option(0, help="Processes for ballot checks (0: one per core)."),
    dask: str = typer.Option(
        "",
        "--dask",
        help="Check the ballots on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a local "
        "cluster of --workers processes. Needs the 'scale' extra.",
    ),
    allow_unsigned_legacy: bool = typer.Option(
        False,
        "--allow-unsigned-legacy",
        help="Accept a record without signed heads (made before records carried them): check 19 (record complete) "
        "is then not run and a warning says nothing proves no event was removed, reordered or repeated.",
    ),
    parquet: Path | None = typer.Option(
        None,
        "--parquet",
        help="With --dask: workers read the ballots from these Parquet partitions (plebiscite export --parquet), "
        "compared byte for byte with the record.",
    ),
    engine: str = typer.Option(
        "",
        "--engine",
        help="What checks the ballots' signatures and proofs: 'native' (Rust, batch-verified; the default when "
        "built) or 'reference' (libsodium). The report says which (docs/native.md).",
    ),
    board_key: str = typer.Option(
        None,
        "--board-key",
        help="The board key the organiser published (64 hex): heads signed by any other key fail check 18.",
    ),
    log_id: str = typer.Option(
        None,
        "--log-id",
        help="The log id in your receipt (SHA-256 of the board key, 64 hex): heads of any other log fail check 18.",
    ),
) -> None:
    """Re-derive the result from the public record; exit 0 only if every check passes.

    The record is streamed, so memory stays bounded however many ballots it holds; progress (lines read, ballots
    checked, with rates) goes to stderr and never into ``--json``'s output.
    """
    if engine and engine not in native.ENGINES:
        fail(f"--engine: {engine!r} is not one of {', '.join(native.ENGINES)} (the allowed values)")
    if parquet is not None and not dask:
        fail("--parquet: only with --dask (the local verifier reads the record itself)")
    try:
        expected = ExpectedBoard.parse(board_key, log_id)
    except PinError as exc:
        fail(str(exc))
    try:
        chosen = native.resolve(engine or None)
        with verify_progress() as progress:
            if dask:
                report = _verify_on_cluster(
                    record, workers or None, dask, parquet, progress, allow_unsigned_legacy, chosen
                )
            else:
                report = verify_record(
                    record,
                    workers or None,
                    progress=progress,
                    allow_unsigned=allow_unsigned_legacy,
                    engine=chosen,
                )
    except (RecordError, native.EngineError) as exc:
        fail(str(exc))
    if expected is not None:
        check_expected_board(report, expected)
    for warning in report.warnings:  # on stderr too, so --json output cannot hide it
        typer.echo(f"WARNING: {warning}", err=True)
    if json_out:
        data = report.to_json()
        if expected is not None:
            data["expected_board"] = expected.to_json()
        print_json(data)
    else:
        show_report(report, expected)
    raise typer.Exit(0 if report.ok else 1)


@contextmanager
def verify_progress() -> Iterator[Progress]:
    """One bar per long step of the verifier (reading the record, checking ballots), with its rate."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=console, transient=True, disable=not console.is_terminal) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(_LABELS.get(stage, stage), total=total, rate="")
            task = tasks[stage]
            elapsed = bars.tasks[task].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""
            bars.update(task, completed=done, total=total, rate=rate)

        yield progress


_LABELS = {"reading": "reading the record (lines)", "ballots": "checking ballots"}


def _verify_on_cluster(
    record: Path,
    workers: int | None,
    address: str,
    parquet: Path | None,
    progress: Progress,
    allow_unsigned: bool,
    engine: str,
) -> Report:
    from plebiscite.verify.distributed import DaskBallots, connect

    if parquet is not None:
        from plebiscite.record.parquet import list_partitions

        list_partitions(parquet)  # a clear error before any cluster starts
    with connect(address, workers) as client:
        return verify_record(record, workers, DaskBallots(client, parquet), progress, allow_unsigned, engine)


def register(app: typer.Typer) -> None:
    app.command()(verify)
