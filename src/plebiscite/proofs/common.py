"""Shared pieces of the proofs: the error type and scalar (de)serialisation."""

from __future__ import annotations

from plebiscite.hazmat import group as G


class ProofError(ValueError):
    """A proof is malformed or does not verify. The message names the proof and the reason."""


def scalars_to_json(values: list[int]) -> list[str]:
    return [G.scalar_to_bytes(v).hex() for v in values]


def scalars_from_json(value: object, count: int | None, what: str) -> list[int]:
    """Decode a list of hex scalars, checking length and canonical form."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProofError(f"{what}: expected a list of hex scalars")
    if count is not None and len(value) != count:
        raise ProofError(f"{what}: expected {count} scalars, got {len(value)}")
    try:
        return [G.scalar_from_hex(v, f"{what}[{i}]") for i, v in enumerate(value)]
    except G.GroupError as exc:
        raise ProofError(str(exc)) from None


def elements_from_json(value: object, count: int, what: str, validate: bool = True) -> list[bytes]:
    """Decode a list of hex group elements, checking length and (unless ``validate=False``) canonical form."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProofError(f"{what}: expected a list of hex elements")
    if len(value) != count:
        raise ProofError(f"{what}: expected {count} elements, got {len(value)}")
    try:
        return [G.element_from_hex(v, f"{what}[{i}]", validate) for i, v in enumerate(value)]
    except G.GroupError as exc:
        raise ProofError(str(exc)) from None
