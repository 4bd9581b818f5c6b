"""Every proof: a valid one verifies; every altered field, wrong statement or reused challenge is rejected."""

from __future__ import annotations

import dataclasses

import pytest

from plebiscite import elgamal
from plebiscite.hazmat import group as G
from plebiscite.proofs import dleq, schnorr
from plebiscite.proofs import range as range_proof
from plebiscite.proofs.common import ProofError

FP = bytes(range(32))
CTX = b"ctx"


def bump(s: int) -> int:
    return (s + 1) % G.ORDER


@pytest.fixture(scope="module")
def keypair() -> tuple[int, bytes]:
    x = G.random_scalar()
    return x, G.mul_base(x)


def test_schnorr_valid_and_every_alteration_rejected(keypair: tuple[int, bytes]) -> None:
    x, public = keypair
    proof = schnorr.prove(x, public, FP, CTX)
    schnorr.verify(proof, public, FP, CTX)
    for field in ("c", "z"):
        bad = dataclasses.replace(proof, **{field: bump(getattr(proof, field))})
        with pytest.raises(ProofError):
            schnorr.verify(bad, public, FP, CTX)
    with pytest.raises(ProofError):  # wrong statement
        schnorr.verify(proof, G.mul_base(x + 1), FP, CTX)
    with pytest.raises(ProofError):  # replayed into another election
        schnorr.verify(proof, public, bytes(32), CTX)
    with pytest.raises(ProofError):  # replayed for another purpose
        schnorr.verify(proof, public, FP, b"other")


def test_schnorr_without_the_secret_cannot_be_forged(keypair: tuple[int, bytes]) -> None:
    _, public = keypair
    forged = schnorr.prove(G.random_scalar(), public, FP, CTX)  # a prover using a wrong secret
    with pytest.raises(ProofError):
        schnorr.verify(forged, public, FP, CTX)


def test_chaum_pedersen(keypair: tuple[int, bytes]) -> None:
    x, public = keypair
    base = G.hash_to_element(b"test", b"base")
    image = G.mul(base, x)
    proof = dleq.prove(x, base, public, image, FP, CTX)
    dleq.verify(proof, base, public, image, FP, CTX)
    for field in ("c", "z"):
        bad = dataclasses.replace(proof, **{field: bump(getattr(proof, field))})
        with pytest.raises(ProofError):
            dleq.verify(bad, base, public, image, FP, CTX)
    wrong_image = G.mul(base, x + 1)
    with pytest.raises(ProofError):
        dleq.verify(proof, base, public, wrong_image, FP, CTX)
    with pytest.raises(ProofError):  # unequal logs cannot be proved
        dleq.verify(dleq.prove(x, base, public, wrong_image, FP, CTX), base, public, wrong_image, FP, CTX)
    with pytest.raises(ProofError):
        dleq.verify(proof, base, public, image, FP, b"other")


@pytest.mark.parametrize(("m", "lo", "hi"), [(0, 0, 1), (1, 0, 1), (2, 1, 3), (3, 3, 3)])
def test_range_valid_and_altered(keypair: tuple[int, bytes], m: int, lo: int, hi: int) -> None:
    _, key = keypair
    r = G.random_scalar()
    ct = elgamal.encrypt(key, m, r)
    proof = range_proof.prove(key, ct, m, r, lo, hi, FP, CTX)
    range_proof.verify(proof, key, ct, lo, hi, FP, CTX)
    fields = ("commit_a", "commit_b", "challenges", "responses")
    for i in range(hi - lo + 1):
        for field in fields:
            values = list(getattr(proof, field))
            values[i] = (
                bump(values[i]) if field in ("challenges", "responses") else G.add(values[i], G.GENERATOR)
            )
            with pytest.raises(ProofError):
                range_proof.verify(
                    dataclasses.replace(proof, **{field: tuple(values)}), key, ct, lo, hi, FP, CTX
                )
    other = elgamal.encrypt(key, m, G.random_scalar())
    with pytest.raises(ProofError):  # the proof is about one ciphertext only
        range_proof.verify(proof, key, other, lo, hi, FP, CTX)
    with pytest.raises(ProofError):  # reused in another election
        range_proof.verify(proof, key, ct, lo, hi, bytes(32), CTX)
    with pytest.raises(ProofError):  # copied to another voter's ballot
        range_proof.verify(proof, key, ct, lo, hi, FP, b"another voter")


@pytest.mark.parametrize("field", ["responses", "challenges"])
def test_range_compensating_alterations_are_rejected(keypair: tuple[int, bytes], field: str) -> None:
    """+1 on branch 0 and −1 on branch 1 keeps every plain sum over branches: only random weights catch it."""
    _, key = keypair
    r = G.random_scalar()
    ct = elgamal.encrypt(key, 1, r)
    proof = range_proof.prove(key, ct, 1, r, 0, 1, FP, CTX)
    a, b = getattr(proof, field)
    bad = dataclasses.replace(proof, **{field: ((a + 1) % G.ORDER, (b - 1) % G.ORDER)})
    with pytest.raises(ProofError, match="equation"):
        range_proof.verify(bad, key, ct, 0, 1, FP, CTX)


def test_range_invalid_commitment_encoding_is_a_proof_error(keypair: tuple[int, bytes]) -> None:
    _, key = keypair
    r = G.random_scalar()
    ct = elgamal.encrypt(key, 0, r)
    proof = range_proof.prove(key, ct, 0, r, 0, 1, FP, CTX)
    invalid = bytes([1]) + bytes(31)  # not a canonical ristretto255 encoding
    assert not G.is_valid_element(invalid)
    for field, i in (("commit_a", 0), ("commit_a", 1), ("commit_b", 0), ("commit_b", 1)):
        values = list(getattr(proof, field))
        values[i] = invalid
        with pytest.raises(ProofError):
            range_proof.verify(dataclasses.replace(proof, **{field: tuple(values)}), key, ct, 0, 1, FP, CTX)


def test_range_cannot_prove_a_value_outside(keypair: tuple[int, bytes]) -> None:
    _, key = keypair
    r = G.random_scalar()
    ct = elgamal.encrypt(key, 2, r)
    with pytest.raises(ValueError):
        range_proof.prove(key, ct, 2, r, 0, 1, FP, CTX)
    # A cheating prover claims branch 1 for an encryption of 2: the proof must not verify.
    lying = range_proof.prove(key, elgamal.encrypt(key, 1, r), 1, r, 0, 1, FP, CTX)
    with pytest.raises(ProofError):
        range_proof.verify(lying, key, ct, 0, 1, FP, CTX)


def test_range_statement_bounds_are_hashed(keypair: tuple[int, bytes]) -> None:
    _, key = keypair
    r = G.random_scalar()
    ct = elgamal.encrypt(key, 1, r)
    proof = range_proof.prove(key, ct, 1, r, 1, 2, FP, CTX)
    with pytest.raises(ProofError):  # same number of branches, other range
        range_proof.verify(proof, key, ct, 0, 1, FP, CTX)


def test_proof_json_rejects_non_canonical_scalars() -> None:
    too_big = G.ORDER.to_bytes(32, "little").hex()
    with pytest.raises(ProofError, match="not reduced"):
        schnorr.SchnorrProof.from_json([too_big, "00" * 32])
    with pytest.raises(ProofError, match="expected 2 scalars"):
        schnorr.SchnorrProof.from_json(["00" * 32])
    with pytest.raises(ProofError, match="expected an object"):
        range_proof.RangeProof.from_json([], 2)
    with pytest.raises(ProofError, match="hexadecimal"):
        dleq.DleqProof.from_json(["zz" * 32, "00" * 32])
