"""`plebiscite serve`, `plebiscite mirror`, `plebiscite check-receipt`: the board over HTTP and its watchers."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from plebiscite.cli.common import console, fail, load_json, print_json
from plebiscite.merkle.heads import ForkDetected, TreeHeadError
from plebiscite.merkle.tree import MerkleError
from plebiscite.record.store import RecordError


def serve(
    db: str = typer.Option("sqlite:///board.db", help="Storage URL: sqlite:///FILE or postgresql://…"),
    record: Path = typer.Option(
        None, help="Prepared record (manifest, ceremony, roll) to import into an empty board."
    ),
    board_key_file: Path = typer.Option(Path("board-key.hex"), help="Board signing key (created if absent)."),
    admin_token_file: Path = typer.Option(
        Path("admin-token.txt"), help="Administrator token (created if absent)."
    ),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    check_workers: int = typer.Option(-1, help="Processes checking ballots (-1: one per core; 0: inline)."),
) -> None:
    """Run the bulletin board and voting service (HTTP API, booth at /booth/)."""
    from plebiscite.board.errors import BoardError
    from plebiscite.board.httpserver import serve_forever
    from plebiscite.board.service import create_app
    from plebiscite.board.setup import admin_token, board_key, open_election

    # One per core: the checks are most of the CPU, and the server's own work (HTTP, commits) is short and
    # bursty, so on 2 cores 2 workers beat 1 (p99 at 500 ballots/s: 40–94 ms against 115–125 ms, bench/README.md).
    workers = (os.cpu_count() or 1) if check_workers < 0 else check_workers
    try:
        election = open_election(db, board_key(board_key_file), record, workers)
        token = admin_token(admin_token_file)
    except (RecordError, BoardError, OSError) as exc:
        fail(str(exc))
    console.print(
        f"board {election.board_key[:16]}… on {election.board.backend}, {election.board.size()} entries; "
        f"admin token in {admin_token_file}"
    )
    app = create_app(election, token)
    try:
        serve_forever(app, host, port)  # uvicorn with bounded request heads and read deadlines
    finally:
        election.close()


def mirror(
    url: str = typer.Argument(..., help="Board base URL, e.g. http://127.0.0.1:8000"),
    target: Path = typer.Argument(..., help="Record directory to keep the copy in (verifiable)."),
    evidence_dir: Path = typer.Option(
        None,
        help="Directory for evidence of a fork (default: TARGET); each fork is a new "
        "fork-evidence-<time>-<hash>.json file, never one written over another.",
    ),
) -> None:
    """Copy the board incrementally; check each new signed head is consistent with the last one."""
    from plebiscite.board.client import BoardClientError, save_evidence
    from plebiscite.board.client import mirror as run_mirror

    try:
        result = run_mirror(url, target)
    except ForkDetected as exc:
        saved = save_evidence(target if evidence_dir is None else evidence_dir, exc.evidence)
        fail(f"FORK: {exc} — both signed heads saved in {saved}", code=3)
    except (BoardClientError, TreeHeadError, MerkleError, RecordError) as exc:
        fail(str(exc))
    console.print(f"copied {result.copied} new entries; {result.size} in total; head consistent and verified")


def check_receipt(
    receipt: Path = typer.Argument(..., help="Receipt JSON from casting a ballot."),
    board: str = typer.Option(..., help="Board base URL."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Prove that the receipt's ballot is still in the board's log."""
    from plebiscite.board.client import BoardClientError
    from plebiscite.board.client import check_receipt as run_check

    try:
        result = run_check(load_json(receipt, "receipt"), board)
    except ForkDetected as exc:
        fail(f"FORK: {exc}", code=3)
    except (BoardClientError, TreeHeadError, MerkleError) as exc:
        fail(f"receipt NOT confirmed: {exc}", code=1)
    if json_out:
        print_json(result)
    else:
        console.print(
            f"ballot {result['tracking_code']} is at index {result['index']} of the board's log "
            f"(size {result['board_size']}), consistent with the receipt's signed head"
        )


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(mirror)
    app.command(name="check-receipt")(check_receipt)
