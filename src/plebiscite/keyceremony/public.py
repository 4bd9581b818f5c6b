"""What anyone can compute from the ceremony's public posts: who qualified, the election key, verification keys.

Shared by the trustees (to finish the ceremony) and the verifier (to re-derive the key), so both apply the same
rules. A dealer is disqualified when its commitments or proofs are malformed or do not verify, when it did not deal
a share to every other trustee whose announcement is valid (a trustee silent in round 1 is simply left out), or when
a complaint against it was not answered by a public share that matches its commitments. Rounds 2 and 3 (shares,
complaints, reveals) carry the ceremony fingerprint: a post of another ceremony by the same identity key counts as
not made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plebiscite.canonical import hex_bytes
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.polynomial import commitment_at, share_matches
from plebiscite.proofs import schnorr
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.transcript import int_bytes
from plebiscite.record.signing import SignatureError, verify


def named_keys(manifest_payload: dict[str, Any]) -> list[str]:
    """The trustees' Ed25519 keys the manifest event names, in index order; ValueError naming the field.

    Trustees generate their keys on their own machines and publish their fingerprints themselves; the organiser
    copies the keys into the manifest event, and every trustee checks its own there before the ceremony.
    """
    n, keys = manifest_payload.get("trustees"), manifest_payload.get("trustee_keys")
    if not isinstance(keys, list) or type(n) is not int or len(keys) != n:
        raise ValueError("manifest event.trustee_keys: must list one Ed25519 key per trustee")
    for i, key in enumerate(keys):
        hex_bytes(key, 32, f"manifest event.trustee_keys[{i}]")
    if len(set(keys)) != len(keys):
        raise ValueError("manifest event.trustee_keys: a key is named twice")
    return list(keys)


def ceremony_fingerprint(manifest_raw: bytes, trustees: int, threshold: int) -> bytes:
    """Binds the ceremony's proofs to this manifest and these parameters (the election fingerprint comes later)."""
    return G.hash_to_scalar(
        b"plebiscite/v1/ceremony", manifest_raw, int_bytes(trustees), int_bytes(threshold)
    ).to_bytes(32, "little")


def coefficient_context(index: int, j: int, signing_key: bytes, box_key: bytes) -> bytes:
    """Fiat–Shamir context of trustee ``index``'s proof for coefficient ``j``.

    It holds the trustee's two public keys, so the proofs (which only the holder of the polynomial can make) bind
    the announcement's keys too: nobody can swap a trustee's Ed25519 or X25519 key in the record unnoticed.
    """
    return int_bytes(index) + int_bytes(j) + signing_key + box_key


@dataclass
class Announcement:
    """A trustee's round-1 post, decoded."""

    index: int
    signing_key: str
    box_key: str
    commitments: list[bytes]


@dataclass
class Outcome:
    qualified: list[int]
    public_key: bytes
    verification_keys: dict[int, bytes]
    announcements: dict[int, Announcement]
    problems: list[str] = field(default_factory=list)
    key_problems: list[str] = field(default_factory=list)
    """Why the election key or a verification key must not be used (the identity), even with enough trustees."""


def decode_announcement(
    payload: dict[str, Any], threshold: int, fingerprint: bytes, named: list[str], check_proofs: bool = True
) -> Announcement:
    """Decode and check a round-1 post; raises ValueError naming the field.

    ``named`` is the manifest event's ``trustee_keys``: trustee ``i``'s announcement must carry the Ed25519 key
    named ``i``-th there and be signed by it, so that nobody — the board included — can stand in for a trustee.
    """
    index = payload.get("index")
    if type(index) is not int or not 1 <= index <= len(named):
        raise ValueError(f"trustee.index: must be an integer from 1 to {len(named)}")
    if payload.get("signing_key") != named[index - 1]:
        raise ValueError(
            f"trustee {index}.signing_key: not the key the manifest event names for trustee {index}"
        )
    try:
        verify("trustee", payload, named[index - 1])
    except SignatureError as exc:
        raise ValueError(f"trustee {index}.{exc}") from None
    raw = payload.get("commitments")
    if not isinstance(raw, list) or len(raw) != threshold:
        raise ValueError(f"trustee {index}.commitments: expected {threshold} elements")
    commitments = [G.element_from_hex(c, f"trustee {index}.commitments[{j}]") for j, c in enumerate(raw)]
    if commitments and commitments[0] == G.IDENTITY:  # a_0 = 0: this trustee's key share would add nothing
        raise ValueError(f"trustee {index}.commitments[0]: the identity (a zero secret); not a key share")
    proofs = payload.get("proofs")
    if not isinstance(proofs, list) or len(proofs) != threshold:
        raise ValueError(f"trustee {index}.proofs: expected {threshold} proofs")
    keys = {}
    for name in ("signing_key", "box_key"):
        keys[name] = hex_bytes(payload.get(name), 32, f"trustee {index}.{name}")
    if check_proofs:
        for j, (c, p) in enumerate(zip(commitments, proofs, strict=True)):
            context = coefficient_context(index, j, keys["signing_key"], keys["box_key"])
            try:
                schnorr.verify(schnorr.SchnorrProof.from_json(p), c, fingerprint, context)
            except ProofError as exc:
                raise ValueError(f"trustee {index}.proofs[{j}]: {exc}") from None
    return Announcement(index, payload["signing_key"], payload["box_key"], commitments)


def outcome(
    named: list[str],
    threshold: int,
    fingerprint: bytes,
    announcements: list[dict[str, Any]],
    shares: list[dict[str, Any]],
    complaints: list[dict[str, Any]],
    reveals: list[dict[str, Any]],
) -> Outcome:
    """Apply the qualification rules to the public posts (``named``: the manifest event's trustee keys)."""
    problems: list[str] = []
    ceremony = fingerprint.hex()
    decoded: dict[int, Announcement] = {}
    for payload in announcements:
        try:
            a = decode_announcement(payload, threshold, fingerprint, named)
        except (ValueError, G.GroupError) as exc:
            problems.append(str(exc))
            continue
        if a.index in decoded:
            problems.append(f"trustee {a.index}: announced twice")
            continue
        decoded[a.index] = a
    dealt: dict[int, set[int]] = {}
    for payload in shares:
        dealer = payload.get("from")
        if type(dealer) is not int or dealer not in decoded:
            problems.append(f"shares from unknown trustee {dealer!r}")
            continue
        try:
            verify("shares", payload, decoded[dealer].signing_key)
        except SignatureError as exc:
            problems.append(f"shares from trustee {dealer}: {exc}")
            continue
        if payload.get("ceremony") != ceremony:
            problems.append(f"shares from trustee {dealer}: ceremony is not this ceremony's fingerprint")
            continue
        if dealer in dealt:
            problems.append(f"shares from trustee {dealer}: dealt twice")
            continue
        dealt[dealer] = {
            s["to"] for s in payload.get("shares", []) if isinstance(s, dict) and type(s.get("to")) is int
        }
    answered: dict[tuple[int, int], bool] = {}
    for payload in reveals:
        dealer, to = payload.get("from"), payload.get("to")
        if dealer not in decoded or type(to) is not int:
            problems.append(f"share reveal from unknown trustee {dealer!r}")
            continue
        try:
            verify("share-reveal", payload, decoded[dealer].signing_key)
            if payload.get("ceremony") != ceremony:
                raise SignatureError("ceremony is not this ceremony's fingerprint")
            share = G.scalar_from_hex(payload.get("share", ""), "share-reveal.share")
            answered[(dealer, to)] = share_matches(share, decoded[dealer].commitments, to)
        except (SignatureError, G.GroupError) as exc:
            problems.append(f"share reveal from trustee {dealer}: {exc}")
            answered[(dealer, to)] = False
    valid_complaints = []
    for payload in complaints:
        by = payload.get("by")
        try:
            if by not in decoded or type(by) is not int:
                raise SignatureError("complaint by an unknown trustee")
            if type(payload.get("against")) is not int:
                raise SignatureError("against: not a trustee's index")
            verify("complaint", payload, decoded[by].signing_key)
            if payload.get("ceremony") != ceremony:
                raise SignatureError("ceremony is not this ceremony's fingerprint")
        except SignatureError as exc:
            problems.append(f"complaint by trustee {by!r}: {exc}; ignored")
            continue
        valid_complaints.append(payload)
    qualified = []
    for i in sorted(decoded):
        others = set(decoded) - {i}
        if not others <= dealt.get(i, set()):
            problems.append(f"trustee {i}: did not deal a share to every trustee; disqualified")
            continue
        against = [c for c in valid_complaints if c.get("against") == i]
        if any(not answered.get((i, c.get("by", -1)), False) for c in against):
            problems.append(f"trustee {i}: a complaint was not answered with a valid share; disqualified")
            continue
        qualified.append(i)
    key = G.IDENTITY
    for i in qualified:
        key = G.add(key, decoded[i].commitments[0])
    verification = {}
    for j in range(1, len(named) + 1):
        acc = G.IDENTITY
        for i in qualified:
            acc = G.add(acc, commitment_at(decoded[i].commitments, j))
        verification[j] = acc
    key_problems = []
    if qualified and key == G.IDENTITY:
        key_problems.append("election key: the identity (every ciphertext would show its vote)")
    if qualified:
        key_problems += [
            f"verification key of trustee {j}: the identity (a zero key share)"
            for j, v in verification.items()
            if v == G.IDENTITY
        ]
    return Outcome(qualified, key, verification, decoded, problems, key_problems)
