"""`plebiscite trustee ...`: a trustee's duties, each on the trustee's own machine (docs/trustee.md).

``init`` makes the identity keys before the manifest exists; ``join``, ``deal``, ``receive``, ``answer`` and
``finish`` are the key ceremony's rounds against the board; ``decrypt`` is the partial decryption after the tally.
No secret leaves the vault unsealed: the board receives only signed public posts, which it checks with the
verifier's functions (``board/trustee_steps.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from plebiscite.board.trustee_client import TrusteeBoard, TrusteeBoardError
from plebiscite.cli.common import clean_errors, fail, read_secret, say
from plebiscite.hazmat.group import GroupError
from plebiscite.keyceremony import remote
from plebiscite.keyceremony import trustee_vault as vaults
from plebiscite.keyceremony.vault import VaultError
from plebiscite.proofs.common import ProofError
from plebiscite.record.signing import SignatureError
from plebiscite.record.state import PhaseError
from plebiscite.record.store import RecordError
from plebiscite.secretfiles import read_document

trustee_app = typer.Typer(
    help="A trustee's steps, on the trustee's own machine: keys, the key ceremony over the board, decryption.",
    no_args_is_help=True,
)

EXPECTED = (
    TrusteeBoardError,
    VaultError,
    RecordError,
    PhaseError,
    ProofError,
    GroupError,
    SignatureError,
    ValueError,
)

VAULT = typer.Option(
    ..., "--vault", help="Your vault file (made by `plebiscite trustee init`; keep it secret)."
)
PASSPHRASE = typer.Option(
    None, "--passphrase-file", help="File whose first line is the vault's passphrase (else you are asked)."
)
BOARD = typer.Option(..., "--board", help="The board's URL, e.g. https://vote.example.org")
BOARD_KEY = typer.Option(
    None, "--board-key", help="The board's public key (hex) as the organiser published it; refuse any other."
)
MIRROR = typer.Option(
    None,
    "--mirror",
    help="Your verified copy of the board's record (default: board-mirror/ beside the vault).",
)
WAIT = typer.Option(0.0, "--wait", min=0, help="Seconds to wait for the other trustees' posts.")
PROCEED = typer.Option(
    False,
    "--proceed-without-missing",
    help="After the agreed deadline: go on without trustees who did not post (they are left out).",
)


_clean = clean_errors(*EXPECTED)
_say = say


def _step(
    vault: Path, passphrase_file: Path | None, board: str, board_key: str | None, mirror: Path | None
) -> remote.Step:
    passphrase = read_secret(passphrase_file, "vault passphrase")
    where = mirror if mirror is not None else vault.parent / "board-mirror"
    return remote.Step(TrusteeBoard(board, where, board_key), vault, passphrase, _say)


@trustee_app.command("init")
@_clean
def init(vault: Path = VAULT, passphrase_file: Path = PASSPHRASE) -> None:
    """Make your identity keys (signing and box) in a new vault; prints the key to give the organiser."""
    made = vaults.create(vault, read_secret(passphrase_file, "vault passphrase"))
    _say(f"vault written to {vault} (readable by you only)")
    _say(f"signing key (give it to the organiser for the manifest): {made.signing_key.hex()}")
    groups = vaults.fingerprint_groups(made.signing_key)
    _say(f"fingerprint (publish it yourself, and check it in the manifest): {groups}")


@trustee_app.command("key")
@_clean
def key(vault: Path = VAULT) -> None:
    """Print the vault's public signing key (for the manifest; no passphrase needed, checked on every use)."""
    data = read_document(vault, vaults.FORMAT, "trustee vault", VaultError)
    public = data.get("public")
    if not isinstance(public, dict) or not isinstance(public.get("signing_key"), str):
        fail(f"{vault}: not a trustee vault (no public key)")
    print(public["signing_key"])


@trustee_app.command("join")
@_clean
def join(
    vault: Path = VAULT,
    board: str = BOARD,
    passphrase_file: Path = PASSPHRASE,
    board_key: str = BOARD_KEY,
    mirror: Path = MIRROR,
    trustees: int = typer.Option(
        None, "--trustees", help="Refuse unless the manifest says this many trustees."
    ),
    threshold: int = typer.Option(
        None, "--threshold", help="Refuse unless the manifest says this threshold."
    ),
) -> None:
    """Round 1: check the manifest names your key, make your polynomial, post your signed commitments."""
    remote.join(_step(vault, passphrase_file, board, board_key, mirror), trustees, threshold)


def _waiting_step(name: str, run: Callable[..., None], doc: str) -> None:
    """Register a round that waits for the other trustees' posts (deal, receive)."""

    def command(
        vault: Path = VAULT,
        board: str = BOARD,
        passphrase_file: Path = PASSPHRASE,
        board_key: str = BOARD_KEY,
        mirror: Path = MIRROR,
        wait: float = WAIT,
        proceed_without_missing: bool = PROCEED,
    ) -> None:
        run(_step(vault, passphrase_file, board, board_key, mirror), wait, proceed_without_missing)

    command.__doc__ = doc
    trustee_app.command(name)(_clean(command))


def _plain_step(name: str, run: Callable[..., object], doc: str) -> None:
    """Register a round that needs nothing but the board and the vault (answer, finish)."""

    def command(
        vault: Path = VAULT,
        board: str = BOARD,
        passphrase_file: Path = PASSPHRASE,
        board_key: str = BOARD_KEY,
        mirror: Path = MIRROR,
    ) -> None:
        run(_step(vault, passphrase_file, board, board_key, mirror))

    command.__doc__ = doc
    trustee_app.command(name)(_clean(command))


_waiting_step(
    "deal",
    remote.deal,
    "Round 2: once every trustee announced, post your shares, each sealed to its recipient.",
)
_waiting_step(
    "receive",
    remote.receive,
    "Round 3: open and check the shares dealt to you; post a complaint against each bad one.",
)
_plain_step(
    "answer",
    remote.answer,
    "Answer complaints against you by revealing the disputed shares (unanswered, you are disqualified).",
)
_plain_step(
    "finish",
    remote.finish,
    "Compute your decryption share from the qualified dealers and check it against the record.",
)


def _tally_step(name: str, doc: str) -> None:
    """Register a coercion-resistant tally phase (precompute, tally): every step that falls to this trustee."""

    def command(
        vault: Path = VAULT,
        board: str = BOARD,
        passphrase_file: Path = PASSPHRASE,
        board_key: str = BOARD_KEY,
        mirror: Path = MIRROR,
        wait: float = typer.Option(
            0.0, "--wait", min=0, help="Seconds to wait for the other trustees' turns."
        ),
        workers: int = typer.Option(
            0, "--workers", min=0, help="Processes for the proofs (0: one per core)."
        ),
    ) -> None:
        from plebiscite.coercion.remote import run_steps

        run_steps(_step(vault, passphrase_file, board, board_key, mirror), name, wait, workers or None)

    command.__doc__ = doc
    trustee_app.command(name)(_clean(command))


_tally_step(
    "precompute",
    "Coercion-resistant mode, while voting runs: your tag keys, roll shuffle and roll tags, each in your turn.",
)
_tally_step(
    "tally",
    "Coercion-resistant mode, after close: your duplicate-elimination, MAC-fold, shuffle and matching steps.",
)


@trustee_app.command("ahead")
@_clean
def ahead(
    vault: Path = VAULT,
    board: str = BOARD,
    passphrase_file: Path = PASSPHRASE,
    board_key: str = BOARD_KEY,
    mirror: Path = MIRROR,
    once: bool = typer.Option(False, "--once", help="One round over the ballots cast so far, then stop."),
    poll: float = typer.Option(5.0, "--poll", min=0.1, help="Seconds between looks at the board's head."),
    workers: int = typer.Option(0, "--workers", min=0, help="Processes for the rows (0: one per core)."),
) -> None:
    """Coercion-resistant mode, while voting runs (after `precompute`): follow the board and compute your rows of
    the ballots cast so far, kept encrypted beside your mirror, until close; `tally` then only proves them."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from plebiscite.cli.common import console
    from plebiscite.coercion.ahead import Round, run_ahead

    step = _step(vault, passphrase_file, board, board_key, mirror)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("following the board", total=None)

        def shown(r: Round) -> None:
            state = "voting closed" if r.closed else "waiting for ballots"
            if r.waiting:
                state = f"waiting: {r.waiting}"
            progress.update(
                task,
                description=f"rows kept for {r.kept:,} of {r.ballots:,} ballots "
                f"(+{r.computed:,} rows in {r.seconds:.1f} s) · {state}",
            )

        try:
            last = run_ahead(step, not once, workers or None, poll, shown)
        except KeyboardInterrupt:
            progress.stop()
            _say("stopped: every row written so far is kept; run `trustee ahead` again to go on")
            raise typer.Exit(130) from None
    if last.closed:
        _say(f"voting is closed: rows kept for {last.kept:,} ballots; run `plebiscite trustee tally` next")
    else:
        _say(f"rows kept for {last.kept:,} of {last.ballots:,} ballots; run again for those cast later")


@trustee_app.command("decrypt")
@_clean
def decrypt(
    vault: Path = VAULT,
    board: str = BOARD,
    passphrase_file: Path = PASSPHRASE,
    board_key: str = BOARD_KEY,
    mirror: Path = MIRROR,
    workers: int = typer.Option(
        0, "--workers", min=0, help="Processes for verifying the ballots (0: one per core)."
    ),
) -> None:
    """After the tally: verify the record, then make, check and post your partial decryption."""
    from plebiscite.decrypt.remote import decrypt as decrypt_remote

    decrypt_remote(_step(vault, passphrase_file, board, board_key, mirror), workers)


def register(app: typer.Typer) -> None:
    app.add_typer(trustee_app, name="trustee")
