"""The credential's Schnorr signature (docs/protocol.md §7.1) in the native engine: the crate refuses every signature
the reference refuses (``proofs/ballot_signature.refusal``) and accepts every one it accepts — an encoding rule at
its own stage (status 2), a false equation in the chunk's batch (status 4, the ballot named by the bisection) — and
the verifier's and the board's reports are the same on both engines.

The cases that break only a rule (``R`` or ``X`` the identity or spelt non-canonically, bit 255 set, ``s + ℓ``) are
signed so that the group equation *holds* with the lenient reading: only the rule can refuse them.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite import native
from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.encrypt import encrypt_answers
from plebiscite.ballot.model import Ballot, ballot_from_json
from plebiscite.hazmat import group as G
from plebiscite.proofs import ballot_signature
from plebiscite.proofs.transcript import challenge
from plebiscite.setup.credentials import Credential
from tests.core.conftest import Election

from .conftest import needs_native
from .test_engines import ballot_lines, relined, same_answer

pytestmark = needs_native

L = G.ORDER
P = 2**255 - 19
P_BYTES = P.to_bytes(32, "little")  # the identity (0) spelt non-canonically
SELECTIONS = {"q1": ["yes"], "q2": ["blank"], "q3": ["schools"]}

# how → (the crate's status, the reference's reason starts with)
RULES = {
    "R = p": (2, "R is not a canonical"),
    "R odd": (2, "R is not a canonical"),
    "R bit 255": (2, "R is not a canonical"),
    "R identity": (2, "R is the identity"),
    "s + l": (2, "s is not a canonical scalar"),
}
EQUATIONS = {
    "wrong s": (4, "does not verify"),
    "R from another ballot": (4, "does not verify"),
    "signature of another ballot": (4, "does not verify"),
}
KEYS = {  # the credential X itself
    "X identity": (2, "the credential is the identity"),
    "X = p": (2, "the credential is not a canonical"),
    "X bit 255": (2, "the credential is not a canonical"),
}


def schnorr(x: int, public: bytes, fingerprint: bytes, content: bytes, r: bytes, k: int) -> bytes:
    """``r ‖ k + c·x`` with ``c`` over the bytes ``r`` as given (``sign`` with a chosen commitment)."""
    c = challenge(ballot_signature.TAG, fingerprint, content, [G.GENERATOR, public], [r])
    return r + G.scalar_to_bytes((k + c * x) % L)


def signed_as(credential: Credential, fingerprint: bytes, content: bytes, how: str, other: bytes) -> bytes:
    """The credential's signature of ``content``, broken as ``how`` says (``other``: another ballot's signature)."""
    x = ballot_signature.secret_key(credential.seed)
    public = credential.public_key
    k = G.random_scalar()
    r = G.mul_base(k)
    if how == "honest":
        return schnorr(x, public, fingerprint, content, r, k)
    if how == "R = p":  # read leniently, R = 0: s = c·x satisfies the equation
        return schnorr(x, public, fingerprint, content, P_BYTES, 0)
    if how == "R identity":
        return schnorr(x, public, fingerprint, content, G.IDENTITY, 0)
    if how in ("R odd", "R bit 255"):
        changed = bytearray(r)
        if how == "R odd":
            changed[0] ^= 1
        else:
            changed[31] |= 0x80  # read leniently (bit 255 ignored), R = k·G: the equation holds
        return schnorr(x, public, fingerprint, content, bytes(changed), k)
    good = schnorr(x, public, fingerprint, content, r, k)
    s = int.from_bytes(good[32:], "little")
    if how == "s + l":
        return r + (s + L).to_bytes(32, "little")
    if how == "wrong s":
        return r + G.scalar_to_bytes((s + 1) % L)
    if how == "R from another ballot":
        return other[:32] + good[32:]
    if how == "signature of another ballot":
        return other
    raise AssertionError(how)


def keyed_ballot(election: Election, how: str) -> Ballot:
    """A ballot whose credential X is broken as ``how`` says, its proofs made for those bytes and its signature
    ``R = k·G, s = k``: with X read leniently as the identity, ``s·G = R + c·X`` holds."""
    ctx = election.ctx
    if how == "X identity":
        public = G.IDENTITY
    elif how == "X = p":
        public = P_BYTES
    else:
        changed = bytearray(election.credentials[0].public_key)
        changed[31] |= 0x80
        public = bytes(changed)
    answers, _ = encrypt_answers(ctx, public, SELECTIONS)
    content = Ballot(ctx.fingerprint, public, answers, b"").content_bytes()
    k = G.random_scalar()
    x = ballot_signature.secret_key(election.credentials[0].seed) if how == "X bit 255" else 0
    return Ballot(
        ctx.fingerprint, public, answers, schnorr(x, public, ctx.fingerprint, content, G.mul_base(k), k)
    )


def ballot_of(election: Election, voter: int, how: str, other: bytes = b"") -> Ballot:
    ctx, credential = election.ctx, election.credentials[voter]
    answers, _ = encrypt_answers(ctx, credential.public_key, SELECTIONS)
    content = Ballot(ctx.fingerprint, credential.public_key, answers, b"").content_bytes()
    signature = signed_as(credential, ctx.fingerprint, content, how, other)
    return Ballot(ctx.fingerprint, credential.public_key, answers, signature)


def statuses(election: Election, ballots: list[Ballot]) -> bytes:
    ctx = election.ctx
    layouts = native.layouts_for_native(ctx.layouts)
    pairs = [(b.content_bytes(), b.signature) for b in ballots]
    return native.check_ballots(ctx.fingerprint, ctx.public_key, layouts, pairs)[0]


def refusal(ballot: Ballot) -> str | None:
    return ballot_signature.refusal(
        ballot.credential, ballot.election, ballot.content_bytes(), ballot.signature
    )


def test_each_broken_signature_is_refused_at_its_stage_among_honest_ballots(multi_election: Election) -> None:
    """Every case in a chunk of honest ballots (the batch and its bisection), and alone (the lone path)."""
    other = ballot_of(multi_election, 1, "honest").signature
    cases = {how: ballot_of(multi_election, 0, how, other) for how in (*RULES, *EQUATIONS)}
    cases |= {how: keyed_ballot(multi_election, how) for how in KEYS}
    expected = RULES | EQUATIONS | KEYS
    for how, ballot in cases.items():
        reason = refusal(ballot)
        assert reason is not None and reason.startswith(expected[how][1]), (how, reason)
    honest = [ballot_of(multi_election, v % 4, "honest") for v in range(9)]
    assert all(refusal(b) is None for b in honest)
    chunk: list[Ballot] = []
    for i, ballot in enumerate(cases.values()):
        chunk += [honest[i % 9], ballot]
    got = statuses(multi_election, chunk)
    assert list(got[0::2]) == [0] * len(cases)
    assert dict(zip(cases, got[1::2], strict=True)) == {how: status for how, (status, _) in expected.items()}
    for how, ballot in cases.items():
        assert statuses(multi_election, [ballot]) == bytes([expected[how][0]]), how
    assert statuses(multi_election, honest[:1]) == b"\0"


def holds_read_leniently(ballot: Ballot, r: bytes, x: bytes) -> bool:
    """``(s mod ℓ)·G = r + c·x`` with ``c`` over the ballot's own bytes: its equation, ``R`` and ``X`` read as given."""
    c = challenge(
        ballot_signature.TAG,
        ballot.election,
        ballot.content_bytes(),
        [G.GENERATOR, ballot.credential],
        [ballot.signature[:32]],
    )
    s = int.from_bytes(ballot.signature[32:], "little") % L
    return G.mul_base(s) == G.add(r, G.mul(x, c))


def test_the_rule_cases_satisfy_the_equation_read_leniently(multi_election: Election) -> None:
    """Else they would test nothing: with ``R`` or ``X`` read as the identity or without its bit 255, and
    ``s mod ℓ``, the group equation holds, so only the rule refuses them."""
    key = multi_election.credentials[0].public_key
    for how in RULES:
        ballot = ballot_of(multi_election, 0, how)
        if how == "R odd":  # not a point at all: nothing to read leniently
            continue
        raw = ballot.signature[:32]
        r = G.IDENTITY if how in ("R = p", "R identity") else raw[:31] + bytes([raw[31] & 0x7F])
        assert holds_read_leniently(ballot, r, key), how
    for how in KEYS:
        ballot = keyed_ballot(multi_election, how)
        assert holds_read_leniently(
            ballot, ballot.signature[:32], key if how == "X bit 255" else G.IDENTITY
        ), how


def test_the_verifier_names_each_broken_signature_alike_on_both_engines(multi_election: Election) -> None:
    lines = ballot_lines(multi_election)
    payloads = [json.loads(line)["payload"] for _, line in lines]
    by_credential = {c.public_key.hex(): c for c in multi_election.credentials}
    fp = multi_election.ctx.fingerprint
    cases = list(RULES | EQUATIONS)
    for pos, how in enumerate(cases):
        payload: dict[str, Any] = payloads[pos % len(payloads)]
        ballot = ballot_from_json(payload, branch_counts(multi_election.ctx.layouts))
        other = payloads[(pos + 1) % len(payloads)]["signature"]
        signature = signed_as(
            by_credential[payload["credential"]], fp, ballot.content_bytes(), how, bytes.fromhex(other)
        )
        lines[pos % len(lines)] = relined(
            lines[pos % len(lines)][0], dict(payload, signature=signature.hex())
        )
    result = same_answer(multi_election, lines)
    reasons = sorted(reason for _, reason in result.outcomes.failures.values())
    assert len(reasons) == len(cases) and all("): ballot.signature: " in r for r in reasons), reasons


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.integers(0, 8 * (32 + 64) - 1), min_size=1, max_size=3), voter=st.integers(0, 3))
def test_bit_flips_in_the_credential_and_signature_get_the_same_answer(
    multi_election: Election, flips: list[int], voter: int
) -> None:
    """Flipped bits in ``X ‖ R ‖ s`` (the proofs still made for the honest X): the crate passes the ballot iff the
    reference's signature check does (a changed X also fails the proofs' challenges: status 2 or 3)."""
    honest = ballot_of(multi_election, voter, "honest")
    blob = bytearray(honest.credential + honest.signature)
    for bit in flips:
        blob[bit // 8] ^= 1 << (bit % 8)
    ballot = Ballot(honest.election, bytes(blob[:32]), honest.answers, bytes(blob[32:]))
    [status] = statuses(multi_election, [ballot])
    reason = refusal(ballot)
    assert (status == 0) == (reason is None), (status, reason)
    if reason is not None and ballot.credential == honest.credential:
        assert status == (4 if reason.startswith("does not verify") else 2), (status, reason)
