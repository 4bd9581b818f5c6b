"""The ballot signature (docs/protocol.md §7.1): Schnorr over ristretto255 by the credential, one encoding, and
every alteration refused with its reason by the reference (the native engine is compared with it in tests/native)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plebiscite.hazmat import group as G
from plebiscite.proofs import ballot_signature as sig
from plebiscite.setup.credentials import Credential, CredentialError

FP = bytes(range(32))
MESSAGE = b"plebiscite/v1/ballot" + bytes(100)
CRED = Credential("e", bytes(range(1, 33)))
X = CRED.public_key
GOOD = CRED.sign(FP, MESSAGE)


def refusal(
    signature: bytes, public: bytes = X, message: bytes = MESSAGE, fingerprint: bytes = FP
) -> str | None:
    return sig.refusal(public, fingerprint, message, signature)


def test_an_honest_signature_verifies_and_binds_key_message_and_election() -> None:
    assert refusal(GOOD) is None
    other = Credential.generate("e")
    assert refusal(GOOD, public=other.public_key) == "does not verify with the ballot's credential"
    assert refusal(GOOD, message=MESSAGE + b"\0") == "does not verify with the ballot's credential"
    assert refusal(GOOD, fingerprint=bytes(32)) == "does not verify with the ballot's credential"
    assert refusal(other.sign(FP, MESSAGE)) == "does not verify with the ballot's credential"


def test_the_key_is_the_hash_of_the_seed_times_g() -> None:
    x = G.hash_to_scalar(b"plebiscite/v1/credential-key", CRED.seed)
    assert G.mul_base(x) == X and sig.secret_key(CRED.seed) == x


def test_the_equation_is_the_protocols() -> None:
    """``s·G = R + c·X`` with the §2 challenge: a signature made by hand from the spec verifies."""
    from plebiscite.proofs.transcript import challenge

    x, k = sig.secret_key(CRED.seed), G.random_scalar()
    r = G.mul_base(k)
    c = challenge("ballot-signature", FP, MESSAGE, [G.GENERATOR, X], [r])
    assert refusal(r + G.scalar_to_bytes((k + c * x) % G.ORDER)) is None
    assert (
        refusal(r + G.scalar_to_bytes((k + c * x + 1) % G.ORDER))
        == "does not verify with the ballot's credential"
    )


def test_the_nonce_is_hedged_fresh_randomness_changes_the_signature_and_both_verify() -> None:
    again = CRED.sign(FP, MESSAGE)
    assert again != GOOD and refusal(again) is None
    fixed = CRED.sign(FP, MESSAGE, rho=bytes(32))
    assert fixed == CRED.sign(FP, MESSAGE, rho=bytes(32)) and refusal(fixed) is None


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda s: s[:63], "must be 64 bytes"),
        (lambda s: s + b"\0", "must be 64 bytes"),
        (lambda s: G.IDENTITY + s[32:], "R is the identity"),
        (lambda s: b"\xff" * 32 + s[32:], "R is not a canonical ristretto255 element"),
        (lambda s: s[:31] + bytes([s[31] | 0x80]) + s[32:], "R is not a canonical ristretto255 element"),
        (
            lambda s: s[:32] + (int.from_bytes(s[32:], "little") + G.ORDER).to_bytes(32, "little"),
            "s is not a canonical scalar (s ≥ ℓ)",
        ),
        (lambda s: G.GENERATOR + s[32:], "does not verify with the ballot's credential"),
    ],
)
def test_every_alteration_is_refused_with_its_reason(make, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert refusal(make(GOOD)) == reason


@pytest.mark.parametrize(
    ("public", "reason"),
    [
        (G.IDENTITY, "the credential is the identity"),
        (b"\xff" * 32, "the credential is not a canonical ristretto255 element"),
        (X[:31] + bytes([X[31] | 0x80]), "the credential is not a canonical ristretto255 element"),
    ],
)
def test_a_key_that_is_not_a_credential_is_refused(public: bytes, reason: str) -> None:
    assert refusal(GOOD, public=public) == reason


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 64 * 8 - 1))
def test_any_flipped_bit_is_refused(bit: int) -> None:
    """One encoding per signature: no other 64 bytes verify for the same ballot (strong unforgeability needs this)."""
    flipped = bytearray(GOOD)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert refusal(bytes(flipped)) is not None


def test_a_seed_whose_key_is_zero_is_not_a_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sig, "secret_key", lambda seed: 0)
    with pytest.raises(CredentialError, match="zero key"):
        Credential("e", bytes(32))
    with pytest.raises(ValueError, match="zero scalar"):
        sig.public_key(0)
