"""`plebiscite serve`, `plebiscite mirror`, `plebiscite check-receipt`: the board over HTTP and its watchers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from plebiscite.cli.common import console, fail, load_json, print_json
from plebiscite.merkle.heads import ForkDetected, TreeHeadError
from plebiscite.merkle.tree import MerkleError
from plebiscite.record.store import RecordError

if TYPE_CHECKING:
    from plebiscite.board.election import BoardElection


def serve(
    db: str = typer.Option("sqlite:///board.db", help="Storage URL: sqlite:///FILE or postgresql://…"),
    record: Path = typer.Option(
        None,
        help="Prepared record (manifest, ceremony, roll) to import into an empty board; or a mirror of this board "
        "(heads signed by its key) to restore it whole: entries, signed heads, witnesses' cosignatures, each checked.",
    ),
    secrets_dir: Path = typer.Option(
        None,
        help="Directory (made mode 0700) holding the board's secrets: board-key.hex and admin-token.txt, each "
        "created (0600) on first start and read on every restart.",
    ),
    board_key_file: Path = typer.Option(
        None, help="Board signing key, instead of SECRETS_DIR/board-key.hex (created if absent)."
    ),
    admin_token_file: Path = typer.Option(
        None, help="Administrator token, instead of SECRETS_DIR/admin-token.txt (created if absent)."
    ),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    check_workers: int = typer.Option(-1, help="Processes checking ballots (-1: one per core; 0: inline)."),
    checkpoint_period: float = typer.Option(
        1.0,
        min=0.0,
        help="Seconds between two moves of the head offered to witnesses (GET /api/board/checkpoint).",
    ),
) -> None:
    """Run the bulletin board and voting service (HTTP API, booth at /booth/).

    Prints where it listens, the board key to publish (voters' receipts and every mirror check it) and where its
    secret files are. Secrets are never put in the current directory unasked: give --secrets-dir, or both files.
    """
    from plebiscite.board.errors import BoardError
    from plebiscite.board.httpserver import serve_forever
    from plebiscite.board.service import create_app
    from plebiscite.board.setup import admin_token, board_key, open_election
    from plebiscite.secretfiles import SecretFileError, loose_permissions, private_dir

    key_path, token_path = _secret_paths(secrets_dir, board_key_file, admin_token_file)
    # One per core: the checks are most of the CPU, and the server's own work (HTTP, commits) is short and
    # bursty, so on 2 cores 2 workers beat 1 (p99 at 500 ballots/s: 40–94 ms against 115–125 ms, bench/README.md).
    workers = (os.cpu_count() or 1) if check_workers < 0 else check_workers
    try:
        if secrets_dir is not None:
            private_dir(secrets_dir)
        signing_key = board_key(key_path)
        token = admin_token(token_path)
        election = open_election(
            db,
            signing_key,
            record,
            workers,
            on_restore=lambda done: console.print(done.text, highlight=False),
        )
    except (RecordError, BoardError, SecretFileError, OSError) as exc:
        fail(str(exc))
    for path in (key_path, token_path):
        warning = loose_permissions(path)
        if warning:
            console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    _announce(election, f"http://{host if ':' not in host else f'[{host}]'}:{port}", key_path, token_path)
    app = create_app(election, token, checkpoint_period)
    try:
        serve_forever(app, host, port)  # uvicorn with bounded request heads and read deadlines
    finally:
        election.close()


def _secret_paths(
    secrets_dir: Path | None, key_file: Path | None, token_file: Path | None
) -> tuple[Path, Path]:
    """Where the board key and admin token are: named files, else in the named secrets directory."""
    if secrets_dir is None:
        if key_file is None or token_file is None:
            fail(
                "secrets: give --secrets-dir DIR (where the board key and admin token are kept), or both "
                "--board-key-file and --admin-token-file; they are never put in the current directory unasked"
            )
        return key_file, token_file
    return key_file or secrets_dir / "board-key.hex", token_file or secrets_dir / "admin-token.txt"


def _announce(election: BoardElection, url: str, key_path: Path, token_path: Path) -> None:
    """What the operator must see at start: the address, what to publish, where the secrets are."""
    state = election.state
    manifest = state.manifest
    lines = [
        f"board listening on {url}  (booth: {url}/booth/, API: {url}/api/election)",
        f"election {manifest.election_id!r}, phase {state.phase}, {election.board.size()} entries "
        f"on {election.board.backend}"
        if manifest is not None
        else f"{election.board.size()} entries",
        f"board key — publish it: {election.board_key}",
    ]
    if state.context is not None:
        lines.append(f"election fingerprint: {state.context.fingerprint.hex()}")
    lines += [f"secret: board signing key in {key_path}", f"secret: admin token in {token_path}"]
    for line in lines:
        console.print(line, highlight=False)


def mirror(
    url: str = typer.Argument(..., help="Board base URL, e.g. http://127.0.0.1:8000"),
    target: Path = typer.Argument(..., help="Record directory to keep the copy in (verifiable)."),
    evidence_dir: Path = typer.Option(
        None,
        help="Directory for evidence of a fork (default: TARGET); each fork is a new "
        "fork-evidence-<time>-<hash>.json file, never one written over another.",
    ),
    require_witnessed: bool = typer.Option(
        False, help="Fail (status 4) unless the latest head carries the manifest's threshold of cosignatures."
    ),
    board_key: str = typer.Option(
        None,
        "--board-key",
        help="The board key the organiser published (64 hex): refuse a board signing with another, first run too.",
    ),
) -> None:
    """Copy the board incrementally; check each new signed head is consistent with the last one.

    With witnesses named in the manifest, also keep their valid cosignatures (cosignatures.jsonl) and say whether
    the latest head is witnessed; a fork's evidence includes the cosignatures on both heads.
    """
    from plebiscite.board.client import BoardClientError, save_evidence
    from plebiscite.board.client import mirror as run_mirror
    from plebiscite.board.witnessing import WitnessingError

    if board_key is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", board_key):
        fail(f"--board-key: expected the board's Ed25519 public key as 64 hex digits, got {board_key!r}")
    try:
        result = run_mirror(url, target, board_key=board_key)
    except ForkDetected as exc:
        saved = save_evidence(target if evidence_dir is None else evidence_dir, exc.evidence, _extra(exc))
        fail(f"FORK: {exc} — both signed heads saved in {saved}", code=3)
    except (BoardClientError, TreeHeadError, MerkleError, RecordError, WitnessingError) as exc:
        fail(str(exc))
    console.print(f"copied {result.copied} new entries; {result.size} in total; head consistent and verified")
    console.print(result.witnessed.text, highlight=False)
    if require_witnessed and not result.witnessed.final:
        fail("the latest head is not witnessed (--require-witnessed)", code=4)


def _extra(exc: ForkDetected) -> dict[str, Any] | None:
    """The witnesses' cosignatures on the two heads, when the fork was found with them."""
    extra = getattr(exc, "extra", None)
    return extra if isinstance(extra, dict) else None


def check_receipt(
    receipt: Path = typer.Argument(..., help="Receipt JSON from casting a ballot."),
    board: str = typer.Option(..., help="Board base URL."),
    json_out: bool = typer.Option(False, "--json"),
    save: bool = typer.Option(
        False,
        help="Once witnessed, rewrite RECEIPT as plebiscite-receipt/2 with the witnessed head it carries.",
    ),
    require_witnessed: bool = typer.Option(
        False,
        help="Fail (status 4) if the receipt is not yet witnessed: use it after the close and a grace period.",
    ),
    evidence_dir: Path = typer.Option(
        None, help="Directory for fork evidence (default: the receipt's directory); never overwritten."
    ),
) -> None:
    """Prove that the receipt's ballot is still in the board's log, and whether the election's witnesses cosigned
    a head covering it ("witnessed by k of n" or "not yet witnessed")."""
    from plebiscite.board.client import BoardClientError, save_evidence
    from plebiscite.board.client import check_receipt as run_check
    from plebiscite.board.witnessing import WitnessingError, upgrade_receipt
    from plebiscite.cli.common import write_json

    data = load_json(receipt, "receipt")
    if not isinstance(data, dict):
        fail(f"{receipt}: a receipt is a JSON object")
    try:
        result = run_check(data, board)
    except ForkDetected as exc:
        saved = save_evidence(evidence_dir or receipt.parent, exc.evidence, _extra(exc))
        fail(f"FORK: {exc} — evidence saved in {saved}", code=3)
    except (BoardClientError, TreeHeadError, MerkleError, WitnessingError, RecordError) as exc:
        fail(f"receipt NOT confirmed: {exc}", code=1)
    block = result.pop("witnessed_block")
    if save and block is not None and data.get("witnessed") != block:
        mode = receipt.stat().st_mode & 0o777  # a receipt saved 0600 stays 0600
        write_json(receipt, upgrade_receipt(data, block))
        receipt.chmod(mode)
        result["saved"] = str(receipt)
    if json_out:
        print_json(result)
    else:
        console.print(
            f"ballot {result['tracking_code']} is at index {result['index']} of the board's log "
            f"(size {result['board_size']}), consistent with the receipt's signed head",
            highlight=False,
        )
        console.print(f"included, {result['witnessed_text']}", highlight=False)
        if "saved" in result:
            console.print(
                f"receipt updated to plebiscite-receipt/2 (witnessed) in {receipt}", highlight=False
            )
    if require_witnessed and result["witnessed"]["status"] != "witnessed":
        fail("the receipt is not witnessed (--require-witnessed)", code=4)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(mirror)
    app.command(name="check-receipt")(check_receipt)
