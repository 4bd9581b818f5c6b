"""`plebiscite admin open|close|tally|result|status` and `plebiscite vote --board`: a served election from a terminal.

The administrator's token is read from a file (never the command line, where ``ps`` shows it). Every failure —
board unreachable, token refused, a refusal the board names — is one line on stderr and exit status 2.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from plebiscite.cli.common import console, fail, load_json, print_json, show_result

if TYPE_CHECKING:
    from plebiscite.setup.credentials import Credential
    from plebiscite.setup.election import ElectionContext

admin_app = typer.Typer(
    help="The administrator's commands against a running board (the token from `serve`'s secrets directory).",
    no_args_is_help=True,
)

BOARD = typer.Option(..., "--board", help="Board base URL, e.g. https://vote.example.org")
TOKEN_FILE = typer.Option(..., "--token-file", help="File whose first line is the administrator token.")
WAIT = typer.Option(
    0.0, "--wait", min=0, help="Seconds to keep retrying while the board (and its token file) is not up yet."
)
JSON = typer.Option(False, "--json", help="Print the board's answer as JSON on stdout.")


def read_token(path: Path, wait: float = 0.0) -> str:
    """The administrator token: the first line of ``path``; refused if missing or empty.

    ``wait``: a board just started creates its token file as it starts, so a script that starts ``serve`` and
    then runs ``admin … --wait`` waits for the file as it waits for the board.
    """
    from plebiscite.secretfiles import loose_permissions

    deadline = time.monotonic() + wait
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.25)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        fail(f"{path}: no such token file")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read the token ({getattr(exc, 'strerror', None) or exc.__class__.__name__})")
    token = lines[0].strip() if lines else ""
    if not token:
        fail(f"{path}: empty; expected the administrator token on its first line")
    warning = loose_permissions(path)
    if warning:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    return token


def _admin(action: str, board: str, token_file: Path, wait: float, json_out: bool) -> dict[str, Any]:
    from plebiscite.board.client import BoardClientError
    from plebiscite.board.operator_client import BoardSession, admin_action

    token = read_token(token_file, wait)
    try:
        with BoardSession(board, token, wait=wait) as session:
            answer = admin_action(session, action)
    except BoardClientError as exc:
        fail(str(exc))
    if json_out:
        print_json(answer)
    return answer


def admin_open(
    board: str = BOARD, token_file: Path = TOKEN_FILE, wait: float = WAIT, json_out: bool = JSON
) -> None:
    """Open voting: fixes the election fingerprint (publish it)."""
    answer = _admin("open", board, token_file, wait, json_out)
    console.print(f"voting open; election fingerprint {answer.get('fingerprint')}", highlight=False)


def admin_close(
    board: str = BOARD, token_file: Path = TOKEN_FILE, wait: float = WAIT, json_out: bool = JSON
) -> None:
    """Close voting: no ballot is accepted after this."""
    _admin("close", board, token_file, wait, json_out)
    console.print("voting closed")


def admin_tally(
    board: str = BOARD, token_file: Path = TOKEN_FILE, wait: float = WAIT, json_out: bool = JSON
) -> None:
    """Aggregate the counted ballots (last per credential on the roll, not challenged); trustees decrypt next."""
    answer = _admin("tally", board, token_file, wait, json_out)
    console.print(f"{answer.get('counted')} ballots counted and aggregated; the trustees can decrypt now")


def admin_result(
    board: str = BOARD, token_file: Path = TOKEN_FILE, wait: float = WAIT, json_out: bool = JSON
) -> None:
    """Combine the trustees' partial decryptions (at least the threshold) and publish the result."""
    answer = _admin("result", board, token_file, wait, json_out)
    if not json_out:
        show_result(answer)


def admin_status(
    board: str = BOARD, token_file: Path = TOKEN_FILE, wait: float = WAIT, json_out: bool = JSON
) -> None:
    """Phase, counts and the latest signed head (checked under the board's key); checks the token too."""
    from plebiscite.board.client import BoardClientError
    from plebiscite.board.operator_client import BoardSession, read_setup

    token = read_token(token_file, wait)
    try:
        with BoardSession(board, token, wait=wait) as session:
            counts = session.request("GET", "/api/admin/status", admin=True)
            view = read_setup(session)
    except BoardClientError as exc:
        fail(str(exc))
    manifest = view.state.manifest
    status = {
        **counts,
        "election_id": manifest.election_id if manifest is not None else None,
        "fingerprint": view.context.fingerprint.hex() if view.context is not None else None,
        "board_key": view.board_key,
        "signed_head": {"tree_size": view.head.tree_size, "timestamp": view.head.timestamp},
    }
    if json_out:
        print_json(status)
        return
    for name, value in status.items():
        console.print(f"{name}: {value}", highlight=False)


def register(app: typer.Typer) -> None:
    for func, name in (
        (admin_open, "open"),
        (admin_close, "close"),
        (admin_tally, "tally"),
        (admin_result, "result"),
        (admin_status, "status"),
    ):
        admin_app.command(name=name)(func)
    app.add_typer(admin_app, name="admin")


# --------------------------------------------------------------------------------------------- voting over HTTP


def vote_over_http(
    board: str,
    credential: Path | None,
    selections: dict[str, list[str]] | None,
    receipt_out: Path,
    board_key: str | None,
    fingerprint: str | None,
    code_file: Path | None = None,
) -> None:
    """Fetch the election from the board, encrypt and sign here, cast, check the receipt, save it.

    In a coercion-resistant election the credential is a device file or a sheet's code (``code_file``, else asked
    at a hidden prompt): ``coercion/voter_cast.py``."""
    from plebiscite.ballot.encrypt import encrypt_ballot
    from plebiscite.board.client import BoardClientError, check_receipt
    from plebiscite.board.operator_client import BoardSession, cast_ballot, read_setup
    from plebiscite.merkle.heads import ForkDetected, TreeHeadError
    from plebiscite.merkle.tree import MerkleError
    from plebiscite.secretfiles import SecretFileError, refuse_existing, write_private
    from plebiscite.setup.credentials import Credential, CredentialError

    try:
        refuse_existing([receipt_out])  # before casting: a receipt that cannot be saved is a receipt lost
        with BoardSession(board) as session:
            view = read_setup(session, board_key)
            ctx = view.context
            if ctx is None:
                fail(f"voting is not open on {board} (phase {view.state.phase!r})")
            if fingerprint is not None and ctx.fingerprint.hex() != fingerprint.strip().lower():
                fail(f"--fingerprint: the board's election is {ctx.fingerprint.hex()}, not the published one")
            ballot: Any
            if ctx.manifest.mode == "coercion-resistant":
                ballot = _cr_ballot(ctx, credential, code_file, selections)
            else:
                if code_file is not None or credential is None:
                    fail(
                        "--credential: give your credential file (sheet codes are for coercion-resistant elections)"
                    )
                cred = Credential.from_json(load_json(credential, "credential"))
                check_credential(ctx, cred, credential)
                choices = ask_answers(ctx, selections or {})
                ballot, _opening = encrypt_ballot(ctx, cred, choices)
            receipt = cast_ballot(session, ballot.to_json())
        write_private(receipt_out, receipt)  # kept whatever the checks say: a receipt that fails is evidence
    except ForkDetected as exc:
        fail(f"FORK: {exc}", code=3)
    except (
        BoardClientError,
        TreeHeadError,
        MerkleError,
        SecretFileError,
        CredentialError,
        ValueError,
    ) as exc:
        fail(str(exc))
    try:
        if receipt.get("tracking_code") != ballot.tracking_code():
            raise BoardClientError("the board's receipt names another ballot than the one cast")
        check_receipt(receipt, board)
    except ForkDetected as exc:
        fail(f"FORK: {exc} (the board's receipt is kept in {receipt_out} as evidence)", code=3)
    except (BoardClientError, TreeHeadError, MerkleError, ValueError) as exc:
        fail(f"receipt NOT confirmed: {exc} (the board's receipt is kept in {receipt_out} as evidence)")
    console.print(
        f"ballot cast: tracking code {ballot.tracking_code()}, index {receipt.get('index')}; receipt checked "
        f"and saved to {receipt_out} (check it again later: plebiscite check-receipt {receipt_out} --board {board})",
        highlight=False,
    )


def _cr_ballot(
    ctx: ElectionContext,
    credential: Path | None,
    code_file: Path | None,
    selections: dict[str, list[str]] | None,
) -> Any:
    """A ``cr-ballot`` with a device credential file or a sheet's code (asked for before the answers)."""
    from plebiscite.cli.common import read_secret
    from plebiscite.coercion.ballot import encrypt_ballot
    from plebiscite.coercion.voter_cast import casting_credential

    cred = casting_credential(
        ctx, credential, code_file, lambda: read_secret(None, "credential code (from your sheet)")
    )
    return encrypt_ballot(ctx, cred, ask_answers(ctx, selections or {}))[0]


def check_credential(ctx: ElectionContext, cred: Credential, where: Path) -> None:
    """The credential must be for this election and on its roll (else the board would refuse the ballot)."""
    from plebiscite.setup.credentials import CredentialError

    if cred.election_id != ctx.manifest.election_id:
        raise CredentialError(f"{where}: credential is for election {cred.election_id!r}")
    if cred.public_key not in ctx.roll:
        raise CredentialError(f"{where}: this credential is not on the roll")


def ask_answers(ctx: ElectionContext, given: dict[str, list[str]]) -> dict[str, list[str]]:
    """``given``, with every question it lacks asked on the terminal (English text); an answer is option ids,
    comma-separated, or ``blank``, asked again until valid. Unknown questions in ``given`` are refused later."""
    from plebiscite.setup.manifest import selections_valid

    out = dict(given)
    for q in ctx.manifest.questions:
        if q.id in out:
            continue
        text = q.text.get("en") or next(iter(q.text.values()), q.id)
        options = ", ".join(o.id for o in q.options) + (", blank" if q.blank else "")
        while True:
            raw = typer.prompt(f"{q.id}: {text} [{options}]")
            chosen = [o.strip() for o in raw.split(",") if o.strip()]
            problem = selections_valid(q, chosen)
            if problem is None:
                out[q.id] = chosen
                break
            console.print(f"[red]{problem}[/]", highlight=False)
    return out
