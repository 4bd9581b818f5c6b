"""Event types and their canonical bytes.

An event is ``{"type": T, "payload": {...}}``. Its canonical bytes are UTF-8 JSON with sorted keys and no
insignificant whitespace; those exact bytes are one line of ``events.jsonl`` and one leaf of the board's Merkle tree.
Payload values are only strings, integers, booleans, null, lists and objects, so every JSON library can reproduce
the bytes. Hashes *inside* the protocol never hash JSON: they hash length-prefixed binary encodings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

FORMAT = "plebiscite-record"
VERSION = 1

# Event types in the order an election produces them; the reader enforces the phase order.
MANIFEST = "manifest"
TRUSTEE = "trustee"
SHARES = "shares"
COMPLAINT = "complaint"
SHARE_REVEAL = "share-reveal"
ROLL = "roll"
ELECTION = "election"
BALLOT = "ballot"
CHALLENGE = "challenge"
CLOSE = "close"
TALLY = "tally"
PARTIAL_DECRYPTION = "partial-decryption"
RESULT = "result"

EVENT_TYPES = (
    MANIFEST,
    TRUSTEE,
    SHARES,
    COMPLAINT,
    SHARE_REVEAL,
    ROLL,
    ELECTION,
    BALLOT,
    CHALLENGE,
    CLOSE,
    TALLY,
    PARTIAL_DECRYPTION,
    RESULT,
)
# Types added by optional modes register themselves here (e.g. the coercion-resistant tally).
EXTRA_EVENT_TYPES: set[str] = set()

STANDARD_MODE = "standard"
MODE_EVENT_TYPES: dict[str, frozenset[str]] = {STANDARD_MODE: frozenset(EVENT_TYPES)}
"""Which event types a record of each election mode (the manifest's ``mode``) may hold, and no others.

A record is strict about its mode: a standard election's record with a coercion-resistant tally step in it, or a
coercion-resistant record with a standard ballot, is refused on writing and fails the verifier's check 1, so that
no event can sit in a record whose verification would ignore it.
"""


def register_mode(mode: str, added: set[str] | dict[str, int], removed: set[str]) -> None:
    """An optional mode's types: the standard ones minus ``removed`` plus ``added`` (also made known to
    :func:`make_event`)."""
    EXTRA_EVENT_TYPES.update(added)
    MODE_EVENT_TYPES[mode] = (frozenset(EVENT_TYPES) - removed) | frozenset(added)


def declared_mode(events: list[Event]) -> str:
    """The mode the record's first event (its manifest) declares; ``standard`` when it says none.

    Only for choosing which types to admit: the manifest itself is validated by its own check.
    """
    if not events or events[0].type != MANIFEST:
        return STANDARD_MODE
    manifest = events[0].payload.get("manifest")
    mode = manifest.get("mode", STANDARD_MODE) if isinstance(manifest, dict) else STANDARD_MODE
    return mode if isinstance(mode, str) else repr(mode)


class CanonicalJsonError(ValueError):
    """A value has no canonical JSON form (a lone UTF-16 surrogate in a string, NaN, a non-JSON type)."""


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the one byte string for a JSON value.

    JSON text may escape lone surrogates (``"\\ud800"``), which decode to Python strings that have no UTF-8 form;
    such values are refused with :class:`CanonicalJsonError` (a ``ValueError``) rather than crashing the caller.
    """
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except UnicodeEncodeError:
        raise CanonicalJsonError("a string is not valid Unicode (lone surrogate escape)") from None
    except RecursionError:
        raise CanonicalJsonError("nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise CanonicalJsonError(f"no canonical JSON form ({exc})") from None


@dataclass(frozen=True, slots=True)
class Event:
    """One record event; ``raw`` is its canonical line (the Merkle leaf)."""

    index: int
    type: str
    payload: dict[str, Any]
    raw: bytes

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def make_event(index: int, kind: str, payload: dict[str, Any]) -> Event:
    """Build an event and its canonical bytes."""
    if kind not in EVENT_TYPES and kind not in EXTRA_EVENT_TYPES:
        raise ValueError(f"unknown event type {kind!r}")
    raw = canonical_json({"type": kind, "payload": payload})
    return Event(index, kind, payload, raw)
