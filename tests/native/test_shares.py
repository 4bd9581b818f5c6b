"""The trustees' decryption shares (check 16, "partial decryptions") on both engines.

Every forgery is made by a cheating trustee, who re-signs its post, so that the change reaches the Chaum–Pedersen
proofs: both engines must give the same failures, word for word, and the native check must refuse the forgery on
its own (a native path that accepted everything would otherwise hide behind the reference's second look).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite import native
from plebiscite.decrypt.partial import decryption_context
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import shares as native_shares
from plebiscite.proofs import dleq
from plebiscite.proofs.transcript import challenge
from plebiscite.record import events as ev
from plebiscite.record.signing import sign
from plebiscite.tally.aggregate import parse_aggregate
from plebiscite.verify import counting
from plebiscite.verify.report import new_report
from tests.core.conftest import Election

from .conftest import needs_native

pytestmark = needs_native

P = 2**255 - 19
QUESTION, POS = 1, 1  # the position forged (question 1 has several positions)
Payload = dict[str, Any]


@pytest.fixture(scope="module")
def election(multi_election: Election) -> Election:
    """Three questions (yes/no; 1-of-3 with blank; approval): many positions, two trustees' posts."""
    return multi_election


def totals_of(election: Election) -> list[list[Ciphertext]]:
    tally = next(e.payload for e in election.events if e.type == ev.TALLY)
    return parse_aggregate(tally["aggregate"], [lay.width for lay in election.ctx.layouts])


def partials(election: Election) -> list[Payload]:
    return [copy.deepcopy(e.payload) for e in election.events if e.type == ev.PARTIAL_DECRYPTION]


def resigned(election: Election, payload: Payload) -> Payload:
    """``payload`` signed again by its trustee (a cheating trustee posts what it likes, under its own key)."""
    trustee = next(t for t in election.trustees if t.index == payload["trustee"])
    body = {k: v for k, v in payload.items() if k != "signature"}
    return sign("partial-decryption", body, trustee.signing_key)


def run(election: Election, posts: list[Payload], engine: str) -> tuple[list[str], int, list[int]]:
    """Check 16 on ``posts`` (as the record's events): failures, their count, and the trustees accepted."""
    events = [ev.make_event(i, ev.PARTIAL_DECRYPTION, p) for i, p in enumerate(posts)]
    check = new_report().by_name("partial decryptions")
    keys = {t.index: t.identity.hex() for t in election.trustees}
    valid = counting.check_partials(check, events, election.ctx, totals_of(election), keys, engine)
    return check.failures, check.failure_count, sorted(valid)


def both(election: Election, posts: list[Payload]) -> tuple[list[str], int, list[int]]:
    """The report of both engines, which must be the same; returns it."""
    native_report = run(election, posts, native.NATIVE)
    reference_report = run(election, posts, native.REFERENCE)
    assert native_report == reference_report
    return native_report


def bump(hex_scalar: str, by: int = 1) -> str:
    return G.scalar_to_bytes((G.scalar_from_hex(hex_scalar) + by) % G.ORDER).hex()


def inconsistent_proof(election: Election, trustee: int, q: int, i: int) -> list[str]:
    """A proof whose two commitments use different nonces (``w·G`` but ``w'·a``): a commitment altered."""
    t = next(t for t in election.trustees if t.index == trustee)
    assert t.share is not None
    a = totals_of(election)[q][i].a
    public, image = G.mul_base(t.share), G.mul(a, t.share)
    w, w2 = G.random_scalar(), G.random_scalar()
    c = challenge(
        dleq.TAG,
        election.ctx.fingerprint,
        decryption_context(trustee, q, i),
        [G.GENERATOR, public, a, image],
        [G.mul_base(w), G.mul(a, w2)],
    )
    return dleq.DleqProof(c, (w + c * t.share) % G.ORDER).to_json()


def forgeries(election: Election) -> dict[str, Callable[[Payload, Payload], None]]:
    """What a cheating trustee may post at position ``[QUESTION][POS]`` (``other``: another trustee's honest post)."""

    def share(p: Payload, _: Payload) -> None:
        p["shares"][QUESTION][POS] = G.add(bytes.fromhex(p["shares"][QUESTION][POS]), G.GENERATOR).hex()

    def c(p: Payload, _: Payload) -> None:
        p["proofs"][QUESTION][POS][0] = bump(p["proofs"][QUESTION][POS][0])

    def z(p: Payload, _: Payload) -> None:
        p["proofs"][QUESTION][POS][1] = bump(p["proofs"][QUESTION][POS][1])

    def commitment(p: Payload, _: Payload) -> None:
        p["proofs"][QUESTION][POS] = inconsistent_proof(election, p["trustee"], QUESTION, POS)

    def other_trustee(p: Payload, other: Payload) -> None:
        p["shares"][QUESTION][POS], p["proofs"][QUESTION][POS] = (
            other["shares"][QUESTION][POS],
            other["proofs"][QUESTION][POS],
        )

    def other_position(p: Payload, _: Payload) -> None:
        p["shares"][QUESTION][POS], p["proofs"][QUESTION][POS] = (
            p["shares"][QUESTION][0],
            p["proofs"][QUESTION][0],
        )

    def bit_255(p: Payload, _: Payload) -> None:
        raw = bytearray(bytes.fromhex(p["shares"][QUESTION][POS]))
        raw[31] |= 0x80
        p["shares"][QUESTION][POS] = raw.hex()

    def s_plus_p(p: Payload, _: Payload) -> None:  # 1 + p: the non-canonical spelling of a field element
        p["shares"][QUESTION][POS] = (P + 1).to_bytes(32, "little").hex()

    def z_plus_l(
        p: Payload, _: Payload
    ) -> None:  # the same value modulo ℓ: a lenient decoder would accept it
        value = G.scalar_from_hex(p["proofs"][QUESTION][POS][1]) + G.ORDER
        p["proofs"][QUESTION][POS][1] = value.to_bytes(32, "little").hex()

    def c_plus_l(p: Payload, _: Payload) -> None:
        value = G.scalar_from_hex(p["proofs"][QUESTION][POS][0]) + G.ORDER
        p["proofs"][QUESTION][POS][0] = value.to_bytes(32, "little").hex()

    return {
        "share": share,
        "challenge": c,
        "response": z,
        "commitment": commitment,
        "another trustee's share": other_trustee,
        "another position's share": other_position,
        "bit 255": bit_255,
        "s + p": s_plus_p,
        "z + l": z_plus_l,
        "c + l": c_plus_l,
    }


FORGERIES = [
    "share",
    "challenge",
    "response",
    "commitment",
    "another trustee's share",
    "another position's share",
    "bit 255",
    "s + p",
    "z + l",
    "c + l",
]


def test_honest_partial_decryptions_pass_on_both_engines(election: Election) -> None:
    posts = partials(election)
    assert both(election, posts) == ([], 0, sorted(p["trustee"] for p in posts))
    for p in posts:
        key = election.ctx.verification_keys[p["trustee"]]
        accepted = native_shares.accepted_shares(p, totals_of(election), key, election.ctx.fingerprint)
        assert accepted == [[bytes.fromhex(d) for d in row] for row in p["shares"]]


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_share_or_proof_fails_the_same_way_and_native_refuses_it(
    election: Election, kind: str
) -> None:
    assert set(FORGERIES) == set(forgeries(election))
    posts = partials(election)
    forged, other = posts[0], posts[1]
    forgeries(election)[kind](forged, other)
    posts[0] = resigned(election, forged)
    failures, count, accepted = both(election, posts)
    assert count == 1 and accepted == [other["trustee"]], failures
    assert f"trustee {forged['trustee']}" in failures[0] and f"[{QUESTION}][{POS}]" in failures[0], failures
    totals, fp = totals_of(election), election.ctx.fingerprint
    key = election.ctx.verification_keys[forged["trustee"]]
    assert native_shares.accepted_shares(posts[0], totals, key, fp) is None
    flat_shares = [bytes.fromhex(d) for row in forged["shares"] for d in row]
    flat_proofs = b"".join(bytes.fromhex(s) for row in forged["proofs"] for proof in row for s in proof)
    failing = native_shares.failing_positions(fp, forged["trustee"], key, totals, flat_shares, flat_proofs)
    assert failing == [sum(len(row) for row in totals[:QUESTION]) + POS], (
        kind
    )  # the extension itself refuses exactly the forged position


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["shares"][QUESTION].pop(),
        lambda p: p["proofs"].append([]),
        lambda p: p["proofs"][QUESTION][POS].append(p["proofs"][QUESTION][POS][0]),
        lambda p: p["shares"][QUESTION].__setitem__(POS, p["shares"][QUESTION][POS].upper()),
        lambda p: p["shares"][QUESTION].__setitem__(POS, p["shares"][QUESTION][POS][:62]),
        lambda p: p["proofs"][QUESTION].__setitem__(POS, None),
        lambda p: p.__setitem__("shares", "00"),
    ],
    ids=[
        "short row",
        "extra question",
        "three scalars",
        "upper case",
        "short hex",
        "null proof",
        "not a list",
    ],
)
def test_malformed_posts_get_the_reference_error_on_both_engines(
    election: Election, change: Callable[[Payload], None]
) -> None:
    posts = partials(election)
    change(posts[0])
    posts[0] = resigned(election, posts[0])
    failures, count, _ = both(election, posts)
    assert count == 1 and f"trustee {posts[0]['trustee']}" in failures[0], failures


def test_wrong_lengths_are_a_named_error_not_a_panic(election: Election) -> None:
    p = partials(election)[0]
    totals, fp = totals_of(election), election.ctx.fingerprint
    key = election.ctx.verification_keys[p["trustee"]]
    shares = [bytes.fromhex(d) for row in p["shares"] for d in row]
    proofs = b"".join(bytes.fromhex(s) for row in p["proofs"] for proof in row for s in proof)
    cases = [
        (shares[:-1], proofs, "shares: expected"),
        (shares, proofs[:-1], "proofs: expected"),
        ([s + b"\0" for s in shares], proofs, "shares: expected"),
    ]
    for bad_shares, bad_proofs, message in cases:
        with pytest.raises(native.EngineError, match=f"check_decryption_shares: {message}"):
            native_shares.failing_positions(fp, p["trustee"], key, totals, bad_shares, bad_proofs)
    with pytest.raises(native.EngineError, match="verification key: expected 32 bytes"):
        native_shares.failing_positions(fp, p["trustee"], key[:31], totals, shares, proofs)
    bad_key = (P + 2).to_bytes(32, "little")
    with pytest.raises(native.EngineError, match="verification key: not a canonical"):
        native_shares.failing_positions(fp, p["trustee"], bad_key, totals, shares, proofs)


def test_a_native_refusal_the_reference_accepts_is_reported_as_a_disagreement(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(native_shares, "accepted_shares", lambda *_: None)
    failures, count, accepted = run(election, partials(election), native.NATIVE)
    assert count == 2 and accepted == [] and all("engines disagree" in f for f in failures), failures


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["share", "c", "z"]),
    position=st.integers(0, 63),
    bit=st.integers(0, 255),
)
def test_any_flipped_bit_fails_alike_on_both_engines(
    election: Election, field: str, position: int, bit: int
) -> None:
    posts = partials(election)
    p = posts[0]
    cells = [(q, i) for q, row in enumerate(p["shares"]) for i in range(len(row))]
    q, i = cells[position % len(cells)]
    value = p["shares"][q][i] if field == "share" else p["proofs"][q][i][0 if field == "c" else 1]
    raw = bytearray(bytes.fromhex(value))
    raw[bit // 8] ^= 1 << (bit % 8)
    if field == "share":
        p["shares"][q][i] = raw.hex()
    else:
        p["proofs"][q][i][0 if field == "c" else 1] = raw.hex()
    posts[0] = resigned(election, p)
    failures, count, _ = both(election, posts)
    assert count == 1 and f"[{q}][{i}]" in failures[0], failures


@pytest.mark.parametrize("engine", native.ENGINES)
def test_the_verifier_carries_its_engine_into_check_16(
    election: Election, engine: str, share_checks: list[int]
) -> None:
    """``verify --engine reference`` keeps the shares off the extension; ``native`` sends every post to it."""
    from plebiscite.verify.runner import verify_events

    report = verify_events(election.events, workers=1, engine=engine)
    assert report.ok and report.engine == engine
    assert len(share_checks) == (len(partials(election)) if engine == native.NATIVE else 0)
