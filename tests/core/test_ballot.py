"""Ballots: encryption, checks with named errors, replays, Benaloh challenges, credentials, manifests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from plebiscite.ballot.challenge import check_opening, describe
from plebiscite.ballot.check import check_ballot
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import BallotError
from plebiscite.setup.credentials import Credential, CredentialError
from plebiscite.setup.manifest import Manifest, layout, plaintexts, selections_valid
from plebiscite.setup.samples import referendum

from .conftest import Election

CHOICE = {"q1": ["no"], "q2": ["bi"], "q3": ["roads", "clinics"]}


def test_valid_ballot_passes_and_opens(election: Election) -> None:
    ballot, opening = encrypt_ballot(election.ctx, election.credentials[0], CHOICE)
    decoded = check_ballot(ballot.to_json(), election.ctx)
    assert decoded.tracking_code() == ballot.tracking_code()
    plain = check_opening(decoded, opening.to_json(), election.ctx.public_key)
    assert describe(election.ctx, plain) == {"q1": ["no"], "q2": ["bi"], "q3": ["roads", "clinics"]}


def test_yes_no_ballot_is_one_ciphertext(election: Election) -> None:
    ballot, _ = encrypt_ballot(election.ctx, election.credentials[0], CHOICE)
    assert len(ballot.answers[0].choices) == 1 and ballot.answers[0].sum_proof is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.pop("signature"), "ballot.signature: expected a hex string"),
        (lambda b: b.update(extra=1), "unexpected field 'extra'"),
        (lambda b: b["answers"].pop(), "ballot.answers: expected 3 answers"),
        (
            lambda b: b["answers"][0]["choices"][0].__setitem__(0, "ff" * 32),
            "ballot.answers[0].choices[0][0]",
        ),
        (lambda b: b["answers"][1]["choices"].pop(), "ballot.answers[1].choices: expected 4 ciphertexts"),
        (lambda b: b.update(election="00" * 32), "ballot.election: made for another election"),
        (lambda b: b.update(credential="11" * 32), "ballot.credential: not on the roll"),
        (lambda b: b.update(signature="ff" * 64), "ballot.signature: R is not a canonical"),
        (
            lambda b: b.update(signature=b["signature"][:64] + "ff" * 32),
            "ballot.signature: s is not a canonical",
        ),
        (lambda b: b.update(signature=b["signature"][:64] + "00" * 32), "ballot.signature: does not verify"),
        (lambda b: b["answers"][2].update(sum_proof=None), "ballot.answers[2].sum_proof"),
        (lambda b: b.update(answers="nope"), "ballot.answers"),
    ],
)
def test_bad_ballots_name_the_field(election: Election, mutate: Any, message: str) -> None:
    ballot, _ = encrypt_ballot(election.ctx, election.credentials[0], CHOICE)
    value = copy.deepcopy(ballot.to_json())
    mutate(value)
    with pytest.raises(BallotError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_ballot(value, election.ctx)


def test_choices_beyond_limits_are_refused_before_encryption(election: Election) -> None:
    with pytest.raises(ValueError, match="choose between 1 and 2"):
        encrypt_ballot(
            election.ctx, election.credentials[0], {**CHOICE, "q3": ["roads", "clinics", "schools"]}
        )
    with pytest.raises(ValueError, match="blank is not allowed"):
        encrypt_ballot(election.ctx, election.credentials[0], {**CHOICE, "q1": ["blank"]})
    with pytest.raises(ValueError, match="unknown option"):
        encrypt_ballot(election.ctx, election.credentials[0], {**CHOICE, "q2": ["xx"]})


def test_wrong_opening_is_rejected(election: Election) -> None:
    ballot, opening = encrypt_ballot(election.ctx, election.credentials[0], CHOICE)
    bad = opening.to_json()
    bad["plaintexts"][0][0] ^= 1
    with pytest.raises(BallotError, match="does not open"):
        check_opening(ballot, bad, election.ctx.public_key)
    bad = opening.to_json()
    bad["randomness"][1].pop()
    with pytest.raises(BallotError, match=r"opening\.randomness: shape"):
        check_opening(ballot, bad, election.ctx.public_key)


def test_credential_code_roundtrip_and_typo() -> None:
    cred = Credential.generate("e")
    assert Credential.from_code("e", cred.code().lower()).seed == cred.seed
    code = cred.code()
    typo = ("B" if code[0] != "B" else "C") + code[1:]
    with pytest.raises(CredentialError, match="checksum"):
        Credential.from_code("e", typo)
    with pytest.raises(CredentialError, match="expected 55"):
        Credential.from_code("e", "ABC")
    assert cred.seed.hex() not in repr(cred)


def test_manifest_errors_name_the_field() -> None:
    good = referendum().model_dump(mode="json")
    cases = [
        (lambda m: m["title"].pop("uk"), "title: missing text in uk"),
        (lambda m: m["questions"][0]["options"].reverse(), "options 'yes' then 'no'"),
        (lambda m: m["questions"][2].update(min=3, max=2), "min <= max"),
        (lambda m: m["questions"][1]["options"].append(m["questions"][1]["options"][0]), "unique"),
        (lambda m: m.update(languages=["en"]), "must include uk, ru"),
        (lambda m: m.update(questions=[]), "at least one question"),
        (lambda m: m.update(election_id="Bad Id!"), "election_id"),
    ]
    for mutate, message in cases:
        m = copy.deepcopy(good)
        mutate(m)
        with pytest.raises(ValidationError, match=message):
            Manifest.model_validate(m)


def test_layouts() -> None:
    q1, q2, q3 = referendum().questions
    assert layout(q1).width == 1 and layout(q1).implicit == "no"
    assert layout(q2).width == 4 and (layout(q2).lo, layout(q2).hi) == (1, 1)
    assert layout(q3).width == 3 and (layout(q3).lo, layout(q3).hi) == (1, 2)
    assert plaintexts(q2, ["blank"]) == [0, 0, 0, 1]
    assert selections_valid(q2, ["uk", "uk"]) is not None
