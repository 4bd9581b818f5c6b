"""Every step of an election from files: init, ceremony, register, open, close, tally, decrypt, combine, export
(the voter's vote, cast and challenge are in ``ballot_cmd``, registered here in the order of the steps).
Each command checks fully before it appends, so a refused step leaves the record as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from plebiscite.ballot.model import BallotError
from plebiscite.canonical import hex_bytes
from plebiscite.cli.ballot_cmd import cast, challenge, check_challenge, vote
from plebiscite.cli.common import (
    console,
    describe_validation,
    fail,
    load_json,
    print_json,
    read_secret,
    show_result,
)
from plebiscite.conduct import Conduct, PhaseError, cast_ballots
from plebiscite.hazmat.group import GroupError
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.keyceremony.vault import VaultError, seal, unseal
from plebiscite.proofs.common import ProofError
from plebiscite.record import store
from plebiscite.record.signer import key_path
from plebiscite.record.signing import SignatureError
from plebiscite.record.store import RecordError
from plebiscite.record.stream import EventLines, is_ballot_line
from plebiscite.secretfiles import SecretFileError, refuse_existing, write_private
from plebiscite.setup.credentials import Credential, CredentialError
from plebiscite.setup.manifest import Manifest

EXPECTED_ERRORS = (
    RecordError,
    PhaseError,
    BallotError,
    VaultError,
    CredentialError,
    ProofError,
    GroupError,
    SignatureError,
    SecretFileError,
    ValueError,
)


def _clean_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures become one clear line and exit status 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            fail(describe_validation(exc, "manifest"))
        except EXPECTED_ERRORS as exc:
            fail(str(exc))

    return wrapper


def _open(record: Path) -> Conduct:
    return Conduct.open_record(record)


def _read(record: Path) -> Conduct:
    """The record to read only (anyone's copy: its heads' signing key is the organiser's)."""
    return Conduct.read_record(record)


def init(
    record: Path = typer.Argument(..., help="Record directory to create."),
    manifest: Path = typer.Option(..., help="Manifest JSON file."),
    trustee_key: list[str] = typer.Option(
        [],
        "--trustee-key",
        help="A trustee's signing key (hex), as it gave it to you from `plebiscite trustee init`; once per "
        "trustee, in index order. The real way: each trustee made its key on its own machine.",
    ),
    trustees: int = typer.Option(3, min=1, help="With --trustees-dir: number of trustees n."),
    threshold: int = typer.Option(2, min=1, help="Trustees needed to decrypt k."),
    trustees_dir: Path = typer.Option(
        None,
        help="DEMO AND TESTS ONLY (instead of --trustee-key): every trustee's keys are made here, on this "
        "machine, and sealed into trustee-<i>.json files — whoever runs this holds every trustee's secret.",
    ),
    passphrase_file: Path = typer.Option(None, help="File whose first line is the trustees' passphrase."),
    witness_key: list[str] = typer.Option(
        [],
        "--witness-key",
        help="A witness's public key (hex), as `plebiscite witness init` printed it; once per witness. Adds "
        '"witnesses" to the manifest (docs/board.md §4).',
    ),
    witness_threshold: int = typer.Option(
        None, help="With --witness-key: how many witnesses must cosign a head (default: all of them)."
    ),
) -> None:
    """Start a record: the manifest, and the trustees named by their signing keys."""
    m = _with_witnesses(
        Manifest.model_validate(load_json(manifest, "manifest")), witness_key, witness_threshold
    )
    if (trustees_dir is None) == (not trustee_key):
        fail("trustees: give each trustee's key with --trustee-key, or (demo only) --trustees-dir")
    if trustee_key:
        keys = [hex_bytes(k, 32, f"--trustee-key #{i}") for i, k in enumerate(trustee_key, start=1)]
        if not 1 <= threshold <= len(keys):
            fail("threshold: need 1 <= threshold <= the number of --trustee-key")
        Conduct.create_record(record, m, keys, threshold)
        console.print(
            f"record created at {record} for {m.election_id!r} ({threshold} of {len(keys)} trustees)"
        )
        _say_heads_key(record)
        return
    assert trustees_dir is not None
    if not 1 <= threshold <= trustees:
        fail("threshold: need 1 <= threshold <= trustees")
    targets = [trustees_dir / f"trustee-{i}.json" for i in range(1, trustees + 1)]
    refuse_existing(targets)
    passphrase = read_secret(passphrase_file, "trustee passphrase")
    board = [Trustee.new(i, trustees, threshold) for i in range(1, trustees + 1)]
    Conduct.create_record(record, m, [t.identity for t in board], threshold)
    _seal_trustees(board, targets, passphrase, replace=False)
    console.print(f"record created at {record} for {m.election_id!r} ({threshold} of {trustees} trustees)")
    _say_heads_key(record)
    for t in board:
        console.print(f"trustee {t.index}: key {t.identity.hex()} (fingerprint {t.identity.hex()[:16]})")


def _with_witnesses(m: Manifest, keys: list[str], threshold: int | None) -> Manifest:
    """The manifest with the witnesses named on the command line (validated like any manifest field)."""
    if not keys:
        if threshold is not None:
            fail("--witness-threshold: give the witnesses with --witness-key")
        return m
    if m.witnesses is not None:
        fail(
            "witnesses: the manifest already names witnesses; give them there or with --witness-key, not both"
        )
    named = [k.strip().lower() for k in keys]
    witnesses = {"keys": named, "threshold": len(named) if threshold is None else threshold}
    return Manifest.model_validate({**m.model_dump(mode="json"), "witnesses": witnesses})


def _say_heads_key(record: Path) -> None:
    console.print(
        f"its heads are signed by board key {store.read_board_key(record)} (publish it); the secret is in "
        f"{key_path(record)} (mode 0600: keep it, never publish it)"
    )


def _seal_trustees(board: list[Trustee], targets: list[Path], passphrase: str, replace: bool) -> None:
    """Seal each trustee's secret into its file (``replace``: the ceremony updating the files ``init`` made)."""
    for t, target in zip(board, targets, strict=True):
        write_private(
            target,
            {"format": "plebiscite-trustee/1", "index": t.index, "vault": seal(t.to_secret(), passphrase)},
            replace=replace,
        )


def _load_trustee(path: Path, passphrase: str) -> Trustee:
    data = load_json(path, "trustee file")
    if not isinstance(data, dict) or data.get("format") != "plebiscite-trustee/1" or "vault" not in data:
        raise VaultError(f"{path}: not a trustee secret file")
    return Trustee.from_secret(unseal(data["vault"], passphrase, str(path)))


def ceremony(
    record: Path = typer.Argument(...),
    trustees_dir: Path = typer.Option(
        ..., help="The trustee-<i>.json files `init` made (demo: one machine)."
    ),
    passphrase_file: Path = typer.Option(None, help="File whose first line is the trustees' passphrase."),
) -> None:
    """DEMO AND TESTS ONLY: run the key ceremony for all trustees on this machine; their files gain their shares."""
    conduct = _open(record)
    conduct.state.require("setup")
    passphrase = read_secret(passphrase_file, "trustee passphrase")
    n = conduct.state.trustees
    targets = [trustees_dir / f"trustee-{i}.json" for i in range(1, n + 1)]
    board = [_load_trustee(t, passphrase) for t in targets]
    conduct.run_ceremony(board, lambda m: console.print(f"• {m}"))  # each checks the manifest names its key
    _seal_trustees(board, targets, passphrase, replace=True)
    console.print(f"{n} trustee secret files in {trustees_dir} now hold their shares")


def register_voters(
    record: Path = typer.Argument(None, help="Record directory (or use --board)."),
    voters: int = typer.Option(..., min=1, help="Number of credentials to issue."),
    out_dir: Path = typer.Option(
        ..., help="Where the credential files are written (hand them out privately)."
    ),
    board: str = typer.Option(None, "--board", help="Publish the roll on this board instead of a record."),
    token_file: Path = typer.Option(None, "--token-file", help="With --board: the administrator token file."),
) -> None:
    """Issue one credential per voter and publish the roll (public keys only), after the key ceremony."""
    if (record is None) == (board is None):
        fail("give a record directory or --board URL (one of them)")
    if board is not None:
        eid = _board_election_id(board)
    else:
        state = _open(record).state
        state.require("setup")
        assert state.manifest is not None
        eid = state.manifest.election_id
    creds = [Credential.generate(eid) for _ in range(voters)]
    targets = [out_dir / f"credential-{i:06d}.json" for i in range(1, voters + 1)]
    refuse_existing(targets)  # before anything is written: credentials already handed out are never replaced
    for c, target in zip(creds, targets, strict=True):
        write_private(target, c.to_json())
    try:
        if board is not None:
            _post_roll(board, token_file, [c.public_key for c in creds])
        else:
            _open(record).register([c.public_key for c in creds])
    except BaseException:
        for target in targets:  # the roll was not published: these credentials would never be valid
            target.unlink(missing_ok=True)
        raise
    console.print(f"{voters} credentials written to {out_dir}; roll published")


def _board_election_id(url: str) -> str:
    """The election id of the board at ``url``, refusing unless it waits for its roll (phase setup, roll not out)."""
    from plebiscite.board.client import BoardClientError
    from plebiscite.board.operator_client import BoardSession

    try:
        with BoardSession(url) as session:
            election = session.request("GET", "/api/election")
            ceremony_round = session.request("GET", "/api/trustee/state")["ceremony_round"]
    except BoardClientError as exc:
        raise RecordError(str(exc)) from None
    if election["phase"] != "setup" or ceremony_round == "closed":
        raise PhaseError(f"the board is in phase {election['phase']!r} and its roll is already published")
    return str(Manifest.model_validate(election["manifest"]["manifest"]).election_id)


def _post_roll(url: str, token_file: Path | None, keys: list[bytes]) -> None:
    from plebiscite.board.client import BoardClientError
    from plebiscite.board.operator_client import BoardSession

    token = read_secret(token_file, "administrator token")
    try:
        with BoardSession(url, token, timeout=120) as session:
            session.request(
                "POST", "/api/admin/roll", admin=True, json={"credentials": [k.hex() for k in keys]}
            )
    except BoardClientError as exc:
        raise RecordError(str(exc)) from None


def open_(record: Path = typer.Argument(...)) -> None:
    """Fix the election (fingerprint over manifest, trustees, key and roll) and open voting."""
    ctx = _open(record).open_voting()
    console.print(f"voting open; election fingerprint {ctx.fingerprint.hex()}")


def close(record: Path = typer.Argument(...)) -> None:
    """Close voting."""
    _open(record).close()
    console.print("voting closed")


def tally(record: Path = typer.Argument(...)) -> None:
    """Select the counted ballots (roll, last per credential, not challenged) and aggregate them."""
    conduct = _open(record)
    payload = conduct.tally(cast_ballots(store.read(record), conduct.context))
    console.print(f"{len(payload['counted'])} ballots counted and aggregated")


def decrypt(
    record: Path = typer.Argument(...),
    trustee: Path = typer.Option(..., help="This trustee's secret file."),
    passphrase_file: Path = typer.Option(None, help="File whose first line is the passphrase."),
    board: str = typer.Option(
        None,
        help="Post the partial decryption to this board (its URL) instead of appending it to RECORD, which is "
        "then only read: your mirror of the board (a record the board signed cannot be extended offline).",
    ),
) -> None:
    """A trustee's partial decryption of the tally, with proofs: appended to RECORD, or posted to --board."""
    t = _load_trustee(trustee, read_secret(passphrase_file, "trustee passphrase"))
    if board is None:
        _open(record).decrypt(t)  # refuses, writing nothing, a trustee this election's manifest does not name
        console.print(f"trustee {t.index} decrypted")
        return
    from plebiscite.board.client import BoardClientError
    from plebiscite.board.operator_client import BoardSession

    payload = _read(record).partial_decryption(t)  # the same refusals, before anything is sent
    try:
        with BoardSession(board) as session:
            session.request("POST", "/api/trustee/partial-decryption", json=payload)
    except BoardClientError as exc:
        fail(str(exc))
    console.print(f"trustee {t.index} decrypted; posted to {board}")


def combine(record: Path = typer.Argument(...), json_out: bool = typer.Option(False, "--json")) -> None:
    """Combine ≥ k partial decryptions and publish the result."""
    result = _open(record).combine()
    if json_out:
        print_json(result)
        return
    show_result(result)


def export(
    record: Path = typer.Argument(...),
    out: Path = typer.Argument(
        ..., help="Zip file to write (with --parquet: a directory for the partitions)."
    ),
    parquet: bool = typer.Option(
        False, "--parquet", help="Write the ballots as Parquet partitions (for verify --dask); needs 'scale'."
    ),
    rows: int = typer.Option(50_000, min=1, help="With --parquet: ballots per partition."),
) -> None:
    """Write the record as a zip, or its ballots as Parquet partitions."""
    checked = _checked_lines(EventLines(record))
    if (
        parquet
    ):  # every line is parsed on the way (refuse a damaged record), one partition in memory at a time
        from plebiscite.record.parquet import write_partitions

        count = 0

        def ballots() -> Iterator[tuple[int, bytes]]:
            nonlocal count
            for index, line in checked:
                if is_ballot_line(line):
                    count += 1
                    yield index, line

        parts = write_partitions(ballots(), out, rows)
        console.print(f"{count} ballots in {len(parts)} partitions in {out}")
        return
    for _ in checked:  # refuse to export a damaged record, reading it a line at a time
        pass
    store.export_zip(record, out)
    console.print(f"record exported to {out}")


def _checked_lines(source: EventLines) -> Iterator[tuple[int, bytes]]:
    """The record's lines, each parsed (and refused with a named error if damaged) on the way through."""
    for index, line in source:
        store.parse_event(index, line, f"{source.where} line {index + 1}")
        yield index, line


def register_commands(app: typer.Typer) -> None:
    for func, name in (
        (init, "init"),
        (ceremony, "ceremony"),
        (register_voters, "register"),
        (open_, "open"),
        (vote, "vote"),
        (cast, "cast"),
        (challenge, "challenge"),
        (check_challenge, "check-challenge"),
        (close, "close"),
        (tally, "tally"),
        (decrypt, "decrypt"),
        (combine, "combine"),
        (export, "export"),
    ):
        app.command(name=name)(_clean_errors(func))


def register(app: typer.Typer) -> None:
    """Entry point used by cli.main."""
    register_commands(app)
