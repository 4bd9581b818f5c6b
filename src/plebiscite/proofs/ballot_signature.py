"""The credential's signature on a ballot: a Schnorr signature over ristretto255 (docs/protocol.md §7.1).

The signature is a Schnorr proof of knowledge of the credential's secret key ``x`` (``X = x·G``) whose challenge
hashes the ballot bytes as its context: ``R ‖ s`` with ``R = k·G``, ``s = k + c·x`` and ``c`` the §2 challenge with
tag ``ballot-signature``. It carries its commitment ``R`` (not the challenge), so that a verifier can check a
million of them as one batch with the ballots' range proofs (docs/native.md §3); the group has prime order, so that
batch answers exactly what this one-by-one check answers, and a signature has one encoding: nobody without ``x``
can make a second valid signature of a ballot (which the board's replay and challenge rules rely on).

This replaced Ed25519 for ballots: an Ed25519 batch agrees with libsodium's cofactorless rule only after a
per-signature torsion check as dear as the signature itself, and the cofactored rule batches check would accept
eight signatures of every ballot (docs/protocol.md §7.1).
"""

from __future__ import annotations

import secrets

from plebiscite.hazmat import group as G
from plebiscite.proofs.transcript import challenge

TAG = "ballot-signature"
KEY_DOMAIN = b"plebiscite/v1/credential-key"
NONCE_DOMAIN = b"plebiscite/v1/ballot-signature-nonce"
SEED_BYTES = 32
SIGNATURE_BYTES = 2 * G.ELEMENT_BYTES


def secret_key(seed: bytes) -> int:
    """The credential's secret scalar ``x = H_s(credential-key, seed)``; 0 means the seed is not a credential."""
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a credential seed is {SEED_BYTES} bytes")
    return G.hash_to_scalar(KEY_DOMAIN, seed)


def public_key(x: int) -> bytes:
    """``X = x·G``, the key the roll lists."""
    if x % G.ORDER == 0:
        raise ValueError("the zero scalar is not a credential key")
    return G.mul_base(x)


def sign(x: int, public: bytes, fingerprint: bytes, message: bytes, rho: bytes | None = None) -> bytes:
    """Sign ``message`` (the ballot bytes) for the election ``fingerprint`` with ``x`` (public key ``public``).

    The nonce is hedged: ``k = H_s(nonce domain, le32(x), ρ, message)`` with ``ρ`` fresh from the OS CSPRNG, so a
    weak random generator alone does not repeat ``k``. ``rho`` is given only by the test vectors.
    """
    rho = secrets.token_bytes(32) if rho is None else rho
    while True:
        k = G.hash_to_scalar(NONCE_DOMAIN, G.scalar_to_bytes(x), rho, message)
        if k:
            break
        rho = secrets.token_bytes(32)  # pragma: no cover - probability 2^-252
    commitment = G.mul_base(k)
    c = challenge(TAG, fingerprint, message, [G.GENERATOR, public], [commitment])
    return commitment + G.scalar_to_bytes((k + c * x) % G.ORDER)


def refusal(public: bytes, fingerprint: bytes, message: bytes, signature: bytes) -> str | None:
    """Why ``signature`` is not a valid signature of ``message`` under ``public`` — or None when it is.

    The checks of docs/protocol.md §7.1 in order: length, ``R`` canonical and not the identity, ``s < ℓ``, the key
    canonical and not the identity, then ``s·G = R + c·X``.
    """
    if len(signature) != SIGNATURE_BYTES:
        return f"must be {SIGNATURE_BYTES} bytes"
    commitment, s_bytes = signature[: G.ELEMENT_BYTES], signature[G.ELEMENT_BYTES :]
    if not G.is_valid_element(commitment):
        return "R is not a canonical ristretto255 element"
    if commitment == G.IDENTITY:
        return "R is the identity"
    s = int.from_bytes(s_bytes, "little")
    if s >= G.ORDER:
        return "s is not a canonical scalar (s ≥ ℓ)"
    if not G.is_valid_element(public):
        return "the credential is not a canonical ristretto255 element"
    if public == G.IDENTITY:
        return "the credential is the identity"
    c = challenge(TAG, fingerprint, message, [G.GENERATOR, public], [commitment])
    if G.mul_base(s) != G.add(commitment, G.mul(public, c)):
        return "does not verify with the ballot's credential"
    return None
