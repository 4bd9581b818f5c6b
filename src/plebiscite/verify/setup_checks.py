"""Checks 1–7: the record's shape, the parameters, the manifest, the key ceremony, the roll and the fingerprint.

Each function takes the report's check and records items and failures; it returns what later checks need, or
None when they cannot run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any

from pydantic import ValidationError

from plebiscite.canonical import EncodingError, hex_bytes
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.record import events as ev
from plebiscite.setup.credentials import roll_hash
from plebiscite.setup.election import fingerprint
from plebiscite.setup.manifest import Manifest
from plebiscite.verify.report import Check

_CAPITAL_HEX = re.compile("[A-F]")

RANK = {
    ev.MANIFEST: 0,
    ev.TRUSTEE: 1,
    ev.SHARES: 1,
    ev.COMPLAINT: 1,
    ev.SHARE_REVEAL: 1,
    ev.ROLL: 2,
    ev.ELECTION: 3,
    ev.BALLOT: 4,
    ev.CHALLENGE: 4,
    ev.CLOSE: 5,
    ev.TALLY: 6,
    ev.PARTIAL_DECRYPTION: 7,
    ev.RESULT: 8,
}
SINGLE = (ev.MANIFEST, ev.ROLL, ev.ELECTION, ev.CLOSE, ev.TALLY, ev.RESULT)


def check_format(
    check: Check,
    types: Sequence[str],
    rank: dict[str, int],
    not_normal: Iterable[int] = (),
    mode: str = ev.STANDARD_MODE,
) -> None:
    """Only the mode's event types, phases in order, single events once, ballots in normal form.

    ``types`` is every event's type by index; ``rank`` holds exactly the types of the record's mode (the
    manifest's ``mode``) and their phases; ``not_normal`` the ballot events whose line is not in the board's normal
    form (``verify/scan.py``): one ballot spelt two ways would be two records a second implementation disagrees on.
    """
    last = -1
    index = 0
    for kind, run in groupby(types):  # a million ballots in a row are one run: checked once, failed each
        n = len(list(run))
        check.item(n)
        r = rank.get(kind)
        if r is None:
            for i in range(index, index + n):
                check.fail(f"event {i}: type {kind!r} does not belong in a {mode} election")
        elif r < last:
            for i in range(index, index + n):
                check.fail(f"event {i}: {kind} after a later phase")
        else:
            last = r
        index += n
    for index in not_normal:
        check.fail(f"event {index}: ballot not in normal form (its hex must be lowercase, without spaces)")
    counts = Counter(types)
    for kind in SINGLE:
        if counts[kind] > 1:
            check.fail(f"{counts[kind]} {kind} events (at most one)")
    if not types or types[0] != ev.MANIFEST:
        check.fail("the record must start with the manifest")


def check_manifest(check: Check, events: list[ev.Event]) -> tuple[Manifest, dict[str, Any]] | None:
    m = [e for e in events if e.type == ev.MANIFEST]
    if not m:
        return None
    check.item()
    try:
        return Manifest.model_validate(m[0].payload.get("manifest")), m[0].payload
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        check.fail(f"manifest.{where}: {first['msg']}")
        return None


def check_parameters(check: Check, manifest_event: dict[str, Any], election: dict[str, Any] | None) -> bool:
    check.item()
    n, k = manifest_event.get("trustees"), manifest_event.get("threshold")
    if not (isinstance(n, int) and isinstance(k, int) and 1 <= k <= n <= 1000):
        check.fail("manifest event: need integers 1 <= threshold <= trustees <= 1000")
        return False
    try:
        ceremony.named_keys(manifest_event)
    except ValueError as exc:
        check.fail(str(exc))
        return False
    if election is None:
        return True
    check.item()
    if election.get("group") != G.NAME:
        check.fail(f"election.group: {election.get('group')!r} is not {G.NAME!r}")
        return False
    if election.get("trustees") != n or election.get("threshold") != k:
        check.fail("election: trustees/threshold differ from the manifest event")
        return False
    return True


def check_ceremony(
    check: Check,
    key_check: Check,
    events: list[ev.Event],
    manifest_payload: dict[str, Any],
    election: dict[str, Any] | None,
) -> ceremony.Outcome | None:
    """Schnorr proofs of every commitment, signed shares and complaints; then the election key from them."""
    n, k = manifest_payload["trustees"], manifest_payload["threshold"]
    fp = ceremony.ceremony_fingerprint(ev.canonical_json(manifest_payload), n, k)
    by_type = {
        t: [e.payload for e in events if e.type == t]
        for t in (ev.TRUSTEE, ev.SHARES, ev.COMPLAINT, ev.SHARE_REVEAL)
    }
    named = ceremony.named_keys(manifest_payload)  # checked by check_parameters
    outcome = ceremony.outcome(
        named, k, fp, by_type[ev.TRUSTEE], by_type[ev.SHARES], by_type[ev.COMPLAINT], by_type[ev.SHARE_REVEAL]
    )
    check.item(len(by_type[ev.TRUSTEE]) * k + len(by_type[ev.SHARES]))
    for problem in outcome.problems:
        check.fail(problem)
    if election is None:
        return outcome
    key_check.item()
    if len(outcome.qualified) < k:
        key_check.fail(f"{len(outcome.qualified)} trustees qualified, threshold {k}")
        return None
    for problem in outcome.key_problems:
        key_check.fail(problem)
    if election.get("qualified") != outcome.qualified:
        key_check.fail(
            f"election.qualified: {election.get('qualified')} but the ceremony gives {outcome.qualified}"
        )
    if election.get("public_key") != outcome.public_key.hex():
        key_check.fail("election.public_key: not the sum of the qualified trustees' commitments")
    published = election.get("verification_keys")
    key_check.item(n)
    expected = {str(j): v.hex() for j, v in outcome.verification_keys.items()}
    if published != expected:
        key_check.fail("election.verification_keys: do not match the trustees' commitments")
    return outcome


def check_roll(check: Check, events: list[ev.Event], election: dict[str, Any] | None) -> list[bytes] | None:
    found = check_roll_hashed(check, events, election)
    return None if found is None else found[0]


class RollMemo:
    """:func:`check_roll_hashed`'s last answer, replayed when asked again about the very same roll and election
    events (the same objects): the verifier's speculative setup checks and its final ones read one roll, and a
    national roll costs seconds to decode and hash (``verify/speculate.py``)."""

    def __init__(self) -> None:
        self.entry: tuple[Any, Any, int, list[str], tuple[list[bytes], bytes] | None] | None = None


def check_roll_hashed(
    check: Check, events: list[ev.Event], election: dict[str, Any] | None, memo: RollMemo | None = None
) -> tuple[list[bytes], bytes] | None:
    """:func:`check_roll`, and the roll's hash it computed (a million voters' hash is worth computing once)."""
    rolls = [e.payload for e in events if e.type == ev.ROLL]
    if not rolls:
        return None
    entry = None if memo is None else memo.entry
    if entry is not None and entry[0] is rolls[0] and entry[1] is election:
        if entry[2]:
            check.item(entry[2])
        for failure in entry[3]:
            check.fail(failure)
        return entry[4]
    items, failed = check.items, len(check.failures)
    found = _roll_keys(check, rolls[0], election)
    if memo is not None:
        memo.entry = (rolls[0], election, check.items - items, check.failures[failed:], found)
    return found


def _roll_keys(
    check: Check, roll: dict[str, Any], election: dict[str, Any] | None
) -> tuple[list[bytes], bytes] | None:
    rolls = [roll]
    raw = rolls[0].get("credentials")
    if not isinstance(raw, list):
        check.fail("roll.credentials: expected a list")
        return None
    keys = _canonical_keys(raw)
    if keys is not None:
        check.item(len(raw))
    else:
        keys = []
        for i, value in enumerate(raw):
            check.item()
            try:
                keys.append(hex_bytes(value, 32, f"roll.credentials[{i}]"))
            except EncodingError as exc:
                check.fail(f"{exc} (a 32-byte public key)")
    if len(set(keys)) != len(keys):
        check.fail("roll.credentials: a credential appears twice")
    if all(isinstance(v, str) for v in raw) and raw != sorted(raw):
        check.fail("roll.credentials: not sorted")
    digest = roll_hash(keys)
    if election is not None and election.get("roll_hash") != digest.hex():
        check.fail("election.roll_hash: does not match the published roll")
    return keys, digest


def _canonical_keys(raw: list[Any]) -> list[bytes] | None:
    """Every key of the roll at once, if every one is a 32-byte key in canonical hex (one ``fromhex`` for a million
    voters, instead of one call each); ``None`` otherwise, and the caller's loop names the entries that are not."""
    try:
        joined = "".join(raw)
    except TypeError:  # an entry is not a string
        return None
    if set(map(len, raw)) != {64}:
        return None
    try:
        blob = bytes.fromhex(joined)
    except ValueError:
        return None
    # The one spelling: whitespace (which ``fromhex`` skips) leaves fewer bytes than 32 a key, and capitals are
    # searched for, without a second 64 MB hex string to compare with at a million voters.
    if len(blob) != 32 * len(raw) or _CAPITAL_HEX.search(joined):
        return None
    del joined
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def check_fingerprint(
    check: Check,
    manifest_payload: dict[str, Any],
    outcome: ceremony.Outcome,
    roll: list[bytes],
    election: dict[str, Any],
    roll_digest: bytes | None = None,
) -> bytes | None:
    """Check 7; ``roll_digest``: ``roll_hash(roll)`` when the caller has it already."""
    check.item()
    commitments = {i: outcome.announcements[i].commitments for i in outcome.qualified}
    digest = roll_hash(roll) if roll_digest is None else roll_digest
    fp = fingerprint(manifest_payload, commitments, outcome.public_key, digest)
    if election.get("fingerprint") != fp.hex():
        check.fail("election.fingerprint: does not match the manifest, trustees, key and roll")
    return fp
