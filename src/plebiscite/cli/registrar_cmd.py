"""`plebiscite registrar ...` and `plebiscite credential ...`: registration in coercion-resistant mode.

The registrar, on its own machine: ``deal`` (its MAC key, to the trustees, through the board), ``enroll`` (one-time
codes to hand out), ``serve`` (the service voters' devices register with), ``publish`` (the encrypted roll, to the
board). The voter, on their device: ``credential register`` (make ``y``, get and check the credential),
``credential fake`` (a fake credential that looks exactly like it), ``credential check``. docs/coercion.md §3.4.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import typer

from plebiscite.board.trustee_client import TrusteeBoard, TrusteeBoardError
from plebiscite.cli.common import console, fail, read_secret
from plebiscite.coercion import registration as reg
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.registrar_service import Enrolment, load_vault, registrar_app
from plebiscite.keyceremony.vault import VaultError
from plebiscite.record.state import PhaseError
from plebiscite.record.store import RecordError
from plebiscite.secretfiles import write_private_bytes

registrar_app_cli = typer.Typer(help="The registrar's steps (coercion-resistant mode).", no_args_is_help=True)
credential_app = typer.Typer(help="A voter's credential (coercion-resistant mode).", no_args_is_help=True)

EXPECTED = (
    reg.RegistrationError,
    TrusteeBoardError,
    VaultError,
    CoercionError,
    PhaseError,
    RecordError,
    ValueError,
)
BOARD = typer.Option(..., "--board", help="The board's URL.")
BOARD_KEY = typer.Option(None, "--board-key", help="The board's published key (hex); refuse any other.")
VAULT = typer.Option(..., "--vault", help="The registrar's vault file (secret).")
PASSPHRASE = typer.Option(None, "--passphrase-file", help="File whose first line is the vault's passphrase.")
STATE = typer.Option(
    ..., "--state", help="The registrar's enrolment database (SQLite; holds code digests only)."
)
TOKEN = typer.Option(..., "--token-file", help="The board administrator's token file.")


def _clean(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EXPECTED as exc:
            fail(str(exc))

    return wrapper


def _say(message: str) -> None:
    console.print(message, highlight=False)


def _board(url: str, mirror: Path, key: str | None) -> TrusteeBoard:
    return TrusteeBoard(url, mirror, key)


@registrar_app_cli.command("deal")
@_clean
def deal(
    vault: Path = VAULT,
    board: str = BOARD,
    token_file: Path = TOKEN,
    passphrase_file: Path = PASSPHRASE,
    board_key: str = BOARD_KEY,
) -> None:
    """After the key ceremony: make the MAC key (in a new vault) and deal it to the trustees via the board."""
    passphrase = read_secret(passphrase_file, "registrar passphrase")
    token = read_secret(token_file, "administrator token")
    reg.deal(_board(board, vault.parent / "board-mirror", board_key), vault, passphrase, token, _say)


@registrar_app_cli.command("enroll")
@_clean
def enroll(
    state: Path = STATE,
    voters: int = typer.Option(..., min=1, help="How many one-time enrolment codes to make."),
    out: Path = typer.Option(
        ..., help="Where to write the codes (CSV, 0600; hand each to one eligible voter)."
    ),
) -> None:
    """Make one-time enrolment codes; only their digests are kept in the state database."""
    if out.exists():
        fail(f"{out}: already exists; refusing to overwrite codes already handed out")
    enrolment = Enrolment(state)
    try:
        codes = enrolment.add_codes(voters)
    finally:
        enrolment.close()
    write_private_bytes(out, ("code\n" + "".join(f"{c}\n" for c in codes)).encode())
    _say(f"{voters} enrolment codes written to {out}")


@registrar_app_cli.command("serve")
@_clean
def serve(
    vault: Path = VAULT,
    state: Path = STATE,
    board: str = BOARD,
    passphrase_file: Path = PASSPHRASE,
    board_key: str = BOARD_KEY,
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8100),
) -> None:
    """The registration service devices call (put it behind TLS: credentials travel in its answers)."""
    import uvicorn

    secret = load_vault(vault, read_secret(passphrase_file, "registrar passphrase"))
    info = reg.election_info(_board(board, vault.parent / "board-mirror", board_key).view())
    if info.ceremony != secret.ceremony:
        fail("the vault belongs to another election's ceremony than the board's")
    enrolment = Enrolment(state)
    _say(f"registrar for {info.election_id!r} on http://{host}:{port}/registrar/ (enrolment state {state})")
    uvicorn.run(registrar_app(secret, enrolment, info), host=host, port=port, log_level="warning")


@registrar_app_cli.command("publish")
@_clean
def publish(state: Path = STATE, board: str = BOARD, token_file: Path = TOKEN) -> None:
    """Publish the encrypted roll of everyone who registered (closes registration)."""
    enrolment = Enrolment(state)
    try:
        reg.publish(board, enrolment, read_secret(token_file, "administrator token"), _say)
    finally:
        enrolment.close()


@credential_app.command("register")
@_clean
def register_credential(
    registrar: str = typer.Option(..., "--registrar", help="The registrar's URL."),
    board: str = BOARD,
    code: str = typer.Option(..., "--code", help="Your one-time enrolment code."),
    out: Path = typer.Option(..., "--out", help="Where to keep your credential (0600; keep it secret)."),
    board_key: str = BOARD_KEY,
) -> None:
    """Register this device: make your key, get your credential, check its proof, keep it."""
    reg.register_device(registrar, _board(board, out.parent / "board-mirror", board_key), code, out, _say)


@credential_app.command("fake")
@_clean
def fake(
    credential: Path = typer.Option(..., "--credential", help="Your credential file (real or fake)."),
    out: Path = typer.Option(
        ..., "--out", help="Where to write the fake (it looks exactly like a real one)."
    ),
) -> None:
    """Make a fake credential to hand to someone who demands yours: its ballots will not count."""
    reg.make_fake(credential, out)
    _say(f"credential written to {out}")


@credential_app.command("check")
@_clean
def check(credential: Path = typer.Option(..., "--credential", help="A credential file.")) -> None:
    """Run every check anyone can run on a credential file (a fake one passes too: that is the point)."""
    reg.load_device_credential(credential).check()
    _say("the credential's proof verifies")


def register(app: typer.Typer) -> None:
    app.add_typer(registrar_app_cli, name="registrar")
    app.add_typer(credential_app, name="credential")
