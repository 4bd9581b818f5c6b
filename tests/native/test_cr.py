"""The native engine on the coercion-resistant mode's proofs (docs/native.md, "Coercion-resistant mode").

Three kinds of test: the native transcripts are the Python ones byte for byte; the native checks *themselves*
accept honest proofs and refuse every forgery (not only through the reference's second look, which would hide a
native engine that accepts everything); and whole records, honest and tampered, give the same report on both
engines. Malformed encodings are a named ``NativeError``, never a panic.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plebiscite import elgamal, native
from plebiscite.ballot.check import branch_counts
from plebiscite.coercion import batchproof as bp
from plebiscite.coercion import events as cev
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion.ballot import decode_ballot, encrypt_ballot
from plebiscite.coercion.codec import coefficients
from plebiscite.coercion.demo import coercer_choice
from plebiscite.coercion.parallel import Workers
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr
from plebiscite.proofs.transcript import challenge
from plebiscite.verify.report import Report
from plebiscite.verify.runner import verify_events
from tests.coercion.conftest import CrElection, cr_election  # noqa: F401  (the session fixture)
from tests.coercion.test_tamper import CASES, element, rebuild, tamper

from .conftest import needs_native

pytestmark = needs_native
FP = b"\x07" * 32
ELL = G.ORDER
NON_CANONICAL = (2**255 - 19 + 1).to_bytes(32, "little")  # a field element ≥ p: never a valid encoding


def _cts(n: int) -> list[Ciphertext]:
    key = G.mul_base(G.random_scalar())
    return [elgamal.encrypt(key, i % 2, G.random_scalar()) for i in range(n)]


# --- transcripts, byte for byte -------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    tag=st.sampled_from(["cr-batch-linear", "cr-row-blind", "cr-shuffle", "cr-ballot-credential", "x"]),
    fp=st.binary(max_size=40),
    ctx=st.binary(max_size=40),
    statement=st.lists(st.binary(max_size=70), max_size=5),
    commitments=st.lists(st.binary(max_size=70), max_size=4),
)
def test_challenge_is_the_python_transcript(
    tag: str, fp: bytes, ctx: bytes, statement: list[bytes], commitments: list[bytes]
) -> None:
    assert native_cr.challenge(tag, fp, ctx, statement, commitments) == challenge(
        tag, fp, ctx, statement, commitments
    )


def test_coefficients_generators_and_seed_are_the_python_ones() -> None:
    seed = secrets.token_bytes(32)
    assert native_cr.coefficients(seed, 5, 7) == coefficients(seed, 5, 7)
    assert native_cr.generators(FP, b"cr-shuffle/ballots/x", 3, 9) == sh._generators(
        FP, b"cr-shuffle/ballots/x", 3, 9
    )
    inputs = _cts(6)
    z, u = G.random_scalar(), G.random_scalar()
    for with_a in (True, False):
        a, b, _ = bp.prove_linear(z, u, inputs, with_a, FP, b"ctx")
        zp, up = G.mul_base(z), G.mul_base(u)
        assert native_cr.linear_seed(FP, b"ctx", zp, up, inputs, a, b) == bp._seed(
            FP, b"ctx", zp, up, inputs, a, b
        )


def test_public_sums_are_the_reference_ones() -> None:
    points = [G.mul_base(G.random_scalar()) for _ in range(70)]
    scalars = [G.random_scalar() for _ in range(70)]
    with Workers(1, engine="reference") as ref:
        expected = bp.msm(scalars, points)
        assert native_cr.msm_columns(scalars, [points, points[::-1]]) == [
            expected,
            bp.msm(scalars, points[::-1]),
        ]
        assert native_cr.point_sum(points) == sh.parallel_sum(ref, points)


# --- each proof: the native check itself accepts the honest one and refuses every forgery ---------------------------


def test_linear_proof_native_verdicts() -> None:
    z, u = G.random_scalar(), G.random_scalar()
    inputs = _cts(9)
    a, b, proof = bp.prove_linear(
        z, u, inputs, True, FP, b"ctx", "native"
    )  # native public sums in the prover
    assert a is not None
    zp, up = G.mul_base(z), G.mul_base(u)
    p = (proof.c, proof.sz, proof.su)
    assert native_cr.verify_linear(p, zp, up, inputs, a, b, FP, b"ctx")
    assert bp.verify_linear(proof, zp, up, inputs, a, b, FP, b"ctx", "reference")  # the reference accepts it
    forged = [
        (p, zp, up, inputs, a, [*b[:4], G.GENERATOR, *b[5:]], b"ctx"),  # a tag
        (p, zp, up, inputs, [*a[:1], G.GENERATOR, *a[2:]], b, b"ctx"),  # an a'
        (p, zp, up, inputs[:-1], a[:-1], b[:-1], b"ctx"),  # a dropped row
        ((p[0], (p[1] + 1) % ELL, p[2]), zp, up, inputs, a, b, b"ctx"),  # s_z
        ((p[0], p[1], (p[2] + 1) % ELL), zp, up, inputs, a, b, b"ctx"),  # s_u
        (p, G.mul_base(z + 1), up, inputs, a, b, b"ctx"),  # another key
        (p, zp, up, inputs, a, b, b"other"),  # another context
        (p, zp, up, inputs, None, b, b"ctx"),  # a' dropped
    ]
    for q, zk, uk, ins, oa, ob, ctx in forged:
        assert not native_cr.verify_linear(q, zk, uk, ins, oa, ob, FP, ctx)
        for engine in native.ENGINES:
            assert not bp.verify_linear(bp.LinearProof(*q), zk, uk, ins, oa, ob, FP, ctx, engine)
    _, tags_only, p2 = bp.prove_linear(z, u, inputs, False, FP, b"ctx", "native")
    assert native_cr.verify_linear((p2.c, p2.sz, p2.su), zp, up, inputs, None, tags_only, FP, b"ctx")


def test_row_blinding_native_verdicts() -> None:
    inputs = _cts(6)
    outputs, proofs = bp.blind_rows(inputs, FP, b"ctx", 10)
    assert native_cr.blind_failing(inputs, outputs, proofs, FP, b"ctx", 10) == []
    zero = Ciphertext(G.IDENTITY, G.IDENTITY)
    scaled = Ciphertext(outputs[2].a, G.add(outputs[2].b, G.GENERATOR))
    cases = [
        (inputs, [zero, *outputs[1:]], proofs, 10, [10]),  # ρ = 0
        (inputs, [*outputs[:2], scaled, *outputs[3:]], proofs, 10, [12]),
        (inputs, outputs, [*proofs[:3], (*proofs[3][:2], (proofs[3][2] + 1) % ELL), *proofs[4:]], 10, [13]),
        (
            inputs,
            outputs,
            [*proofs[:1], (proofs[1][0], G.GENERATOR, proofs[1][2]), *proofs[2:]],
            10,
            [11],
        ),  # T2
        (
            inputs,
            outputs,
            [(proofs[4][0], *proofs[0][1:]), *proofs[1:4], (proofs[0][0], *proofs[4][1:]), proofs[5]],
            10,
            [10, 14],
        ),  # two rows' T1 swapped
        (inputs, outputs, proofs, 0, [0, 1, 2, 3, 4, 5]),  # numbered elsewhere: every challenge differs
    ]
    for ins, outs, prs, start, bad in cases:
        assert native_cr.blind_failing(ins, outs, prs, FP, b"ctx", start) == bad
        for engine in native.ENGINES:
            assert bp.verify_blind_rows(ins, outs, prs, FP, b"ctx", start, engine) == bad


def test_shuffle_row_relation_native_and_reference_agree() -> None:
    """``t̂_i = ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i``: both kernels accept the true hats and refuse any one changed."""
    n, c = 5, G.random_scalar()
    s_hat, s_prime = [G.random_scalar() for _ in range(n)], [G.random_scalar() for _ in range(n)]
    chain = [G.mul_base(G.random_scalar()) for _ in range(n + 1)]  # ĉ_{-1} (the chunk's previous), ĉ_0 …
    hats = [
        G.sub(G.add(G.mul_base(s_hat[i]), G.mul(chain[i], s_prime[i])), G.mul(chain[i + 1], c))
        for i in range(n)
    ]
    args = (c, s_hat, s_prime, chain[:-1], chain[1:])
    assert sh._native_hats_hold(*args, hats) == sh._hats_hold(*args, hats) == [True]
    for k in range(n):
        bad = [*hats[:k], G.add(hats[k], G.GENERATOR), *hats[k + 1 :]]
        assert sh._native_hats_hold(*args, bad) == sh._hats_hold(*args, bad) == [False]
    other = (c, s_hat, s_prime, [G.GENERATOR, *chain[1:-1]], chain[1:])  # another previous chain element
    assert sh._native_hats_hold(*other, hats) == sh._hats_hold(*other, hats) == [False]


Rows = list[tuple[Ciphertext, ...]]


def _shuffled(width: int) -> tuple[Rows, Rows, sh.ShuffleProof, bytes]:
    key = G.mul_base(G.random_scalar())
    rows = [tuple(_cts(width)) for _ in range(5)]
    with Workers(1, engine="native") as pool:
        out, proof = sh.shuffle(pool, rows, key, FP, b"cr-shuffle/ballots/" + bytes(8))
    return rows, out, proof, key


def test_shuffle_native_verdicts() -> None:
    rows, out, proof, key = _shuffled(2)
    ctx = b"cr-shuffle/ballots/" + bytes(8)
    pool = Workers(1, engine="native")
    assert sh._verify(pool, rows, out, proof, key, FP, ctx, True) is None
    assert sh._verify(pool, rows, out, proof, key, FP, ctx, False) is None
    swapped = [out[1], out[0], *out[2:]]  # a re-ordered output is still a shuffle, but not this proof's
    changed = [(Ciphertext(out[0][0].a, G.add(out[0][0].b, G.GENERATOR)), *out[0][1:]), *out[1:]]
    forged = [
        (rows, swapped, proof),
        (rows, changed, proof),
        (rows, out, replace(proof, s_prime=[(proof.s_prime[0] + 1) % ELL, *proof.s_prime[1:]])),
        (rows, out, replace(proof, s_hat=[*proof.s_hat[:-1], (proof.s_hat[-1] + 1) % ELL])),
        (rows, out, replace(proof, s4=[(proof.s4[0] + 1) % ELL, *proof.s4[1:]])),
        (rows, out, replace(proof, chain=[*proof.chain[:2], G.GENERATOR, *proof.chain[3:]])),
        (rows, out, replace(proof, commitments=[G.GENERATOR, *proof.commitments[1:]])),
    ]
    for ins, outs, prf in forged:
        assert (
            sh._verify(pool, ins, outs, prf, key, FP, ctx, True) is not None
        )  # the native computation refuses
        reasons = {sh.verify(Workers(1, engine=e), ins, outs, prf, key, FP, ctx) for e in native.ENGINES}
        assert reasons == {"the proof of shuffle does not verify"}


def _ballot(e: CrElection) -> Any:
    payload = encrypt_ballot(e.ctx, e.credentials[2], coercer_choice(e.ctx.manifest))[0].to_json()
    return payload, decode_ballot(payload, branch_counts(e.ctx.layouts))


def test_credential_and_vote_proofs_native_verdicts(cr_election: CrElection) -> None:  # noqa: F811
    e = cr_election
    fp, key = e.ctx.fingerprint, e.ctx.public_key
    payload, ballot = _ballot(e)
    assert native_cr.credential_proofs(fp, key, [ballot]) == b"\x01"
    assert native_cr.vote_proofs(fp, key, [ballot], e.ctx.layouts) == b"\x01"
    bumped = [
        replace(ballot, proof=tuple((x + (i == k)) % ELL for i, x in enumerate(ballot.proof)))
        for k in range(4)
    ]
    assert native_cr.credential_proofs(fp, key, bumped) == b"\x00" * 4
    assert native_cr.credential_proofs(b"\x01" * 32, key, [ballot]) == b"\x00"  # another election
    identity = replace(ballot, credential=Ciphertext(G.IDENTITY, ballot.credential.b))
    assert native_cr.credential_proofs(fp, key, [identity]) == b"\x00"
    altered = copy.deepcopy(payload)
    altered["answers"][0]["proofs"][0]["c"][0] = G.scalar_to_bytes(
        (G.scalar_from_hex(altered["answers"][0]["proofs"][0]["c"][0]) + 1) % ELL
    ).hex()
    other = decode_ballot(altered, branch_counts(e.ctx.layouts))
    assert native_cr.vote_proofs(fp, key, [ballot, other], e.ctx.layouts) == b"\x01\x00"
    assert native_cr.credential_proofs(fp, key, [other]) == b"\x00"  # its challenge hashes the vote proofs
    # a response z is not hashed: the challenge still holds and only the batch's equations can refuse it, naming
    # exactly that ballot among the others (the batch bisected)
    unhashed = copy.deepcopy(payload)
    branch = unhashed["answers"][0]["proofs"][0]
    branch["z"][1] = G.scalar_to_bytes((G.scalar_from_hex(branch["z"][1]) + 1) % ELL).hex()
    wrong = decode_ballot(unhashed, branch_counts(e.ctx.layouts))
    batch = [ballot, ballot, wrong, ballot, ballot]
    assert native_cr.vote_proofs(fp, key, batch, e.ctx.layouts) == b"\x01\x01\x00\x01\x01"


# --- malformed encodings: a named error, never a panic --------------------------------------------------------------


def test_malformed_encodings_are_named_errors() -> None:
    import plebiscite_native as m

    good = G.mul_base(3)
    big = (ELL + 1).to_bytes(32, "little")
    one = G.scalar_to_bytes(1)
    cases: list[tuple[Any, tuple[Any, ...], str]] = [
        (m.cr_msm_columns, (one, [NON_CANONICAL]), "canonical"),
        (m.cr_msm_columns, (one, [good[:31]]), "multiple of 32"),
        (m.cr_msm_columns, (big, [good]), "reduced"),
        (m.cr_msm_columns, (one + one, [good]), "scalars for 1 points"),
        (m.cr_sum, (good + bytes([0x80]) * 32,), "canonical"),
        (m.cr_hats_hold, (big, one, one, good, good, good), "reduced"),
        (m.cr_hats_hold, (one, one, one, NON_CANONICAL, good, good), "canonical"),
        (m.cr_hats_hold, (one, one, one, good, good, NON_CANONICAL), "canonical"),
        (m.cr_hats_hold, (one, one, one, good, good, good * 2), "as many entries"),
        (m.cr_verify_linear, (FP, b"c", NON_CANONICAL, good, good + good, None, good, one * 3), "canonical"),
        (m.cr_verify_linear, (FP, b"c", good, good, good + good, None, good, one * 2), "96 bytes"),
        (m.cr_verify_linear, (FP, b"c", good, good, good, None, good, one * 3), "64 bytes"),
        (m.cr_blind_failing, (FP, b"c", 0, good * 2, good * 2, good * 2 + big), "reduced"),
        (m.cr_blind_failing, (FP, b"c", 0, good * 2, good * 2, NON_CANONICAL + good + one), "canonical"),
        (m.cr_blind_failing, (FP, b"c", 0, good * 2, good, one * 3), "as many rows"),
        (m.cr_blind_failing, (FP, b"c", 0, good * 2, good * 2, one * 2), "as many rows"),
        (m.cr_linear_input_sums, (one, NON_CANONICAL * 2), "canonical"),
        (m.cr_vote_proofs, (FP[:5], good, []), "fingerprint"),
        (m.cr_generators, (FP, b"c", 5, 2), "lo > hi"),
    ]
    for fn, args, fragment in cases:
        with pytest.raises(m.NativeError, match=fragment):
            fn(*args)
    # per-ballot answers: a malformed credential proof is status 2, a wrong length too; never an exception
    cts = good * 4
    assert (
        m.cr_credential_proofs(FP, good, [(cts, b"", big + one * 3), (cts[:100], b"", one * 4)])
        == b"\x02\x02"
    )
    assert (
        m.cr_credential_proofs(FP, good, [(bytes(32) + good * 3, b"", one * 4)]) == b"\x00"
    )  # identity C1.a
    assert not m.cr_valid_elements(good + NON_CANONICAL)
    assert not m.cr_valid_elements(good[:31])
    with pytest.raises(native.EngineError, match="native engine: cr_sum"):
        native_cr.point_sum([NON_CANONICAL])


def test_a_malformed_element_in_a_list_is_named_by_the_reference() -> None:
    from plebiscite.coercion.codec import CoercionError, elements

    good = G.mul_base(5).hex()
    for bad, reason in ((NON_CANONICAL.hex(), "canonical"), (good.upper(), "lowercase"), (7, "hex element")):
        for engine in native.ENGINES:
            with (
                Workers(1, engine=engine) as pool,
                pytest.raises(CoercionError, match=rf"x\[1\]: .*{reason}"),
            ):
                elements([good, bad, good], 3, "x", pool)
        with Workers(1, engine="native") as pool:
            assert elements([good] * 3, 3, "x", pool) == [bytes.fromhex(good)] * 3


# --- whole records: the same report on both engines -----------------------------------------------------------------


def _summary(report: Report) -> list[tuple[str, bool, int, tuple[str, ...]]]:
    return [(c.name, c.ok, c.items, tuple(c.failures)) for c in report.checks]


def test_honest_record_same_report(cr_election: CrElection) -> None:  # noqa: F811
    reports = {e: verify_events(cr_election.events, workers=1, engine=e) for e in native.ENGINES}
    assert reports["native"].ok and reports["native"].engine == "native"
    assert reports["reference"].engine == "reference"
    assert _summary(reports["native"]) == _summary(reports["reference"])


@pytest.mark.parametrize("engine", native.ENGINES)
def test_the_final_decryption_shares_run_on_the_verifiers_engine(
    cr_election: CrElection,  # noqa: F811
    engine: str,
    share_checks: list[int],
) -> None:
    """The mode's check 16 (the standard verifier's) gets the engine too: ``reference`` keeps it off the extension."""
    report = verify_events(cr_election.events, workers=1, engine=engine)
    assert report.ok and report.by_name("partial decryptions").items > 0
    assert bool(share_checks) == (engine == native.NATIVE)


OUR_CHECKS = {
    "cr: credential proofs",
    "cr: vote proofs",
    "cr: roll shuffle",
    "cr: roll tags",
    "cr: duplicate-elimination tags",
    "cr: credential check (MAC share)",
    "cr: credential check (blinding)",
    "cr: ballot shuffle",
    "cr: matching tags",
}
OUR_CASES = [c for c in CASES if c[0] in OUR_CHECKS]


@pytest.mark.parametrize(("name", "kind", "which", "change", "fragments"), OUR_CASES)
def test_tampered_record_same_report(
    cr_election: CrElection,  # noqa: F811
    name: str,
    kind: str,
    which: int,
    change: Any,
    fragments: tuple[str, ...],
) -> None:
    events = rebuild(tamper(cr_election, kind, which, change))
    reports = {e: verify_events(events, workers=1, engine=e) for e in native.ENGINES}
    assert not reports["native"].by_name(name).ok
    assert _summary(reports["native"]) == _summary(reports["reference"])


def test_a_shuffle_forgery_the_native_path_refuses_is_named_as_by_the_reference(
    cr_election: CrElection,  # noqa: F811
) -> None:
    change = lambda p: p["proof"]["chain"].__setitem__(1, element())  # noqa: E731
    events = rebuild(tamper(cr_election, cev.SHUFFLE, 0, change))
    reports = {e: verify_events(events, workers=1, engine=e) for e in native.ENGINES}
    failures = reports["native"].by_name("cr: ballot shuffle").failures
    assert failures and "does not verify" in failures[0]
    assert _summary(reports["native"]) == _summary(reports["reference"])


def test_board_check_same_answer_on_both_engines(cr_election: CrElection) -> None:  # noqa: F811
    from plebiscite.ballot.model import BallotError
    from plebiscite.coercion.ballot import check_ballot

    e = cr_election
    payload, _ = _ballot(e)
    for engine in native.ENGINES:
        check_ballot(payload, e.ctx, engine)
    bumped = copy.deepcopy(payload)
    bumped["proof"][2] = G.scalar_to_bytes((G.scalar_from_hex(bumped["proof"][2]) + 1) % ELL).hex()
    identity = copy.deepcopy(payload)
    identity["answers"][0]["choices"][0][0] = G.IDENTITY.hex()
    for bad in (bumped, identity):
        messages = set()
        for engine in native.ENGINES:
            with pytest.raises(BallotError) as err:
                check_ballot(bad, e.ctx, engine)
            messages.add(str(err.value))
        assert len(messages) == 1, messages
