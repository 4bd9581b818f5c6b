"""Every proof of the mode, honest and forged: a forged or altered one is rejected; bad input names its field."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from plebiscite import elgamal
from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.model import BallotError
from plebiscite.coercion import batchproof as bp
from plebiscite.coercion import dvproof, tags
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion.ballot import check_ballot, decode_ballot, encrypt_ballot, verify_vote_proofs
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.credentials import Credential, VoterKey, decode_mac_key, trustee_mac_share
from plebiscite.coercion.demo import coercer_choice
from plebiscite.coercion.parallel import Workers
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G

from .conftest import CrElection

FP = b"\x07" * 32


def _element() -> str:
    return G.mul_base(G.random_scalar()).hex()


def _bump(hex_scalar: str) -> str:
    return G.scalar_to_bytes(G.scalar_from_hex(hex_scalar) + 1).hex()


# --- designated-verifier proof -----------------------------------------------------------------------------------


def test_dv_proof_altered_or_for_another_credential(cr_election: CrElection) -> None:
    e = cr_election
    real = e.credentials[0]
    for field in range(5):
        doc = real.to_json()
        doc["proof"][field] = _bump(doc["proof"][field])
        with pytest.raises(CoercionError, match="credential proof"):
            Credential.from_json(doc).check(e.ctx.public_key, e.mac.public, e.ceremony_fp)
    other = real.to_json()
    other["credential"] = _element()  # the registrar's proof does not transfer to another element
    with pytest.raises(CoercionError, match="credential proof"):
        Credential.from_json(other).check(e.ctx.public_key, e.mac.public, e.ceremony_fp)
    with pytest.raises(CoercionError, match="credential proof"):
        real.check(e.ctx.public_key, e.mac.public, b"\x00" * 32)  # another election


def test_registrar_cannot_prove_a_wrong_entry(cr_election: CrElection) -> None:
    """The registrar's branch is sound: an entry that does not encrypt V gives a proof that fails."""
    e = cr_election
    real = e.credentials[0]
    wrong = Ciphertext(real.entry.a, G.add(real.entry.b, G.GENERATOR))
    st = dvproof.Statement(e.ctx.public_key, e.mac.public, real.voter_key, wrong, real.element, real.sigma)
    proof = dvproof.prove(st, G.random_scalar(), e.registrar.mac_secret, e.ceremony_fp)
    with pytest.raises(Exception, match="challenges do not add up"):
        dvproof.verify(proof, st, e.ceremony_fp)


def test_voter_key_request_needs_knowledge(cr_election: CrElection) -> None:
    e = cr_election
    vk = VoterKey.generate("test-coercion")
    req = vk.request(e.ceremony_fp)
    forged = type(req)(req.election_id, G.mul_base(G.random_scalar()), req.proof)
    with pytest.raises(CoercionError, match="voter key"):
        e.registrar.issue(forged, e.ctx.public_key, e.ceremony_fp)


def test_credential_file_errors() -> None:
    with pytest.raises(CoercionError, match="format"):
        Credential.from_json({"format": "other"})
    doc = {
        "format": "plebiscite-cr-credential/1",
        "election_id": "x",
        "voter_key": "zz",
        "roll_entry": [],
        "sigma": "00" * 32,
        "credential": _element(),
        "proof": ["00" * 32] * 5,
    }
    with pytest.raises(CoercionError, match="voter_key"):
        Credential.from_json(doc)


# --- the ballot --------------------------------------------------------------------------------------------------


def _ballot(e: CrElection) -> dict[str, Any]:
    return encrypt_ballot(e.ctx, e.credentials[2], coercer_choice(e.ctx.manifest))[0].to_json()


def test_ballot_credential_proof_altered(cr_election: CrElection) -> None:
    e = cr_election
    good = _ballot(e)
    check_ballot(good, e.ctx)
    for i in range(4):
        bad = copy.deepcopy(good)
        bad["proof"][i] = _bump(bad["proof"][i])
        with pytest.raises(BallotError, match=r"ballot\.proof"):
            check_ballot(bad, e.ctx)


def test_ballot_credential_cannot_be_lifted(cr_election: CrElection) -> None:
    """Another voter's encrypted credential (and its proof) with my votes, or my votes' proofs elsewhere: rejected."""
    e = cr_election
    mine, theirs = _ballot(e), _ballot(e)
    lifted = {**mine, "credential": theirs["credential"], "mac": theirs["mac"], "proof": theirs["proof"]}
    with pytest.raises(BallotError):
        check_ballot(lifted, e.ctx)
    rerandomised = copy.deepcopy(mine)
    r = G.random_scalar()
    c1 = Ciphertext.from_json(mine["credential"])
    rerandomised["credential"] = Ciphertext(
        G.add(c1.a, G.mul_base(r)), G.add(c1.b, G.mul(e.ctx.public_key, r))
    ).to_json()
    with pytest.raises(BallotError):
        check_ballot(rerandomised, e.ctx)


def test_ballot_vote_proof_altered(cr_election: CrElection) -> None:
    e = cr_election
    bad = _ballot(e)
    bad["answers"][0]["proofs"][0]["c"][0] = _bump(bad["answers"][0]["proofs"][0]["c"][0])
    with pytest.raises(BallotError, match=r"ballot\.proof"):  # the credential proof hashes the vote proofs …
        check_ballot(bad, e.ctx)
    decoded = decode_ballot(bad, branch_counts(e.ctx.layouts))
    with pytest.raises(
        BallotError, match=r"ballot.answers\[0\].proofs\[0\]"
    ):  # … and the 0/1 proof itself fails
        verify_vote_proofs(decoded, e.ctx.public_key, e.ctx.layouts)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.pop("mac"), "fields"),
        (lambda b: b.update(extra=1), "fields"),
        (lambda b: b.update(credential=["zz", "00"]), "ballot.credential"),
        (lambda b: b.update(mac=[_element()]), "ballot.mac"),
        (lambda b: b.update(proof=["00" * 32] * 3), "ballot.proof"),
        (lambda b: b.update(election="00" * 32), "ballot.election"),
        (lambda b: b["answers"].pop(), "ballot.answers"),
    ],
)
def test_malformed_ballots_name_the_field(cr_election: CrElection, change: Any, field: str) -> None:
    bad = _ballot(cr_election)
    change(bad)
    with pytest.raises(BallotError, match=field):
        check_ballot(bad, cr_election.ctx)


# --- linear batch proofs and row blinding -----------------------------------------------------------------------


def _cts(n: int) -> list[Ciphertext]:
    key = G.mul_base(G.random_scalar())
    return [elgamal.encrypt(key, i % 2, G.random_scalar()) for i in range(n)]


def test_linear_proof_honest_and_forged() -> None:
    z, u = G.random_scalar(), G.random_scalar()
    inputs = _cts(9)
    a, b, proof = bp.prove_linear(z, u, inputs, True, FP, b"ctx")
    zp, up = G.mul_base(z), G.mul_base(u)
    assert bp.verify_linear(proof, zp, up, inputs, a, b, FP, b"ctx")
    assert a is not None
    assert not bp.verify_linear(proof, zp, up, inputs, a, [*b[:4], G.GENERATOR, *b[5:]], FP, b"ctx")  # a tag
    assert not bp.verify_linear(proof, zp, up, inputs, [*a[:1], G.GENERATOR, *a[2:]], b, FP, b"ctx")
    assert not bp.verify_linear(proof, zp, up, inputs[:-1], a[:-1], b[:-1], FP, b"ctx")  # a dropped row
    assert not bp.verify_linear(
        bp.LinearProof(proof.c, proof.sz + 1, proof.su), zp, up, inputs, a, b, FP, b"ctx"
    )
    assert not bp.verify_linear(proof, G.mul_base(z + 1), up, inputs, a, b, FP, b"ctx")  # another key
    assert not bp.verify_linear(proof, zp, up, inputs, a, b, FP, b"other")  # another context
    _, tags_only, p2 = bp.prove_linear(z, u, inputs, False, FP, b"ctx")
    assert bp.verify_linear(p2, zp, up, inputs, None, tags_only, FP, b"ctx")


def test_row_blinding_honest_and_forged() -> None:
    inputs = _cts(5)
    outputs, proofs = bp.blind_rows(inputs, FP, b"ctx", 0)
    assert bp.verify_blind_rows(inputs, outputs, proofs, FP, b"ctx", 0) == []
    zero = Ciphertext(G.IDENTITY, G.IDENTITY)
    assert bp.verify_blind_rows(inputs, [zero, *outputs[1:]], proofs, FP, b"ctx", 0) == [0]  # ρ = 0
    scaled = Ciphertext(outputs[2].a, G.add(outputs[2].b, G.GENERATOR))
    assert bp.verify_blind_rows(inputs, [*outputs[:2], scaled, *outputs[3:]], proofs, FP, b"ctx", 0) == [2]
    bad = [*proofs[:3], (*proofs[3][:2], proofs[3][2] + 1), proofs[4]]
    assert bp.verify_blind_rows(inputs, outputs, bad, FP, b"ctx", 0) == [3]
    swapped = [
        (proofs[1][1], proofs[1][0], proofs[1][2]),
        *proofs[1:],
    ]  # row 0 given row 1's commitments, swapped
    assert bp.verify_blind_rows(inputs, outputs, swapped, FP, b"ctx", 0) == [0]


def test_tag_key_proof(cr_election: CrElection) -> None:
    e = cr_election
    t = e.trustees[1]
    assert t.share is not None
    _z, _u, key = tags.make_tag_key("match", 2, t.share, 5, FP)
    vk = e.ctx.verification_keys[2]
    tags.check_tag_key(key.to_json(), "match", 2, vk, 5, FP, "k")
    forged = key.to_json()
    forged["u"] = _element()
    with pytest.raises(CoercionError, match="chaum-pedersen"):
        tags.check_tag_key(forged, "match", 2, vk, 5, FP, "k")
    with pytest.raises(CoercionError, match="chaum-pedersen"):
        tags.check_tag_key(key.to_json(), "dedup", 2, vk, 5, FP, "k")  # a key is bound to its stage


# --- the shuffle -----------------------------------------------------------------------------------------------------


def test_shuffle_honest_and_forged() -> None:
    x = G.random_scalar()
    key = G.mul_base(x)
    rows = [
        (elgamal.encrypt(key, i, G.random_scalar()), elgamal.encrypt(key, 1, G.random_scalar()))
        for i in range(6)
    ]
    with Workers(1) as pool:
        out, proof = sh.shuffle(pool, rows, key, FP, b"list")
        assert sh.verify(pool, rows, out, proof, key, FP, b"list") is None
        plain = sorted(elgamal.discrete_log(G.sub(r[0].b, G.mul(r[0].a, x)), 10) for r in out)
        assert plain == list(range(6))  # a permutation of the inputs, re-encrypted
        swapped = [out[1], out[0], *out[2:]]
        assert sh.verify(pool, rows, swapped, proof, key, FP, b"list")
        substituted = [(elgamal.encrypt(key, 0, 1), out[0][1]), *out[1:]]
        assert sh.verify(pool, rows, substituted, proof, key, FP, b"list")
        assert sh.verify(pool, rows, out[:-1], proof, key, FP, b"list")  # a dropped row
        doc = proof.to_json()
        for field in ("c", "s_hat", "s_prime", "commitments", "chain", "hats"):
            bad = copy.deepcopy(doc)
            if field == "c":
                bad["c"] = _bump(bad["c"])
            elif field in ("commitments", "chain", "hats"):
                bad[field][2] = _element()
            else:
                bad[field][3] = _bump(bad[field][3])
            assert sh.verify(pool, rows, out, sh.ShuffleProof.from_json(bad, 6, 2, "p"), key, FP, b"list")
        assert sh.verify(pool, rows, out, proof, key, FP, b"other list")
    with pytest.raises(CoercionError, match="s_hat"):
        sh.ShuffleProof.from_json({**doc, "s_hat": doc["s_hat"][:-1]}, 6, 2, "p")


# --- the registrar's MAC key ---------------------------------------------------------------------------------------


def test_mac_key_dealing(cr_election: CrElection) -> None:
    e = cr_election
    payload = next(x.payload for x in e.events if x.type == "cr-mac-key")
    qualified = e.ctx.qualified
    decode_mac_key(payload, 2, qualified, e.ceremony_fp)
    bad = copy.deepcopy(payload)
    bad["commitments"][1] = _element()
    with pytest.raises(CoercionError, match="proofs"):
        decode_mac_key(bad, 2, qualified, e.ceremony_fp)
    unsigned = copy.deepcopy(payload)
    unsigned["shares"] = unsigned["shares"][::-1]
    with pytest.raises(CoercionError, match="signature"):
        decode_mac_key(unsigned, 2, qualified, e.ceremony_fp)
    t = e.trustees[0]
    assert G.mul_base(trustee_mac_share(payload, e.mac, 1, t.box_secret)) == e.mac.verification_key(1)
    with pytest.raises(CoercionError, match="cannot open"):
        trustee_mac_share(payload, e.mac, 1, e.trustees[1].box_secret)


def test_list_digest_frames_every_item_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The block-wise framing (one ``join`` for a block of 32-byte items) is the item-by-item frame of
    docs/coercion.md, whatever the lengths and wherever the blocks end."""
    from plebiscite.coercion import codec

    def plain(domain: bytes, items: list[bytes]) -> bytes:
        h = hashlib.sha512()
        for part in [codec.PROTOCOL + domain, *items]:
            h.update(len(part).to_bytes(8, "big") + part)
        return h.digest()

    monkeypatch.setattr(codec, "_BLOCK", 3)
    lists = [
        [],
        [bytes(32)],
        [bytes([i]) * 32 for i in range(7)],
        [b"x" * 32, b"", b"y" * 31, b"z" * 32, b"w" * 33],
    ]
    for items in lists:
        assert codec.list_digest(b"d", iter(items)) == plain(b"d", items)
    assert codec.list_digest(b"d", [b"a" * 32, b"b" * 32]) != codec.list_digest(b"d", [b"a" * 32 + b"b" * 32])
