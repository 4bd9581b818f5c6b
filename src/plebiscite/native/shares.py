"""The native engine's check of a trustee's partial decryption (docs/native.md §1, §3; ``native/src/shares.rs``).

:func:`accepted_shares` answers only "yes, every share's proof holds" (with the decoded shares) or "not accepted
here" (``None``): the caller then runs the reference (``decrypt/partial.check_partial``), whose error names the
position and the reason. So whatever the native check refuses — a forged proof, a non-canonical share, a scalar
≥ ℓ, an unusual spelling or shape, an input the extension cannot take — is reported in the reference's words.

Only public values go to the extension: the aggregate's ``a``s, the trustee's verification key, its published
shares and proofs. The trustee's secret share never reaches this code.
"""

from __future__ import annotations

from typing import Any

from plebiscite import native
from plebiscite.canonical import EncodingError, hex_bytes
from plebiscite.elgamal import Ciphertext


def _raw(value: object) -> bytes | None:
    """32 bytes from exactly 64 lowercase hex digits (the protocol's only spelling, docs/protocol.md §1)."""
    try:
        return hex_bytes(value, 32, "share")
    except EncodingError:
        return None


def _flatten(payload: dict[str, Any], widths: list[int]) -> tuple[list[bytes], bytes] | None:
    """The shares and ``c ‖ z`` of every position, in order; ``None`` if any is not spelt as the protocol says."""
    shares, proofs = payload.get("shares"), payload.get("proofs")
    if not isinstance(shares, list) or not isinstance(proofs, list):
        return None
    if len(shares) != len(widths) or len(proofs) != len(widths):
        return None
    decoded: list[bytes] = []
    flat_proofs = bytearray()
    for width, share_row, proof_row in zip(widths, shares, proofs, strict=True):
        if not isinstance(share_row, list) or not isinstance(proof_row, list):
            return None
        if len(share_row) != width or len(proof_row) != width:
            return None
        for share, proof in zip(share_row, proof_row, strict=True):
            d = _raw(share)
            if d is None or not isinstance(proof, list) or len(proof) != 2:
                return None
            c, z = _raw(proof[0]), _raw(proof[1])
            if c is None or z is None:
                return None
            decoded.append(d)
            flat_proofs += c + z
    return decoded, bytes(flat_proofs)


def failing_positions(
    fingerprint: bytes,
    trustee: int,
    verification_key: bytes,
    totals: list[list[Ciphertext]],
    shares: list[bytes],
    proofs: bytes,
) -> list[int]:
    """Positions (flat, question by question) whose share or proof the extension refuses; raises
    :class:`~plebiscite.native.EngineError` for an input it cannot take (a wrong length, a key that does not
    decode, an internal error)."""
    widths = [len(row) for row in totals]
    bases = b"".join(ct.a for row in totals for ct in row)
    statuses = native.call(
        "check_decryption_shares",
        fingerprint,
        trustee,
        verification_key,
        widths,
        bases,
        b"".join(shares),
        proofs,
    )
    return [k for k, status in enumerate(statuses) if status != 0]


def accepted_shares(
    payload: dict[str, Any], totals: list[list[Ciphertext]], verification_key: bytes, fingerprint: bytes
) -> list[list[bytes]] | None:
    """The trustee's decoded shares ``D`` per question and position when the native engine accepts every proof
    of ``payload``; ``None`` when it does not (the caller asks the reference, which says why)."""
    trustee = payload.get("trustee")
    if type(trustee) is not int or not 0 < trustee < 2**31:
        return None
    widths = [len(row) for row in totals]
    flat = _flatten(payload, widths)
    if flat is None:
        return None
    shares, proofs = flat
    try:
        if failing_positions(fingerprint, trustee, verification_key, totals, shares, proofs):
            return None
    except native.EngineError:
        return None
    rows: list[list[bytes]] = []
    at = 0
    for width in widths:
        rows.append(shares[at : at + width])
        at += width
    return rows
