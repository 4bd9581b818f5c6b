"""The board's whole record as a zip (``GET /api/record.zip``), written a page of entries at a time.

A national board holds gigabytes of entries; the zip is written to a temporary file from pages of 1,000 entries and
heads, never built in memory, and streamed to the client from that file. It holds exactly the entries up to a
signed head and the heads up to that size, so the record it makes verifies (check 18) even while voting goes on.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from plebiscite.board.election import BoardElection
from plebiscite.merkle.cosign import cosignature_dicts
from plebiscite.record import events as ev
from plebiscite.record import store

PAGE = 1000


def write_record_zip(election: BoardElection) -> Path:
    """Write the record to a new temporary zip file and return its path (the caller deletes it)."""
    board = election.board
    size = board.size()
    last = election.heads.covering(size - 1).tree_size if size else 0
    handle, name = tempfile.mkstemp(prefix="plebiscite-record-", suffix=".zip")
    path = Path(name)
    try:
        with open(handle, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(store.HEADER_FILE, ev.canonical_json(store.header()) + b"\n")
            with z.open(store.EVENTS_FILE, "w", force_zip64=True) as out:
                start = 0
                while start < last:
                    page = [e for e in board.entries(start, PAGE) if e.index < last]
                    if not page:  # fewer entries than the head covers: a damaged board; the verifier says so
                        break
                    out.write(b"".join(e.leaf + b"\n" for e in page))
                    start = page[-1].index + 1
            with z.open(store.HEADS_FILE, "w", force_zip64=True) as out:
                for head in board.heads():
                    if head.tree_size <= last:
                        out.write(ev.canonical_json(head.model_dump()) + b"\n")
            cosigned = board.cosignatures(max_size=last)
            if cosigned:
                lines = [
                    {"tree_size": n, "cosignatures": cosignature_dicts(c)}
                    for n, c in sorted(cosigned.items())
                ]
                z.writestr(
                    store.COSIGNATURES_FILE, b"".join(ev.canonical_json(line) + b"\n" for line in lines)
                )
            z.writestr(store.BOARD_FILE, ev.canonical_json({"public_key": election.board_key}) + b"\n")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
