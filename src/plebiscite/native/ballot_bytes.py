"""A ballot's signed bytes straight from its JSON, for the native engine's hot path.

The reference decodes a ballot into Python objects (``ballot_from_json``: integers for scalars, tuples of proofs)
and encodes them again into the ballot bytes (``Ballot.content_bytes``). The native engine needs only those bytes,
which it parses and validates itself (``native/src/ballot.rs``: every length, element and scalar), so here they are
spelled directly from the JSON's hex strings: the frame's length prefixes interleaved with the fields, decoded by
one ``bytes.fromhex`` and checked canonical (lowercase, exact length) by one round trip.

This accepts exactly the JSON shapes ``ballot_from_json`` accepts, and nothing is decided here: anything unusual
gives ``None``, and a ballot whose bytes the native engine refuses is decoded again by the reference, which names
the field and the reason (``verify/ballots.py``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from plebiscite.ballot.model import BALLOT_TAG, TRACKING_TAG
from plebiscite.hazmat.group import frame

_SMALL = tuple(n.to_bytes(8, "big").hex() for n in range(65))


def _len_hex(n: int) -> str:
    """8-byte big-endian ``n`` in hex (a length prefix or a count of the ballot bytes)."""
    return _SMALL[n] if n < len(_SMALL) else n.to_bytes(8, "big").hex()


_HEAD = _len_hex(len(BALLOT_TAG)) + BALLOT_TAG.hex()
_L32 = _len_hex(32)
_L8 = _len_hex(8)
_L1 = _len_hex(1)
_BALLOT_KEYS = frozenset({"election", "credential", "answers", "signature"})
_ANSWER_KEYS = frozenset({"choices", "proofs", "sum_proof"})
_PROOF_KEYS = frozenset({"A", "B", "c", "z"})


def _h(value: object, pieces: list[str]) -> None:
    if type(value) is not str or len(value) != 64:
        raise ValueError
    pieces.append(_L32)
    pieces.append(value)


def _proof(raw: Any, branches: int, pieces: list[str]) -> None:
    if type(raw) is not dict or raw.keys() != _PROOF_KEYS:
        raise ValueError
    columns = raw["A"], raw["B"], raw["c"], raw["z"]
    for column in columns:
        if type(column) is not list or len(column) != branches:
            raise ValueError
    pieces.append(_L8)
    pieces.append(_len_hex(branches))
    for a, b, c, z in zip(*columns, strict=True):
        _h(a, pieces)
        _h(b, pieces)
        _h(c, pieces)
        _h(z, pieces)


def signed_bytes(
    value: object, branch_counts: list[tuple[int, int | None]]
) -> tuple[bytes, bytes, bytes, bytes] | None:
    """``(ballot bytes, signature, election, credential)``, or ``None`` when the JSON is not a well-formed ballot
    of this layout (``branch_counts`` as for ``ballot_from_json``)."""
    try:
        if type(value) is not dict or value.keys() != _BALLOT_KEYS:
            return None
        answers, signature = value["answers"], value["signature"]
        if type(answers) is not list or len(answers) != len(branch_counts):
            return None
        if type(signature) is not str or len(signature) != 128:
            return None
        pieces = [_HEAD]
        _h(value["election"], pieces)
        _h(value["credential"], pieces)
        pieces += [_L8, _len_hex(len(answers))]
        for raw, (width, sum_branches) in zip(answers, branch_counts, strict=True):
            if type(raw) is not dict or raw.keys() != _ANSWER_KEYS:
                return None
            choices, proofs, sum_raw = raw["choices"], raw["proofs"], raw["sum_proof"]
            if type(choices) is not list or len(choices) != width:
                return None
            if type(proofs) is not list or len(proofs) != width:
                return None
            pieces += [_L8, _len_hex(width)]
            for pair in choices:
                if type(pair) is not list or len(pair) != 2:
                    return None
                _h(pair[0], pieces)
                _h(pair[1], pieces)
            for proof in proofs:
                _proof(proof, 2, pieces)
            if sum_branches is None:
                if sum_raw is not None:
                    return None
                pieces += [_L1, "00"]
            else:
                _proof(sum_raw, sum_branches, pieces)
                pieces += [_L1, "01"]
        text = "".join(pieces)
        content = bytes.fromhex(text)
        sig = bytes.fromhex(signature)
        if content.hex() != text or sig.hex() != signature:  # lowercase only, no spaces: canonical hex
            return None
    except (ValueError, TypeError):
        return None
    start = len(BALLOT_TAG) + 16
    return content, sig, content[start : start + 32], content[start + 40 : start + 72]


def tracking_code(content: bytes, signature: bytes) -> str:
    """As ``Ballot.tracking_code``: hex SHA-256 of the framed ballot bytes and signature."""
    return hashlib.sha256(frame(TRACKING_TAG, content, signature)).hexdigest()
