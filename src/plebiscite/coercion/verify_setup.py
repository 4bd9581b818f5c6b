"""Verifier checks for this mode's setup and voting: the MAC-key dealing, the encrypted roll and every ballot.

Imports only pure protocol modules and the record's event types: no server, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.model import BallotError
from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import (
    CrBallot,
    TallyView,
    decode_ballot,
    verify_credential_proof,
    verify_vote_proofs,
)
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.credentials import MacKey, decode_mac_key, decode_roll
from plebiscite.coercion.parallel import Workers
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.native import cr as native_cr
from plebiscite.record import events as ev
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Layout
from plebiscite.verify.report import Check


def check_mac_key(
    check: Check, events: list[ev.Event], ctx: ElectionContext, engine: str = "reference"
) -> MacKey | None:
    found = [e for e in events if e.type == cev.MAC_KEY]
    check.item()
    if len(found) != 1:
        check.fail(f"{len(found)} {cev.MAC_KEY} events (exactly one)")
        return None
    manifest_payload = next(e.payload for e in events if e.type == ev.MANIFEST)
    fp = ceremony.ceremony_fingerprint(ev.canonical_json(manifest_payload), ctx.trustees, ctx.threshold)
    try:
        key = decode_mac_key(found[0].payload, ctx.threshold, ctx.qualified, fp, engine)
    except CoercionError as exc:
        check.fail(f"event {found[0].index}: {exc}")
        return None
    check.item(ctx.threshold)
    return key


def check_roll(
    check: Check, events: list[ev.Event], ctx: ElectionContext, key: MacKey
) -> list[Ciphertext] | None:
    """The encrypted roll decodes, its entry digests are exactly the standard roll (hence in the fingerprint)."""
    found = [e for e in events if e.type == cev.ROLL]
    standard = [e for e in events if e.type == ev.ROLL]
    if len(found) != 1 or len(standard) != 1:
        check.fail(f"{len(found)} {cev.ROLL} events and {len(standard)} roll events (exactly one of each)")
        return None
    try:
        voter_keys, cts, digests = decode_roll(found[0].payload, key)
    except CoercionError as exc:
        check.fail(f"event {found[0].index}: {exc}")
        return None
    check.item(len(cts))
    listed = standard[0].payload.get("credentials")
    if [d.hex() for d in digests] != listed:
        check.fail("cr-roll.entries: their digests are not, in order, the standard roll's credentials")
    if len(set(voter_keys)) != len(voter_keys):
        check.fail("cr-roll.entries: a voter key appears twice")
    if len(cts) < 2:
        check.fail("cr-roll.entries: at least two voters are needed to hide who voted")
    return cts


@dataclass(frozen=True)
class BallotResult:
    index: int
    ballot: TallyView | None  # what the tally needs, not the proofs: results are pickled back from workers
    code: str | None
    failed: str | None
    reason: str | None


def _check_chunk(
    fp: bytes, key: bytes, layouts: list[Layout], chunk: list[tuple[int, dict[str, Any]]], engine: str
) -> list[BallotResult]:
    counts = branch_counts(layouts)
    native = native_cr.enabled(engine)
    # on the native engine the curve check of every element is left to the native proofs, which decode each one;
    # a ballot they do not accept on both counts is decoded again below with the reference's checks
    decoded = [(index, _decoded(index, payload, counts, not native)) for index, payload in chunk]
    ballots = [b for _, b in decoded if isinstance(b, CrBallot) and b.election == fp]
    # what the credential proof and the tracking code both hash, computed once a ballot
    contents = {id(b): b.content_bytes() for b in ballots}
    # the native engine only accepts: a proof it does not accept is checked (and named) by the reference below
    accepted, votes_ok = (
        _native_accepts(fp, key, layouts, ballots, [contents[id(b)] for b in ballots])
        if native
        else (set(), set())
    )
    if native:
        decoded = [
            (
                index,
                ballot
                if id(ballot) in accepted and id(ballot) in votes_ok
                else _decoded(index, payload, counts),
            )
            for (index, ballot), (_, payload) in zip(decoded, chunk, strict=True)
        ]
    out = []
    for index, ballot in decoded:
        if isinstance(ballot, str):
            out.append(BallotResult(index, None, None, "format", ballot))
            continue
        code = ballot.tracking_code(contents.get(id(ballot)))
        failed = reason = None
        if ballot.election != fp:
            failed, reason = "format", "ballot.election: made for another election"
        else:
            try:
                if id(ballot) not in accepted:
                    verify_credential_proof(ballot, key)
            except BallotError as exc:
                failed, reason = "credential", str(exc)
            else:
                try:
                    if id(ballot) not in votes_ok:
                        verify_vote_proofs(ballot, key, layouts)
                except BallotError as exc:
                    failed, reason = "votes", str(exc)
        if reason:
            reason = f"event {index} (ballot {code[:16]}): {reason}"
        out.append(BallotResult(index, ballot.view(), code, failed, reason))
    return out


def _decoded(
    index: int, payload: dict[str, Any], counts: list[tuple[int, int | None]], validate: bool = True
) -> CrBallot | str:
    """The ballot, or the reason it cannot be decoded (``validate=False``: without the elements' curve check,
    for proofs that decode every element themselves)."""
    try:
        return decode_ballot(payload, counts, validate)
    except BallotError as exc:
        return f"event {index}: {exc}"


def _native_accepts(
    fp: bytes, key: bytes, layouts: list[Layout], ballots: list[CrBallot], contents: list[bytes]
) -> tuple[set[int], set[int]]:
    """``id`` of every ballot whose credential proof, and of every one whose vote proofs, the native engine
    accepts (the others go through the reference, which names the reason)."""
    try:
        credentials = native_cr.credential_proofs(fp, key, ballots, contents)
        votes = native_cr.vote_proofs(fp, key, ballots, layouts)
    except (native_cr.native.EngineError, G.GroupError):
        return set(), set()
    return (
        {id(b) for b, status in zip(ballots, credentials, strict=True) if status == 1},
        {id(b) for b, status in zip(ballots, votes, strict=True) if status == 1},
    )


def check_ballots(
    checks: dict[str, Check], events: list[ev.Event], ctx: ElectionContext, pool: Workers
) -> list[TallyView]:
    """Every ballot's proofs; returns the valid ballots in record order (what the tally must start from)."""
    items = [(e.index, e.payload) for e in events if e.type == cev.BALLOT]
    jobs = [
        (ctx.fingerprint, ctx.public_key, ctx.layouts, items[lo:hi], pool.engine)
        for lo, hi in pool.ranges(len(items), 32)
    ]
    results = [r for part in pool.map(_check_chunk, jobs) for r in part]
    names = {"format": "cr: ballot format", "credential": "cr: credential proofs", "votes": "cr: vote proofs"}
    for name in names.values():
        checks[name].item(len(results))
    closes = [e.payload for e in events if e.type == ev.CLOSE]
    if closes and closes[0].get("ballots") != len(items):
        checks["cr: ballot format"].fail(
            f"close.ballots: {closes[0].get('ballots')!r}, but the board holds {len(items)} ballots"
        )
    unique = checks["cr: unique ballots"]
    unique.item(len(results))
    seen: dict[bytes, int] = {}
    valid = []
    for r in results:
        if r.failed is not None:
            checks[names[r.failed]].fail(r.reason or "")
            continue
        assert r.ballot is not None
        cred = r.ballot.credential.a + r.ballot.credential.b
        if cred in seen:
            unique.fail(f"event {r.index}: credential ciphertext already cast at event {seen[cred]} (replay)")
            continue
        seen[cred] = r.index
        valid.append(r.ballot)
    return valid
