"""`plebiscite registrar ...` and `plebiscite credential ...`: registration in coercion-resistant mode.

The registrar, on its own machine: ``deal`` (its MAC key, to the trustees, through the board), ``enroll`` (one-time
codes to hand out), ``serve`` (the service voters' devices register with), ``station`` (in-person registration that
prints a credential sheet), ``reissue`` (a new code for a voter whose credential was lost or copied, before the
roll), ``publish`` (the encrypted roll, to the board). The voter, on their device:
``credential register`` (make ``y``, get and check the credential), ``credential fake`` (a fake credential that
looks exactly like it), ``credential check``, ``credential sheet --fake`` (fake credential sheets, anywhere, without
any secret). docs/coercion.md §3.4–3.6.
"""

from __future__ import annotations

from pathlib import Path

import typer

from plebiscite.board.trustee_client import TrusteeBoard, TrusteeBoardError
from plebiscite.cli.common import clean_errors, fail, read_secret, say
from plebiscite.coercion import registration as reg
from plebiscite.coercion import station as st
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
    st.StationError,
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
LANG = typer.Option(
    None, "--lang", help="The sheet's language: uk, ru or en (default: the manifest's first language)."
)


_clean = clean_errors(*EXPECTED)
_say = say


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
    """The registration service devices call (put it behind TLS: credentials travel in its answers).

    It follows the board: before each registration it reads the board's new signed head and entries, and refuses
    (409) once the encrypted roll is published or the election left its setup phase, 503 if the board cannot be
    read. It refuses to start when registration is closed already."""
    import uvicorn

    from plebiscite.board.follow import Follower
    from plebiscite.coercion.registrar_follow import BoardWindow, registration_closed

    secret = load_vault(vault, read_secret(passphrase_file, "registrar passphrase"))
    view = _board(board, vault.parent / "board-mirror", board_key).view()
    info = reg.election_info(view)
    if info.ceremony != secret.ceremony:
        fail("the vault belongs to another election's ceremony than the board's")
    closed = registration_closed(view.events, view.state)
    if closed is not None:
        fail(closed)
    enrolment = Enrolment(state)
    follower = Follower(board, view.mirror, view.events)
    try:
        window = BoardWindow(follower, info, view.mirror)
        _say(
            f"registrar for {info.election_id!r} on http://{host}:{port}/registrar/ (enrolment state {state})"
        )
        app = registrar_app(secret, enrolment, info, window.require_open)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        follower.close()
        enrolment.close()


def _language(lang: str | None, election: st.SheetElection) -> str:
    return lang if lang is not None else election.default_language


@registrar_app_cli.command("station")
@_clean
def station(
    vault: Path = VAULT,
    state: Path = STATE,
    board: str = BOARD,
    out: Path = typer.Option(..., "--out", help="Where to write the voter's credential sheet (PDF, 0600)."),
    code: str = typer.Option(
        None, "--code", help="The voter's one-time enrolment code (asked for, hidden, when not given)."
    ),
    fakes: int = typer.Option(
        0, "--fakes", min=0, max=50, help="Also write this many fake sheets beside it (`NAME.fake-I.pdf`)."
    ),
    lang: str = LANG,
    passphrase_file: Path = PASSPHRASE,
    board_key: str = BOARD_KEY,
) -> None:
    """In-person registration: this machine plays the voter's device and prints a credential sheet (and fakes)."""
    secret = load_vault(vault, read_secret(passphrase_file, "registrar passphrase"))
    view = _board(board, vault.parent / "board-mirror", board_key).view()
    info, election = reg.election_info(view), st.sheet_election(view)
    st.require_registration_open(view)
    enrolment_code = code if code is not None else read_secret(None, "the voter's enrolment code")
    enrolment = Enrolment(state)
    try:
        st.register_in_person(
            secret, enrolment, info, election, enrolment_code, out, fakes, _language(lang, election), _say
        )
    finally:
        enrolment.close()


@registrar_app_cli.command("reissue")
@_clean
def reissue(
    vault: Path = VAULT,
    state: Path = STATE,
    board: str = BOARD,
    out: Path = typer.Option(
        ...,
        "--out",
        help="Where to write the voter's new one-time code (0600; hand it to the voter in person).",
    ),
    code: str = typer.Option(
        None, "--code", help="The code the voter registered with (asked for, hidden, when not given)."
    ),
    passphrase_file: Path = PASSPHRASE,
    board_key: str = BOARD_KEY,
) -> None:
    """Before the roll is published: void the credential a used code registered (answer lost in transit, sheet
    lost, credential stolen) and give the voter a new one-time code to register again with (docs/coercion.md
    §3.6)."""
    from plebiscite.coercion.registrar_follow import require_reissue_open

    if out.exists():
        fail(f"{out}: already exists; refusing to overwrite a code")
    secret = load_vault(vault, read_secret(passphrase_file, "registrar passphrase"))
    trustee_board = _board(board, vault.parent / "board-mirror", board_key)
    old = code if code is not None else read_secret(None, "the voter's enrolment code")

    written: list[Path] = []

    def keep(fresh: str) -> None:  # before the commit: the new code is never in the state without its file
        write_private_bytes(out, f"code\n{fresh}\n".encode())
        written.append(out)

    enrolment = Enrolment(state)
    try:
        enrolment.reissue(old, lambda: require_reissue_open(trustee_board.view(), secret.ceremony), keep)
    except BaseException:
        for path in written:  # written, then the commit failed: no code file that the state does not hold
            path.unlink(missing_ok=True)
        raise
    finally:
        enrolment.close()
    _say(
        f"the entry registered with that code is void (it will not be on the roll); the new code is in {out}"
    )


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


@credential_app.command("sheet")
@_clean
def sheet(
    board: str = BOARD,
    out: Path = typer.Option(..., "--out", help="Where to write the sheet (PDF, 0600; never overwritten)."),
    fake: bool = typer.Option(False, "--fake", help="Print fake sheets: random codes, no secret needed."),
    count: int = typer.Option(
        1, "--count", min=1, max=50, help="With --fake: how many (NAME-I.pdf when > 1)."
    ),
    code_file: Path = typer.Option(
        None, "--code-file", help="Instead of --fake: reprint your own sheet from a file holding its code."
    ),
    lang: str = LANG,
    board_key: str = BOARD_KEY,
) -> None:
    """Print credential sheets that look exactly like the registrar's: fakes to hand over, or a copy of yours."""
    from plebiscite.coercion.sheet_code import SheetCredential
    from plebiscite.coercion.sheet_pdf import render_sheet
    from plebiscite.coercion.voter_cast import read_code_file

    if fake == (code_file is not None):
        fail("give --fake (fake sheets) or --code-file (a copy of your own sheet)")
    election = st.sheet_election(_board(board, out.parent / "board-mirror", board_key).view())
    language = _language(lang, election)
    if fake:
        paths = st.print_fake_sheets(election, out, count, language)
    else:
        own = SheetCredential.from_code(election.election_id, read_code_file(code_file))
        st.write_sheets([(out, render_sheet(own, election.title(language), language))])
        paths = [out]
    _say(f"credential sheet(s) written: {', '.join(str(p) for p in paths)}")


def register(app: typer.Typer) -> None:
    app.add_typer(registrar_app_cli, name="registrar")
    app.add_typer(credential_app, name="credential")
