"""Shared CLI helpers: one place that turns expected errors into a clear message and a non-zero exit."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


ENGINE_VARIABLE = "PLEBISCITE_ENGINE"


def check_engine_setting() -> None:
    """Refuse at start (exit 2, one line naming the variable and the allowed values) a ``PLEBISCITE_ENGINE`` that
    names no engine, or one not built here. Otherwise the board would start, and fail only at its first ballot."""
    from plebiscite import native

    value = os.environ.get(ENGINE_VARIABLE)
    if not value:  # unset or empty: the default engine (native.default_engine)
        return
    allowed = ", ".join(native.ENGINES)
    if value not in native.ENGINES:
        fail(
            f"{ENGINE_VARIABLE}={value!r}: not an engine; allowed values: {allowed} (or unset it for the default)"
        )
    try:
        native.resolve(value)
    except native.EngineError:
        fail(
            f"{ENGINE_VARIABLE}={value!r}: this engine is not built here (run `make`, which needs cargo); allowed "
            f"values: {allowed}, of which only {native.REFERENCE} is available (or unset it for the default)"
        )


def clean_errors(*expected: type[BaseException]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A command decorator: the ``expected`` failures become one clear line and exit status 2, never a traceback."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except expected as exc:
                fail(str(exc))

        return wrapper

    return decorate


def say(message: str) -> None:
    """A line of progress for the user (stderr, no highlighting of numbers or paths)."""
    console.print(message, highlight=False)


def describe_validation(exc: ValidationError, where: str) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    return f"{where}: {loc + ': ' if loc else ''}{first['msg']}"


def load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path}: no such {what} file")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail(f"{path}: not valid JSON ({getattr(exc, 'msg', exc)})")
    except RecursionError:
        fail(f"{path}: not valid JSON (nested too deeply)")
    except ValueError:  # an integer literal beyond Python's 4,300-digit limit
        fail(f"{path}: not valid JSON (a number too large)")
    except IsADirectoryError:
        fail(f"{path}: is a directory, expected a {what} file")


def write_json(path: Path, value: Any) -> None:
    """A public JSON file (a ballot, a report), replaced atomically. Not for secrets: those go through
    ``plebiscite.secretfiles.write_private`` (mode 0600, never over an existing file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def show_result(result: dict[str, Any]) -> None:
    """A published result, one line per question (``combine`` and ``admin result``)."""
    for q in result["questions"]:
        line = ", ".join(f"{k}: {v}" for k, v in q["counts"].items())
        blank = f", blank: {q['blank']}" if "blank" in q else ""
        console.print(f"{q['id']}: {line}{blank}", highlight=False)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@contextmanager
def progress_bar(label: str, total: int, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (so --json output on stdout stays clean)."""
    if not enabled:

        def ignore(_n: int = 1) -> None:
            return None

        yield ignore
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


def read_secret(path: Path | None, prompt: str) -> str:
    """Passphrases come from a file (first line) or an interactive prompt — never from the command line."""
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError):
            fail(f"{path}: cannot read a passphrase from it")
    return typer.prompt(prompt, hide_input=True)


def fresh_record_dir(record: Path) -> None:
    """Replace an earlier record at ``record``, but never a directory that holds something else."""
    if record.exists():
        if not record.is_dir() or (not (record / "events.jsonl").exists() and any(record.iterdir())):
            fail(f"{record}: exists and is not a record; refusing to replace it")
        shutil.rmtree(record)


def narration(json_out: bool) -> tuple[Callable[[str], None], Callable[[str, int], Any]]:
    """``say`` and progress-bar factories that stay silent when stdout carries JSON."""

    def say(message: str) -> None:
        if not json_out:
            console.print(f"• {message}", highlight=False)

    def bar(label: str, total: int) -> Any:
        return progress_bar(label, total, enabled=not json_out)

    return say, bar


def finish_demo(
    outcome: Any, record: Path, json_out: bool, show: Callable[[Any], None], workers: int | None
) -> NoReturn:
    """Verify the demo's record, print the outcome (or JSON) and exit 0 only if verified and as expected."""
    from plebiscite.cli.verify_cmd import show_report
    from plebiscite.verify.runner import verify_record

    report = verify_record(record, workers)
    verified = report.ok and outcome.result == outcome.expected
    if json_out:
        print_json(
            {
                "expected": {q["id"]: q for q in outcome.expected},
                "result": {q["id"]: q for q in outcome.result},
                "verified": verified,
                "record": str(record),
                **outcome.extra,
            }
        )
    else:
        show(outcome)
        show_report(report)
        console.print(f"record: {record}  (check it yourself: plebiscite verify {record})")
    raise typer.Exit(0 if verified else 1)
