"""A trustee's partial decryption of the aggregate: ``D = x_j·a`` with a Chaum–Pedersen proof.

The proof shows ``log_G X_j = log_a D`` where ``X_j`` is the trustee's verification key, computed by anyone from
the ceremony's public commitments; so a trustee cannot lie about its share of the decryption.
"""

from __future__ import annotations

from typing import Any

import nacl.signing

from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.proofs import dleq
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.transcript import int_bytes
from plebiscite.record.signing import sign


def decryption_context(trustee: int, question: int, position: int) -> bytes:
    return b"decrypt" + int_bytes(trustee) + int_bytes(question) + int_bytes(position)


def partial_decrypt(
    trustee: int,
    share: int,
    totals: list[list[Ciphertext]],
    fingerprint: bytes,
    signing_key: nacl.signing.SigningKey,
) -> dict[str, Any]:
    """Payload of a ``partial-decryption`` event, signed by the trustee."""
    public = G.mul_base(share)
    shares: list[list[str]] = []
    proofs: list[list[Any]] = []
    for q, row in enumerate(totals):
        shares.append([])
        proofs.append([])
        for i, ct in enumerate(row):
            d = G.mul(ct.a, share)
            proof = dleq.prove(share, ct.a, public, d, fingerprint, decryption_context(trustee, q, i))
            shares[-1].append(d.hex())
            proofs[-1].append(proof.to_json())
    return sign("partial-decryption", {"trustee": trustee, "shares": shares, "proofs": proofs}, signing_key)


def check_partial(
    payload: dict[str, Any],
    totals: list[list[Ciphertext]],
    verification_key: bytes,
    fingerprint: bytes,
) -> list[list[bytes]]:
    """Decode and verify a partial decryption; raises ValueError naming the position and reason."""
    trustee = payload.get("trustee")
    if not isinstance(trustee, int) or isinstance(trustee, bool) or not 0 < trustee < 2**31:
        raise ValueError("partial decryption: trustee: expected a positive integer")
    shares, proofs = payload.get("shares"), payload.get("proofs")
    widths = [len(r) for r in totals]
    for name, value in (("shares", shares), ("proofs", proofs)):
        if not isinstance(value, list) or [len(r) if isinstance(r, list) else -1 for r in value] != widths:
            raise ValueError(
                f"partial decryption of trustee {trustee}: {name} shape does not match the tally"
            )
    decoded: list[list[bytes]] = []
    for q, row in enumerate(totals):
        decoded.append([])
        for i, ct in enumerate(row):
            where = f"partial decryption of trustee {trustee} [{q}][{i}]"
            try:
                d = G.element_from_hex(shares[q][i], where)  # type: ignore[index]
                proof = dleq.DleqProof.from_json(proofs[q][i], where)  # type: ignore[index]
                dleq.verify(proof, ct.a, verification_key, d, fingerprint, decryption_context(trustee, q, i))
            except (G.GroupError, ProofError) as exc:
                raise ValueError(f"{where}: {exc}") from None
            decoded[-1].append(d)
    return decoded
