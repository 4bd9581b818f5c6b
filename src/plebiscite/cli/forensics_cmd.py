"""`plebiscite forensics`: statistical fingerprints of fabricated results in published precinct data.

Bad input never produces a traceback: reading errors become one line on stderr naming the file, column or line
and the reason, with exit status 2. Progress goes to stderr so that `--json` output on stdout stays clean.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


def _fail(console: Console, message: str, code: int) -> typer.Exit:
    console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _f(value: Any, spec: str) -> str:
    """format(value, spec), or 'n/a' for figures that are undefined (None or NaN) on degenerate input."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format(value, spec)


def _summary_table(data: dict[str, Any]) -> Table:
    ip, kl, sh = data["integer_percentages"], data["klimek"], data["shpilkin"]
    tail, summ = data["stuffing_upper_tail"], data["summary"]
    table = Table(title=f"{_f(summ['stations'], ',')} stations, leader: {summ['leader']}")
    table.add_column("method")
    table.add_column("estimate", justify="right")
    table.add_column("interval / test", justify="right")
    table.add_row(
        "integer percentages (excess stations)",
        f"{_f(ip['excess_stations'], ',.0f')} ({_f(ip['observed_stations'], ',')} obs, "
        f"{_f(ip['expected_stations'], ',.0f')} exp)",
        f"z = {_f(ip['z'], '.2f')}, p = {_f(ip['p_value'], '.2g')}",
    )
    fi, fe = kl["f_i_interval95"], kl["f_e_interval95"]
    table.add_row(
        "Klimek f_i / f_e",
        f"{_f(kl['f_i'], '.3f')} / {_f(kl['f_e'], '.4f')}",
        f"{_f(fi[0], '.3f')}-{_f(fi[1], '.3f')} / {_f(fe[0], '.4f')}-{_f(fe[1], '.4f')}"
        if fi and fe
        else "no bootstrap",
    )
    mx = data["mixture"]
    par, ci = mx["parameters"], mx["intervals95"]
    table.add_row(
        "fraud mixture (Mebane) f_i / f_e",
        f"{_f(par['f_i'], '.3f')} / {_f(par['f_e'], '.4f')}",
        (f"{_f(ci['f_i'][0], '.3f')}-{_f(ci['f_i'][1], '.3f')}" if ci.get("f_i") else "n/a")
        + f"; no-fraud LR p = {_f(mx['p_value_no_fraud'], '.2g')}",
    )
    dg = data["digits"]
    table.add_row(
        "last digit / second digit (2BL)",
        f"X2 {_f(dg['last_digit']['chi2'], '.1f')} / {_f(dg['second_digit']['chi2'], '.1f')}",
        f"p = {_f(dg['last_digit']['p_value'], '.2g')} / {_f(dg['second_digit']['p_value'], '.2g')}",
    )
    low, high = sh["excess_range_over_reference_choices"]
    table.add_row(
        "excess votes for the leader",
        f"{_f(sh['excess_votes'], ',')}",
        f"range {_f(low, ',')}-{_f(high, ',')}",
    )
    for key, res in data["coarse_fraction_spikes"].items():
        table.add_row(
            f"coarse fractions, {key.replace('_', ' ')}",
            f"{_f(res['excess_stations'], ',.0f')}",
            f"z = {_f(res['z'], '.2f')}",
        )
    table.add_row(
        "stuffing detector (both upper tails)",
        f"{_f(tail['excess_stations'], ',.0f')}",
        f"z = {_f(tail['z'], '.1f')}",
    )
    return table


def _print_layout(err: Console, roles: dict[str, list[str]], layout: dict[str, Any]) -> None:
    """Say which columns the preset chose (on stderr), so a wrong guess is visible before the figures."""

    def show(cols: list[str]) -> str:
        return ", ".join(repr(c) for c in cols[:6]) + (f" (+{len(cols) - 6} more)" if len(cols) > 6 else "")

    lines = [f"layout ({layout['preset']} preset):"]
    lines += [f"  {role}: {show(cols)}" for role, cols in roles.items()]
    lines += [f"  note: {note}" for note in layout["notes"]]
    if layout["ignored_text_columns"]:
        lines.append(f"  ignored text columns: {show(layout['ignored_text_columns'])}")
    if layout["unused_protocol_columns"]:
        lines.append(f"  protocol lines not used: {len(layout['unused_protocol_columns'])}")
    if layout["numeric_columns_without_role"]:
        lines.append(
            f"  warning: numeric columns with no role (not used): {show(layout['numeric_columns_without_role'])}"
        )
    err.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `forensics` command to the application."""

    @app.command("forensics")
    def forensics(
        file: Path = typer.Argument(..., help="Precinct CSV file (or a .zip holding one CSV)."),
        preset: str | None = typer.Option(
            None,
            "--preset",
            help="Column layout found by meaning: auto (default without --columns) or ru-cec.",
        ),
        columns: Path | None = typer.Option(
            None, "--columns", help="JSON or TOML file mapping roles to columns."
        ),
        report: Path | None = typer.Option(None, "--report", help="Write a self-contained HTML report here."),
        as_json: bool = typer.Option(False, "--json", help="Print all figures as JSON on stdout."),
        seed: int = typer.Option(1, "--seed", help="Seed for every Monte Carlo and bootstrap."),
        runs: int = typer.Option(
            100,
            "--runs",
            help="Monte Carlo runs of the integer-percentage null (coarse fractions: max(50, half)).",
        ),
        bootstrap: int = typer.Option(30, "--bootstrap", help="Bootstrap fits for the Klimek intervals."),
        leader: str | None = typer.Option(None, "--leader", help="Option column to treat as the leader."),
        mixture_bootstrap: int = typer.Option(
            0,
            "--mixture-bootstrap",
            help="Bootstrap refits for the fraud-mixture intervals (0: Wald intervals).",
        ),
        lang: str = typer.Option("en", "--lang", help="Language of the HTML report: en, uk or ru."),
    ) -> None:
        """Measure fingerprints of fabricated results: integer percentages, turnout x share fingerprint,
        excess votes, coarse-fraction spikes, per region."""
        err = Console(stderr=True)
        if preset is not None and columns is not None:
            raise _fail(err, f"{file}: give either --preset NAME or --columns FILE, not both", EXIT_BAD_INPUT)
        if runs < 10:
            raise _fail(err, f"--runs must be at least 10 (got {runs})", EXIT_BAD_INPUT)
        if bootstrap < 0 or mixture_bootstrap < 0:
            raise _fail(err, "--bootstrap and --mixture-bootstrap must not be negative", EXIT_BAD_INPUT)
        if lang not in ("en", "uk", "ru"):
            raise _fail(err, f"--lang must be one of en, uk, ru (got {lang!r})", EXIT_BAD_INPUT)
        if report is not None and not report.parent.is_dir():  # fail before minutes of work, not after
            raise _fail(
                err, f"{report}: cannot write: directory {report.parent} does not exist", EXIT_BAD_INPUT
            )

        from plebiscite.forensics.analysis import STAGES, AnalysisOptions, analyse
        from plebiscite.forensics.errors import ForensicsInputError
        from plebiscite.forensics.reading import read_election

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        try:
            with progress:
                reading = progress.add_task(f"reading {file.name}", total=1)
                election = read_election(file, preset=preset, columns=columns, leader=leader)
                progress.update(reading, completed=1)
                if columns is None:
                    _print_layout(err, election.log.column_roles, election.log.layout)
                tasks = {name: progress.add_task(name, total=1.0) for name in STAGES}

                def on_progress(stage: str, fraction: float) -> None:
                    progress.update(tasks[stage], completed=fraction)

                options = AnalysisOptions(
                    seed=seed, runs=runs, klimek_bootstrap=bootstrap, mixture_bootstrap=mixture_bootstrap
                )
                analysis = analyse(election, options, on_progress)
                data = analysis.as_dict()
                if report is not None:
                    task = progress.add_task("writing report", total=1)
                    from plebiscite.forensics.report import write_report

                    write_report(analysis, report, data, lang=lang)
                    progress.update(task, completed=1)
        except ForensicsInputError as exc:
            raise _fail(err, exc.one_line(), EXIT_BAD_INPUT) from None
        except OSError as exc:
            raise _fail(
                err, f"{exc.filename or report}: cannot write: {exc.strerror or exc}", EXIT_BAD_INPUT
            ) from None
        except Exception as exc:  # a bug, not bad input: still one line, never a traceback
            raise _fail(err, f"{file}: internal error: {type(exc).__name__}: {exc}", EXIT_FAILURE) from None

        if as_json:
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
        else:
            out = Console()
            out.print(_summary_table(data))
            excluded = data["input"]["rows_excluded"]
            if excluded:
                out.print(f"{excluded:,} rows excluded: {data['input']['excluded_by_reason']}", markup=False)
        if report is not None:
            err.print(f"report written to {report}", markup=False, highlight=False)
