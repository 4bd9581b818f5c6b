"""Issue 19, defect 1 in the coercion-resistant tally: a second encoding of one tag.

Debian's libsodium 1.0.18 reads a ristretto255 encoding with bit 255 set as the point without it, so a trustee's
batch proof holds for either encoding; tags, though, are compared as bytes (last ballot per tag, roll tags,
matching). The last trustee of a pass flips the top bit of one output and re-makes its chunk proof over the
re-encoded list: a voter is never counted, a revoter's earlier ballot counts, or a real vote is dropped. The
verifier must refuse the record, naming the pass's own check.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path

import nacl.signing
import pytest

from plebiscite import elgamal
from plebiscite.ballot import encrypt as encrypt_module
from plebiscite.ballot.model import BallotError
from plebiscite.coercion import batchproof as bp
from plebiscite.coercion import events as cev
from plebiscite.coercion import tags
from plebiscite.coercion.ballot import check_ballot, encrypt_ballot
from plebiscite.coercion.codec import coefficients
from plebiscite.coercion.credentials import mac_context
from plebiscite.coercion.demo import coercer_choice
from plebiscite.coercion.parallel import msm
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony.polynomial import lagrange_at_zero
from plebiscite.proofs import dleq, schnorr
from plebiscite.proofs.transcript import challenge
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.signing import sign
from plebiscite.verify.runner import verify_events

from .conftest import CrElection, build

LAST_TRUSTEE = 3  # build() tallies with trustees 2 and 3


def flip_top_bit(element: bytes) -> bytes:
    return element[:31] + bytes([element[31] | 0x80])


def re_encoding_prover(target: bytes):  # type: ignore[no-untyped-def]
    """``bp.prove_linear`` as a cheating last trustee runs it on ``target``'s first chunk: honest outputs, one
    re-encoded, and a proof made over the re-encoded list (every other chunk and pass is honest)."""
    honest = bp.prove_linear

    def prove(
        z: int,
        u: int,
        inputs: Sequence[Ciphertext],
        with_a: bool,
        fp: bytes,
        context: bytes,
        engine: str = "reference",
        given: bp.Given | None = None,
    ) -> tuple[list[bytes] | None, list[bytes], bp.LinearProof]:
        if context != bp.chunk_context(target, 0):
            return honest(z, u, inputs, with_a, fp, context, engine, given)
        out_a, out_b, _ = honest(z, u, inputs, with_a, fp, context, "reference", given)
        out_b = [flip_top_bit(out_b[0]), *out_b[1:]]
        z_pub, u_pub = G.mul_base(z), G.mul_base(u)
        seed = bp._seed(fp, context, z_pub, u_pub, inputs, out_a, out_b)
        e = coefficients(seed, 0, len(inputs))
        big_a, big_b = msm(e, [ct.a for ct in inputs]), msm(e, [ct.b for ct in inputs])
        image_b = G.sub(G.mul(big_b, z), G.mul(big_a, u))
        wz, wu = G.random_scalar(), G.random_scalar()
        commitments = [G.mul_base(wz), G.mul_base(wu), G.sub(G.mul(big_b, wz), G.mul(big_a, wu))]
        c = challenge(bp.LINEAR_TAG, fp, context, [seed, big_a, big_b, image_b], commitments)
        proof = bp.LinearProof(c, (wz + c * z) % G.ORDER, (wu + c * u) % G.ORDER)
        assert bp.verify_linear(
            proof, z_pub, u_pub, inputs, out_a, out_b, fp, context
        )  # libsodium masks the bit
        return out_a, out_b, proof

    return prove


@pytest.mark.parametrize(
    ("context", "check"),
    [
        ("dedup", "cr: duplicate-elimination tags"),
        ("match-roll", "cr: roll tags"),
        ("match-ballots", "cr: matching tags"),
    ],
)
def test_last_trustee_re_encodes_one_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: str, check: str
) -> None:
    monkeypatch.setattr(bp, "prove_linear", re_encoding_prover(tags.stage_context(context, LAST_TRUSTEE)))
    election = build(tmp_path / "record", voters=4, coerced=(0,))
    report = verify_events(store.read(election.path), workers=1)
    assert not report.ok
    failing = report.by_name(check)
    assert not failing.ok, report.failed()
    assert any("bit 255" in f for f in failing.failures), failing.failures


@pytest.mark.parametrize(
    ("draw", "field", "check"),
    [
        (0, "ballot.credential[0]", "cr: credential proofs"),  # t1 = 0: C1 = (0, V), the credential in clear
        (1, "ballot.mac[0]", "cr: credential proofs"),  # t2 = 0: C2 = (0, σ·V)
        (2, "ballot.answers[0].choices[0][0]", "cr: vote proofs"),  # the first vote's r = 0: m·G in clear
    ],
)
def test_ballot_with_an_identity_a(
    cr_election: CrElection, monkeypatch: pytest.MonkeyPatch, draw: int, field: str, check: str
) -> None:
    """A device that uses randomness 0 for one ciphertext, with honest proofs: refused on casting and on
    verification."""
    e = cr_election
    honest_random, honest_encrypt = G.random_scalar, elgamal.encrypt
    draws = iter(range(1_000))
    monkeypatch.setattr(G, "random_scalar", lambda: 0 if next(draws) == draw else honest_random())
    monkeypatch.setattr(
        encrypt_module.elgamal,
        "encrypt",
        lambda k, m, r: honest_encrypt(k, m, r) if r else Ciphertext(G.IDENTITY, G.small_multiple_base(m)),
    )
    bad = encrypt_ballot(e.ctx, e.credentials[4], coercer_choice(e.ctx.manifest))[0].to_json()
    monkeypatch.undo()
    with pytest.raises(BallotError, match=re.escape(f"{field}: the identity")):
        check_ballot(bad, e.ctx)
    events = list(e.events)
    close = next(i for i, x in enumerate(events) if x.type == ev.CLOSE)
    events.insert(close, ev.make_event(0, cev.BALLOT, bad))
    report = verify_events([ev.make_event(i, x.type, x.payload) for i, x in enumerate(events)], workers=1)
    failing = report.by_name(check)
    assert not failing.ok and any("the identity" in f for f in failing.failures), report.failed()


def test_mac_key_that_is_the_identity(cr_election: CrElection) -> None:
    """The registrar deals s = 0 (an honest proof of knowing 0): every MAC would be trivial, so a fake credential
    would pass as real; the verifier refuses the key by name."""
    e = cr_election
    manifest = next(x for x in e.events if x.type == ev.MANIFEST).payload
    fp = ceremony.ceremony_fingerprint(ev.canonical_json(manifest), e.ctx.trustees, e.ctx.threshold)
    events = [ev.Event(x.index, x.type, copy.deepcopy(x.payload), x.raw) for x in e.events]
    mac = next(x for x in events if x.type == cev.MAC_KEY).payload
    mac["commitments"][0] = G.IDENTITY.hex()
    mac["proofs"][0] = schnorr.prove(0, G.IDENTITY, fp, mac_context(0)).to_json()
    signed = sign(
        cev.MAC_KEY,
        {k: v for k, v in mac.items() if k != "signature"},
        nacl.signing.SigningKey(e.registrar.signing_seed),
    )
    mac["signature"] = signed["signature"]
    report = verify_events([ev.make_event(i, x.type, x.payload) for i, x in enumerate(events)], workers=1)
    check = report.by_name("cr: registrar MAC key")
    assert not check.ok and any("must not be the identity" in f for f in check.failures), check.failures


@pytest.mark.parametrize("stage", ["dedup", "match"])
def test_tag_key_that_is_the_identity(cr_election: CrElection, stage: str) -> None:
    """A tally trustee picks z = 0 with an honest equality proof: its pass would send every tag to the
    identity, so every credential would match every other; the verifier refuses the key by name."""
    e = cr_election
    events = [ev.Event(x.index, x.type, copy.deepcopy(x.payload), x.raw) for x in e.events]
    keys = next(x for x in events if x.type == cev.TALLY_KEYS).payload
    j = keys["trustee"]
    order = [x.payload["trustee"] for x in events if x.type == cev.TALLY_KEYS]
    base = G.mul(e.ctx.verification_keys[j], lagrange_at_zero(j, order))
    context = tags.stage_context("tag-key/" + stage, j)
    proof = dleq.prove(0, base, G.IDENTITY, G.IDENTITY, e.ctx.fingerprint, context)
    keys[stage] = {"z": G.IDENTITY.hex(), "u": G.IDENTITY.hex(), "proof": proof.to_json()}
    trustee = next(t for t in e.trustees if t.index == j)
    keys["signature"] = sign(
        cev.TALLY_KEYS, {k: v for k, v in keys.items() if k != "signature"}, trustee.signing_key
    )["signature"]
    report = verify_events([ev.make_event(i, x.type, x.payload) for i, x in enumerate(events)], workers=1)
    check = report.by_name("cr: tally trustees and keys")
    assert not check.ok and any("must not be the identity" in f for f in check.failures), check.failures
