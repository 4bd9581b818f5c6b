"""Reading and writing records on disk: a directory (``record.json`` + ``events.jsonl``) or a zip of one.

Appends are one ``write`` of a whole line followed by ``fsync``, so a crash leaves either the old file or the old
file plus one complete line — never half an event. The reader checks every line and names the file, the line and
the reason for whatever it rejects.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from plebiscite.record.events import EVENT_TYPES, EXTRA_EVENT_TYPES, FORMAT, VERSION, Event, canonical_json

EVENTS_FILE = "events.jsonl"
HEADER_FILE = "record.json"
HEADS_FILE = "heads.jsonl"
BOARD_FILE = "board.json"
COSIGNATURES_FILE = "cosignatures.jsonl"
"""Witnesses' cosignatures on the record's heads: one ``{"tree_size": n, "cosignatures": [...]}`` a line."""
_FILES = (HEADER_FILE, EVENTS_FILE, HEADS_FILE, BOARD_FILE, COSIGNATURES_FILE)


class RecordError(ValueError):
    """The record cannot be read: the message names the file, the line and the reason."""


def header() -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION}


def create(path: Path) -> None:
    """Create an empty record directory; refuses to overwrite an existing record."""
    if (path / EVENTS_FILE).exists():
        raise RecordError(f"{path}: a record already exists here")
    path.mkdir(parents=True, exist_ok=True)
    _write_atomic(path / HEADER_FILE, canonical_json(header()) + b"\n")
    _write_atomic(path / EVENTS_FILE, b"")


def _write_atomic(target: Path, data: bytes) -> None:
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)


def append(path: Path, events: Iterable[Event]) -> None:
    """Append complete event lines durably."""
    data = b"".join(e.raw + b"\n" for e in events)
    if not data:
        return
    with open(path / EVENTS_FILE, "ab") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def append_head(path: Path, head: dict[str, Any]) -> None:
    """Append one signed head to the record's ``heads.jsonl`` durably (a whole line, fsynced)."""
    with open(path / HEADS_FILE, "ab") as f:
        f.write(canonical_json(head) + b"\n")
        f.flush()
        os.fsync(f.fileno())


def _may_hold_a_float(line: bytes) -> bool:
    """Whether orjson could have written a float in ``line``: its float output always has ``.``, ``e+`` or ``e-``.

    Three substring searches in C. False alarms (a dot in a label, ``share-reveal``) only send a line down the
    exact path; ballot lines (hex strings and fixed keys) have none.
    """
    return b"." in line or b"e+" in line or b"e-" in line


def parse_event(index: int, line: bytes, where: str) -> Event:
    """Parse one canonical event line; ``where`` (file and line, or board index) prefixes every error."""
    return _fast_event(index, line) or _exact_event(index, line, where)


def _fast_event(index: int, line: bytes) -> Event | None:
    """The verifier's hot path (one line per ballot): orjson instead of the standard library, 3× faster.

    It returns an event only when :func:`_exact_event` would accept the line and return the same event, and
    ``None`` for everything else, which then takes the exact path (and gets its named error). That holds because
    on values without floats orjson's sorted compact output is byte for byte ``canonical_json``'s (every code
    point is escaped alike, keys sort by code point in both); floats (whose formats differ: ``1e-7`` against
    ``1e-07``) are kept off this path by :func:`_may_hold_a_float`, integers beyond 64 bits come back from orjson as
    floats that re-encode differently, and lone surrogates, ``NaN`` and byte-order marks make orjson raise. A
    hypothesis test compares both paths on mutated lines.
    """
    if _may_hold_a_float(line) or len(line) > FAST_LINE_LIMIT:
        return None
    try:
        value = orjson.loads(line)
        if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != line:
            return None
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    if type(value) is not dict or value.keys() != _EVENT_KEYS:
        return None
    kind, payload = value["type"], value["payload"]
    if type(payload) is not dict or type(kind) is not str:
        return None
    if kind not in EVENT_TYPES and kind not in EXTRA_EVENT_TYPES:
        return None
    return Event(index, kind, payload, bytes(line))


_EVENT_KEYS = frozenset({"type", "payload"})
FAST_LINE_LIMIT = 1 << 16
"""Longer lines (a national roll or tally) take the exact path: orjson's parser holds about 14 times the line in
memory while it works (≈ 900 MB for a million-voter roll), the standard library's about 5 times."""


def _exact_event(index: int, line: bytes, where: str) -> Event:
    """Parse with the standard library and compare with :func:`canonical_json`: the definition of a valid line."""
    value = _load_json(line, where)
    if not isinstance(value, dict) or set(value) != {"type", "payload"}:
        raise RecordError(f"{where}: an event is an object with keys type and payload")
    kind, payload = value["type"], value["payload"]
    if not isinstance(kind, str) or (kind not in EVENT_TYPES and kind not in EXTRA_EVENT_TYPES):
        raise RecordError(f"{where}: unknown event type {kind!r}")
    if not isinstance(payload, dict):
        raise RecordError(f"{where}: payload must be an object")
    try:
        canonical = canonical_json(value)
    except ValueError as exc:
        raise RecordError(f"{where}: {exc}") from None
    if canonical != line:
        raise RecordError(f"{where}: not in canonical form (sorted keys, no whitespace)")
    return Event(index, kind, payload, bytes(line))


def _parse_lines(blob: bytes, where: str) -> list[Event]:
    if blob and not blob.endswith(b"\n"):
        raise RecordError(f"{where}: truncated (the last line has no newline)")
    return [
        parse_event(number - 1, line, f"{where} line {number}")
        for number, line in enumerate(blob.split(b"\n")[:-1], start=1)
    ]


def _load_json(blob: bytes, where: str) -> Any:
    """``json.loads`` whose every refusal is a :class:`RecordError` naming ``where`` and the reason."""
    try:
        return json.loads(blob)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordError(f"{where}: not JSON ({getattr(exc, 'msg', exc)})") from None
    except RecursionError:
        raise RecordError(f"{where}: not JSON (nested too deeply)") from None
    except ValueError:  # an integer literal beyond Python's 4,300-digit limit
        raise RecordError(f"{where}: not JSON (a number too large)") from None


def _check_header(blob: bytes, where: str) -> None:
    value = _load_json(blob, where)
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise RecordError(f"{where}: format must be {FORMAT!r}")
    if value.get("version") != VERSION:
        raise RecordError(
            f"{where}: unsupported version {value.get('version')!r} (this reader knows {VERSION})"
        )


def read_blobs(path: Path) -> dict[str, bytes]:
    """The record's files as bytes, from a directory or a zip."""
    if not path.exists():
        raise RecordError(f"{path}: no such file or directory")
    names = _FILES
    if path.is_dir():
        return {n: (path / n).read_bytes() for n in names if (path / n).exists()}
    try:
        with zipfile.ZipFile(path) as z:
            members = {Path(m).name: m for m in z.namelist()}
            return {n: z.read(members[n]) for n in names if n in members}
    except zipfile.BadZipFile:
        raise RecordError(f"{path}: neither a record directory nor a zip file") from None


def read(path: Path) -> list[Event]:
    """Read and check a record's events."""
    return _events(read_blobs(path), path)


def read_all(path: Path) -> tuple[list[Event], list[dict[str, Any]], str | None]:
    """Events, saved tree heads and board key, from one reading of the files (a zip is inflated once)."""
    blobs = read_blobs(path)
    return _events(blobs, path), _heads(blobs, path), _board_key(blobs, path)


def _events(blobs: dict[str, bytes], path: Path) -> list[Event]:
    for name in (HEADER_FILE, EVENTS_FILE):
        if name not in blobs:
            raise RecordError(f"{path}: missing {name}")
    _check_header(blobs[HEADER_FILE], f"{path}/{HEADER_FILE}")
    return _parse_lines(blobs[EVENTS_FILE], f"{path}/{EVENTS_FILE}")


def read_heads(path: Path) -> list[dict[str, Any]]:
    """Signed tree heads saved with the record by the board or a mirror (may be empty)."""
    return _heads(read_blobs(path), path)


def _heads(blobs: dict[str, bytes], path: Path) -> list[dict[str, Any]]:
    return heads_from_blob(blobs.get(HEADS_FILE, b""), path)


def heads_from_blob(blob: bytes, path: Path, name: str = HEADS_FILE) -> list[dict[str, Any]]:
    """The signed heads in a ``heads.jsonl`` (one JSON object a line); any other such file with ``name``."""
    heads = []
    for number, line in enumerate(blob.splitlines(), start=1):
        value = _load_json(line, f"{path}/{name} line {number}")
        if not isinstance(value, dict):
            raise RecordError(f"{path}/{name} line {number}: expected an object")
        heads.append(value)
    return heads


def read_cosignatures(path: Path) -> list[dict[str, Any]]:
    """The lines of the record's ``cosignatures.jsonl`` (empty if it has none)."""
    return heads_from_blob(read_blobs(path).get(COSIGNATURES_FILE, b""), path, COSIGNATURES_FILE)


def write_cosignatures(path: Path, lines: Iterable[dict[str, Any]]) -> None:
    """Write the record's ``cosignatures.jsonl`` atomically (one line per cosigned head, by size)."""
    _write_atomic(path / COSIGNATURES_FILE, b"".join(canonical_json(line) + b"\n" for line in lines))


def read_board_key(path: Path) -> str | None:
    """The board's Ed25519 public key (hex) saved with the record, if any."""
    return _board_key(read_blobs(path), path)


def _board_key(blobs: dict[str, bytes], path: Path) -> str | None:
    blob = blobs.get(BOARD_FILE)
    return None if blob is None else key_from_blob(blob, path)


def key_from_blob(blob: bytes, path: Path) -> str | None:
    """The board's public key (hex) in a ``board.json``."""
    value = _load_json(blob, f"{path}/{BOARD_FILE}")
    key = value.get("public_key") if isinstance(value, dict) else None
    return key if isinstance(key, str) else None


def write_record(
    path: Path, events: Iterable[Event], heads: Iterable[dict[str, Any]] = (), board_key: str | None = None
) -> None:
    """Write a complete record directory (what the board exports and a mirror keeps)."""
    path.mkdir(parents=True, exist_ok=True)
    _write_atomic(path / HEADER_FILE, canonical_json(header()) + b"\n")
    _write_atomic(path / EVENTS_FILE, b"".join(e.raw + b"\n" for e in events))
    head_lines = b"".join(canonical_json(h) + b"\n" for h in heads)
    if head_lines:
        _write_atomic(path / HEADS_FILE, head_lines)
    if board_key is not None:
        _write_atomic(path / BOARD_FILE, canonical_json({"public_key": board_key}) + b"\n")


def append_file(path: Path, lines_file: Path) -> None:
    """Append the complete lines of ``lines_file`` to the record's events (streamed, fsynced), then delete it."""
    with open(lines_file, "rb") as src, open(path / EVENTS_FILE, "ab") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    lines_file.unlink()


def truncate_events(path: Path, size: int) -> None:
    """Cut ``events.jsonl`` to its first ``size`` bytes (a line boundary: what a mirror's last head covers)."""
    with open(path / EVENTS_FILE, "r+b") as f:
        f.truncate(size)
        f.flush()
        os.fsync(f.fileno())


def write_extras(path: Path, heads: Iterable[dict[str, Any]], board_key: str) -> None:
    """Write a record's signed heads and board key (each atomically), beside its events."""
    _write_atomic(path / HEADS_FILE, b"".join(canonical_json(h) + b"\n" for h in heads))
    _write_atomic(path / BOARD_FILE, canonical_json({"public_key": board_key}) + b"\n")


def export_zip(path: Path, target: Path) -> None:
    """Write the record ``path`` as a zip at ``target`` (atomically), file by file, streamed: never whole in
    memory."""
    names = _FILES
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if path.is_dir():
            for name in names:
                if (path / name).exists():
                    z.write(path / name, name)
        else:
            with zipfile.ZipFile(path) as source:
                members = {Path(m).name: m for m in source.namelist()}
                for name in names:
                    if name in members:
                        with source.open(members[name]) as src, z.open(name, "w") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, target)
