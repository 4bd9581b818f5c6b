"""Every step of an election from files: init, ceremony, register, open, vote, cast, challenge, close, tally,
decrypt, combine, export. Each command checks fully before it appends, so a refused step leaves the record as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from plebiscite.ballot.challenge import check_opening, describe
from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import BallotError, ballot_from_json
from plebiscite.cli.common import (
    console,
    describe_validation,
    fail,
    load_json,
    print_json,
    read_secret,
    write_json,
)
from plebiscite.conduct import Conduct, PhaseError, cast_ballots
from plebiscite.hazmat.group import GroupError
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.keyceremony.vault import VaultError, seal, unseal, write_private
from plebiscite.proofs.common import ProofError
from plebiscite.record import store
from plebiscite.record.signer import key_path
from plebiscite.record.signing import SignatureError
from plebiscite.record.store import RecordError
from plebiscite.record.stream import EventLines, is_ballot_line
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
    trustees: int = typer.Option(3, min=1, help="Number of trustees n."),
    threshold: int = typer.Option(2, min=1, help="Trustees needed to decrypt k."),
    trustees_dir: Path = typer.Option(
        ...,
        help="DEMO AND TESTS ONLY: every trustee's keys are made here, on this machine, and sealed into "
        "trustee-<i>.json files — whoever runs this holds every trustee's secret.",
    ),
    passphrase_file: Path = typer.Option(None, help="File whose first line is the trustees' passphrase."),
) -> None:
    """Start a record: the manifest, and the trustees named by their keys (made here: a one-machine demo)."""
    m = Manifest.model_validate(load_json(manifest, "manifest"))
    if not 1 <= threshold <= trustees:
        fail("threshold: need 1 <= threshold <= trustees")
    targets = [trustees_dir / f"trustee-{i}.json" for i in range(1, trustees + 1)]
    if any(t.exists() for t in targets):
        fail(f"{trustees_dir}: trustee files already exist; refusing to overwrite secrets")
    passphrase = read_secret(passphrase_file, "trustee passphrase")
    board = [Trustee.new(i, trustees, threshold) for i in range(1, trustees + 1)]
    Conduct.create_record(record, m, [t.identity for t in board], threshold)
    _seal_trustees(board, targets, passphrase)
    console.print(f"record created at {record} for {m.election_id!r} ({threshold} of {trustees} trustees)")
    console.print(
        f"its heads are signed by board key {store.read_board_key(record)} (publish it); the secret is in "
        f"{key_path(record)} (mode 0600: keep it, never publish it)"
    )
    for t in board:
        console.print(f"trustee {t.index}: key {t.identity.hex()} (fingerprint {t.identity.hex()[:16]})")


def _seal_trustees(board: list[Trustee], targets: list[Path], passphrase: str) -> None:
    targets[0].parent.mkdir(parents=True, exist_ok=True)
    for t, target in zip(board, targets, strict=True):
        write_private(
            target,
            {"format": "plebiscite-trustee/1", "index": t.index, "vault": seal(t.to_secret(), passphrase)},
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
    _seal_trustees(board, targets, passphrase)
    console.print(f"{n} trustee secret files in {trustees_dir} now hold their shares")


def register_voters(
    record: Path = typer.Argument(...),
    voters: int = typer.Option(..., min=1, help="Number of credentials to issue."),
    out_dir: Path = typer.Option(
        ..., help="Where the credential files are written (hand them out privately)."
    ),
) -> None:
    """Issue one credential per voter and publish the roll (public keys only)."""
    conduct = _open(record)
    conduct.state.require("setup")
    assert conduct.state.manifest is not None
    eid = conduct.state.manifest.election_id
    out_dir.mkdir(parents=True, exist_ok=True)
    creds = [Credential.generate(eid) for _ in range(voters)]
    for i, c in enumerate(creds, start=1):
        write_private(out_dir / f"credential-{i:06d}.json", c.to_json())
    conduct.register([c.public_key for c in creds])
    console.print(f"{voters} credentials written to {out_dir}; roll published")


def open_(record: Path = typer.Argument(...)) -> None:
    """Fix the election (fingerprint over manifest, trustees, key and roll) and open voting."""
    ctx = _open(record).open_voting()
    console.print(f"voting open; election fingerprint {ctx.fingerprint.hex()}")


def _selections(choices: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in choices:
        qid, sep, opts = item.partition("=")
        if not sep or not qid:
            raise ValueError(f"--choice {item!r}: expected QUESTION=OPTION[,OPTION…] or QUESTION=blank")
        out[qid] = [o for o in opts.split(",") if o]
    return out


def vote(
    record: Path = typer.Argument(..., help="The public record (only the manifest and key are read)."),
    credential: Path = typer.Option(..., help="Your credential file."),
    choice: list[str] = typer.Option(..., help="QUESTION=OPTION[,OPTION…] (repeat per question)."),
    out: Path = typer.Option(Path("ballot.json"), help="Where to write the encrypted ballot."),
    opening_out: Path = typer.Option(
        Path("opening.json"), help="Where to keep the secret opening (for a challenge)."
    ),
) -> None:
    """Encrypt and sign a ballot on this device (the voter's side)."""
    conduct = _read(record)
    cred = Credential.from_json(load_json(credential, "credential"))
    ctx = conduct.context
    if cred.election_id != ctx.manifest.election_id:
        raise CredentialError(f"{credential}: credential is for election {cred.election_id!r}")
    if cred.public_key not in ctx.roll:
        raise CredentialError(f"{credential}: this credential is not on the roll")
    ballot, opening = encrypt_ballot(ctx, cred, _selections(choice))
    write_json(out, ballot.to_json())
    write_private(opening_out, opening.to_json())
    console.print(f"ballot written to {out}; tracking code {ballot.tracking_code()}")


def cast(
    record: Path = typer.Argument(...), ballot: Path = typer.Argument(..., help="Ballot JSON file.")
) -> None:
    """Check a ballot and append it to the record; prints its tracking code."""
    result = _open(record).cast(load_json(ballot, "ballot"))
    note = " (already cast: same receipt)" if result.existing else ""
    console.print(f"cast at event {result.index}; tracking code {result.tracking_code}{note}")


def challenge(
    record: Path = typer.Argument(...),
    ballot: Path = typer.Argument(...),
    opening: Path = typer.Argument(...),
) -> None:
    """Challenge (Benaloh) instead of casting: publish the opening; the ballot can never count."""
    code, plain = _open(record).challenge(load_json(ballot, "ballot"), load_json(opening, "opening"))
    ctx = _read(record).context
    console.print(f"challenged {code}; it encrypted: {describe(ctx, plain)}")


def check_challenge(
    record: Path = typer.Argument(...),
    ballot: Path = typer.Argument(...),
    opening: Path = typer.Argument(...),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Independently check an opened ballot (from the booth) and show what it encrypted."""
    ctx = _read(record).context
    b = ballot_from_json(load_json(ballot, "ballot"), branch_counts(ctx.layouts))
    plain = check_opening(b, load_json(opening, "opening"), ctx.public_key)
    choices = describe(ctx, plain)
    if json_out:
        print_json({"tracking_code": b.tracking_code(), "choices": choices})
    else:
        console.print(f"ballot {b.tracking_code()} encrypted: {choices}")


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
) -> None:
    """A trustee's partial decryption of the tally, with proofs."""
    t = _load_trustee(trustee, read_secret(passphrase_file, "trustee passphrase"))
    _open(record).decrypt(t)  # refuses, writing nothing, a trustee this election's manifest does not name
    console.print(f"trustee {t.index} decrypted")


def combine(record: Path = typer.Argument(...), json_out: bool = typer.Option(False, "--json")) -> None:
    """Combine ≥ k partial decryptions and publish the result."""
    result = _open(record).combine()
    if json_out:
        print_json(result)
        return
    for q in result["questions"]:
        line = ", ".join(f"{k}: {v}" for k, v in q["counts"].items())
        blank = f", blank: {q['blank']}" if "blank" in q else ""
        console.print(f"{q['id']}: {line}{blank}")


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
