"""Benaloh challenges: open a ballot instead of casting it, so anyone can check what the device encrypted.

A device that wants to cheat must encrypt the wrong choice before it knows whether the voter will cast or
challenge; each challenge catches it with the probability that the voter challenges. The opening is checked
against the ciphertexts (``a = r·G`` and ``b = r·K + m·G`` with ``m ∈ {0, 1}``) and read back as option ids.
"""

from __future__ import annotations

from typing import Any

from plebiscite import elgamal
from plebiscite.ballot.model import Ballot, BallotError
from plebiscite.hazmat import group as G
from plebiscite.setup.election import ElectionContext


def parse_opening(value: object, ballot: Ballot) -> tuple[list[list[int]], list[list[int]]]:
    """Decode an opening's plaintexts and randomness, shaped like ``ballot``."""
    if not isinstance(value, dict) or set(value) != {"plaintexts", "randomness"}:
        raise BallotError("opening: expected keys plaintexts and randomness")
    ms, rs = value["plaintexts"], value["randomness"]
    shape = [len(a.choices) for a in ballot.answers]
    if not isinstance(ms, list) or [len(x) if isinstance(x, list) else -1 for x in ms] != shape:
        raise BallotError("opening.plaintexts: shape does not match the ballot")
    if not isinstance(rs, list) or [len(x) if isinstance(x, list) else -1 for x in rs] != shape:
        raise BallotError("opening.randomness: shape does not match the ballot")
    plain = []
    for q, row in enumerate(ms):
        if not all(isinstance(m, int) and not isinstance(m, bool) and m in (0, 1) for m in row):
            raise BallotError(f"opening.plaintexts[{q}]: each value must be 0 or 1")
        plain.append(list(row))
    try:
        rand = [
            [G.scalar_from_hex(r, f"opening.randomness[{q}][{i}]") for i, r in enumerate(row)]
            for q, row in enumerate(rs)
        ]
    except G.GroupError as exc:
        raise BallotError(str(exc)) from None
    return plain, rand


def check_opening(ballot: Ballot, opening: object, public_key: bytes) -> list[list[int]]:
    """Raise :class:`BallotError` unless ``opening`` opens every ciphertext; return the plaintexts."""
    plain, rand = parse_opening(opening, ballot)
    for q, ans in enumerate(ballot.answers):
        for i, ct in enumerate(ans.choices):
            if elgamal.encrypt(public_key, plain[q][i], rand[q][i]) != ct:
                raise BallotError(
                    f"opening: ciphertext answers[{q}].choices[{i}] does not open to the claimed value"
                )
    return plain


def describe(ctx: ElectionContext, plain: list[list[int]]) -> dict[str, list[str]]:
    """Turn opened plaintexts back into option ids per question (what the device really encrypted)."""
    result: dict[str, list[str]] = {}
    for question, lay, values in zip(ctx.manifest.questions, ctx.layouts, plain, strict=True):
        chosen = [opt for opt, v in zip(lay.encoded, values, strict=False) if v == 1]
        if lay.blank and values[-1] == 1:
            chosen = ["blank"]
        elif lay.implicit is not None and not chosen:
            chosen = [lay.implicit]
        result[question.id] = chosen
    return result


def challenge_payload(ballot: Ballot, opening: dict[str, Any]) -> dict[str, Any]:
    """Payload of the ``challenge`` event."""
    return {"ballot": ballot.to_json(), "opening": opening}
