"""The record's ballots as Parquet partitions, for verifying a large election on a cluster.

``events.jsonl`` stays the record; the partitions are a copy of its ballot lines that cluster workers can read from
shared storage instead of receiving them from the verifier's process. Each row is one ballot event: ``index`` (its
position in ``events.jsonl``) and ``line`` (its exact canonical bytes). Because the bytes are kept verbatim, a
verifier compares a digest of every row with the line in ``events.jsonl`` at that index, so partitions that add,
drop or alter a ballot are detected (``docs/record.md``, "Parquet partitions").

pyarrow is an optional dependency (``pip install 'plebiscite[scale]'``); importing this module without it raises
:class:`~plebiscite.record.store.RecordError` with that instruction.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from plebiscite.record.store import RecordError

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ModuleNotFoundError:  # pragma: no cover - exercised only where the extra is missing
    raise RecordError("Parquet needs pyarrow: pip install 'plebiscite[scale]'") from None

PART_PATTERN = "ballots-{:05d}.parquet"
ROWS_PER_PART = 50_000
"""About 70 MB of yes/no ballots per partition: large enough to amortise a task, small enough for a worker."""

SCHEMA = pa.schema([("index", pa.int64()), ("line", pa.binary())])


def write_partitions(
    ballots: Iterable[tuple[int, bytes]], out: Path, rows: int = ROWS_PER_PART
) -> list[Path]:
    """Write ballot lines ``(index, line)`` to ``out/ballots-NNNNN.parquet``, one partition in memory at a time;
    refuses a directory that already has some."""
    if rows < 1:
        raise ValueError("rows per partition must be positive")
    out.mkdir(parents=True, exist_ok=True)
    if any(out.glob("ballots-*.parquet")):
        raise RecordError(f"{out}: already holds ballot partitions; choose an empty directory")
    paths: list[Path] = []
    chunk: list[tuple[int, bytes]] = []
    for row in ballots:
        chunk.append(row)
        if len(chunk) == rows:
            paths.append(_write_partition(chunk, out, len(paths)))
            chunk = []
    if chunk:
        paths.append(_write_partition(chunk, out, len(paths)))
    return paths


def _write_partition(chunk: list[tuple[int, bytes]], out: Path, number: int) -> Path:
    table = pa.table({"index": [i for i, _ in chunk], "line": [line for _, line in chunk]}, schema=SCHEMA)
    target = out / PART_PATTERN.format(number)
    tmp = target.with_name(target.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(target)  # a partition is either complete or absent
    return target


def list_partitions(directory: Path) -> list[Path]:
    """The partition files of a directory, in order; an error naming the directory if there are none."""
    if not directory.is_dir():
        raise RecordError(f"{directory}: not a directory of Parquet partitions")
    parts = sorted(directory.glob("ballots-*.parquet"))
    if not parts:
        raise RecordError(f"{directory}: no ballots-*.parquet partitions")
    return parts


def read_partition(path: Path) -> list[tuple[int, bytes]]:
    """``(index, line)`` rows of one partition; an error naming the file if it is not one of ours."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise RecordError(f"{path}: not a readable Parquet file ({exc})") from None
    if not table.schema.equals(SCHEMA):
        raise RecordError(f"{path}: expected the columns index (int64) and line (binary)")
    indices = table.column("index").to_pylist()
    lines = table.column("line").to_pylist()
    if any(i is None for i in indices) or any(line is None for line in lines):
        raise RecordError(f"{path}: null values")
    return list(zip(indices, lines, strict=True))
