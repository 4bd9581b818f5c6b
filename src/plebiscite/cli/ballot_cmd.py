"""The voter's steps from files: vote (encrypt and sign on this device, or over HTTP with --board), cast, challenge
(Benaloh) and check-challenge. Registered by ``election_cmd`` in the order of an election's steps.
"""

from __future__ import annotations

from pathlib import Path

import typer

from plebiscite.ballot.challenge import check_opening, describe
from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import ballot_from_json
from plebiscite.cli.common import console, fail, load_json, print_json, write_json
from plebiscite.cli.operator_cmd import check_credential
from plebiscite.conduct import Conduct
from plebiscite.secretfiles import refuse_existing, write_private
from plebiscite.setup.credentials import Credential


def _selections(choices: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in choices:
        qid, sep, opts = item.partition("=")
        if not sep or not qid:
            raise ValueError(f"--choice {item!r}: expected QUESTION=OPTION[,OPTION…] or QUESTION=blank")
        out[qid] = [o for o in opts.split(",") if o]
    return out


def vote(
    record: Path = typer.Argument(
        None, help="The public record (only the manifest and key are read); or give --board instead."
    ),
    board: str = typer.Option(
        None,
        help="Vote over HTTP: fetch the election from this board, encrypt here, cast, check the receipt.",
    ),
    credential: Path = typer.Option(
        None,
        help="Your credential file (coercion-resistant election: the one `credential register` wrote, or a fake).",
    ),
    code_file: Path = typer.Option(
        None,
        "--code-file",
        help="With --board, coercion-resistant election: a file holding your credential sheet's code "
        "(without it and --credential, the code is asked for; never give it on the command line).",
    ),
    choice: list[str] = typer.Option(
        None,
        "--choice",
        "--answers",
        help="QUESTION=OPTION[,OPTION…] or QUESTION=blank (repeat per question); with --board, the rest are asked.",
    ),
    out: Path = typer.Option(
        Path("ballot.json"), help="Where to write the encrypted ballot (from a record)."
    ),
    opening_out: Path = typer.Option(
        None,
        help="Where to keep the secret opening, to challenge this ballot (mode 0600; never overwritten).",
    ),
    receipt: Path = typer.Option(
        None, help="With --board: where to save the checked receipt (required; never overwritten)."
    ),
    board_key: str = typer.Option(None, help="With --board: the board key its operator published (checked)."),
    fingerprint: str = typer.Option(
        None, help="With --board: the election fingerprint its operator published (checked)."
    ),
) -> None:
    """Encrypt and sign a ballot on this device (the voter's side); with --board, also cast it and keep the receipt."""
    if (record is None) == (board is None):
        fail("give either a RECORD directory or --board URL")
    if board is not None:
        from plebiscite.cli.operator_cmd import vote_over_http

        if receipt is None:
            fail("--receipt: name the file to save your receipt in")
        vote_over_http(
            board,
            credential,
            _selections(choice) if choice else None,
            receipt,
            board_key,
            fingerprint,
            code_file,
        )
        return
    if credential is None or code_file is not None:
        fail("--credential: give your credential file (a sheet's code is used with --board only)")
    if not choice:
        fail("--choice: give an answer to every question (QUESTION=OPTION)")
    conduct = Conduct.read_record(record)
    cred = Credential.from_json(load_json(credential, "credential"))
    ctx = conduct.context
    check_credential(ctx, cred, credential)
    if opening_out is not None:
        refuse_existing([opening_out])
    ballot, opening = encrypt_ballot(ctx, cred, _selections(choice))
    write_json(out, ballot.to_json())
    if opening_out is not None:
        write_private(opening_out, opening.to_json())
    console.print(f"ballot written to {out}; tracking code {ballot.tracking_code()}")


def cast(
    record: Path = typer.Argument(...), ballot: Path = typer.Argument(..., help="Ballot JSON file.")
) -> None:
    """Check a ballot and append it to the record; prints its tracking code."""
    result = Conduct.open_record(record).cast(load_json(ballot, "ballot"))
    note = " (already cast: same receipt)" if result.existing else ""
    console.print(f"cast at event {result.index}; tracking code {result.tracking_code}{note}")


def challenge(
    record: Path = typer.Argument(...),
    ballot: Path = typer.Argument(...),
    opening: Path = typer.Argument(...),
) -> None:
    """Challenge (Benaloh) instead of casting: publish the opening; the ballot can never count."""
    code, plain = Conduct.open_record(record).challenge(
        load_json(ballot, "ballot"), load_json(opening, "opening")
    )
    ctx = Conduct.read_record(record).context
    console.print(f"challenged {code}; it encrypted: {describe(ctx, plain)}")


def check_challenge(
    record: Path = typer.Argument(...),
    ballot: Path = typer.Argument(...),
    opening: Path = typer.Argument(...),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Independently check an opened ballot (from the booth) and show what it encrypted."""
    ctx = Conduct.read_record(record).context
    b = ballot_from_json(load_json(ballot, "ballot"), branch_counts(ctx.layouts))
    plain = check_opening(b, load_json(opening, "opening"), ctx.public_key)
    choices = describe(ctx, plain)
    if json_out:
        print_json({"tracking_code": b.tracking_code(), "choices": choices})
    else:
        console.print(f"ballot {b.tracking_code()} encrypted: {choices}")
