"""Checks 11–17: unique ballots, challenged ballots, last-ballot rule, aggregation, decryption and result."""

from __future__ import annotations

from typing import Any

import numpy as np

from plebiscite import native
from plebiscite.ballot.challenge import check_opening, describe
from plebiscite.ballot.check import branch_counts, verify_proofs, verify_signature
from plebiscite.ballot.model import BallotError, ballot_from_json
from plebiscite.decrypt.combine import combine, counts
from plebiscite.decrypt.partial import check_partial
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import shares as native_shares
from plebiscite.record import events as ev
from plebiscite.record.signing import SignatureError
from plebiscite.record.signing import verify as verify_post
from plebiscite.setup.election import ElectionContext
from plebiscite.tally.aggregate import parse_aggregate
from plebiscite.verify.ballots import PositionSums
from plebiscite.verify.outcomes import Outcomes
from plebiscite.verify.report import Check


def check_close_count(check: Check, events: list[ev.Event], ballots: int) -> None:
    """``close.ballots`` must be the number of ballots cast (the board posts one event per distinct ballot)."""
    for e in events:
        if e.type == ev.CLOSE and e.payload.get("ballots") != ballots:
            claimed = e.payload.get("ballots")
            check.fail(f"event {e.index}: close.ballots is {claimed!r}, the record holds {ballots} ballots")


def check_unique(check: Check, outcomes: Outcomes) -> None:
    """No tracking code twice among the decodable ballots (two identical ballots are one ballot cast twice)."""
    idx = outcomes.index_array()
    decodable = ~np.isin(idx, np.fromiter(outcomes.undecoded, dtype=np.int64, count=len(outcomes.undecoded)))
    codes, where = outcomes.code_array()[decodable], idx[decodable]
    check.item(len(codes))
    if not len(codes):
        return
    _, first, counts = np.unique(codes, return_index=True, return_counts=True)
    reports = []
    for f in first[counts > 1]:
        rows = np.nonzero(codes == codes[f])[0]
        for r in rows[1:]:
            reports.append((int(where[r]), int(where[rows[0]]), bytes(codes[r]).hex()))
    for index, earlier, code in sorted(reports):
        check.fail(f"event {index}: ballot {code[:16]} already cast at event {earlier}")


def check_challenges(
    check: Check, events: list[ev.Event], ctx: ElectionContext, outcomes: Outcomes
) -> tuple[set[str], list[dict[str, Any]]]:
    """Every opening must open its ballot; a challenged ballot is never cast. Returns codes and what each held."""
    codes: dict[str, int] = {}
    opened = []
    counts_ = branch_counts(ctx.layouts)
    for e in events:
        if e.type != ev.CHALLENGE:
            continue
        check.item()
        try:
            ballot = ballot_from_json(e.payload.get("ballot"), counts_)
            code = ballot.tracking_code()
            codes.setdefault(code, e.index)
            verify_signature(ballot)
            verify_proofs(ballot, ctx.public_key, ctx.layouts)
            plain = check_opening(ballot, e.payload.get("opening"), ctx.public_key)
        except BallotError as exc:
            check.fail(f"event {e.index}: {exc}")
            continue
        if ballot.election != ctx.fingerprint:
            check.fail(f"event {e.index}: challenged ballot made for another election")
        opened.append({"tracking_code": code, "choices": describe(ctx, plain)})
    cast = outcomes.rows_with_codes(set(codes))
    for row in np.nonzero(cast)[0]:
        code = outcomes.code(int(row))
        check.fail(f"event {codes[code]}: challenged ballot {code[:16]} was also cast")
    return set(codes), opened


def expected_counted(outcomes: Outcomes, challenged: set[str]) -> np.ndarray:
    """Rows of the valid, unchallenged ballots that are the last of their credential, in record order."""
    rows = np.nonzero(outcomes.passed() & ~outcomes.rows_with_codes(challenged))[0]
    if not len(rows):
        return rows
    _, first_from_end = np.unique(outcomes.credential_array()[rows][::-1], return_index=True)
    return np.sort(rows[len(rows) - 1 - first_from_end])


def check_last_ballot(check: Check, tally: dict[str, Any], outcomes: Outcomes, counted: np.ndarray) -> None:
    listed = tally.get("counted")
    check.item(len(counted))
    if not isinstance(listed, list) or not all(isinstance(code, str) for code in listed):
        check.fail("tally.counted: expected a list of tracking codes")
        return
    if len(listed) == len(counted) and all(
        code == outcomes.code(int(row)) for code, row in zip(listed, counted, strict=True)
    ):
        return
    expected = [outcomes.code(int(row)) for row in counted]
    missing = set(expected) - set(listed)
    extra = set(listed) - set(expected)
    detail = []
    if missing:
        detail.append(
            f"{len(missing)} ballot(s) that should count are missing, e.g. {sorted(missing)[0][:16]}"
        )
    if extra:
        detail.append(f"{len(extra)} ballot(s) counted that should not, e.g. {sorted(extra)[0][:16]}")
    if not detail:
        detail.append("order differs from the record")
    check.fail("tally.counted: " + "; ".join(detail))


def confirm_batches(
    sums: PositionSums, left_out: list[list[Ciphertext]], tally: dict[str, Any] | None
) -> list[list[Ciphertext]] | None:
    """Whether the batched first pass (``verify/ballots.py``) proved every ``b`` equation; then the totals.

    Without a tally the closed batches must all be the identity. With one, each position's folded sums cover every
    ballot that passed the other checks; taking away those that do not count (``left_out``, their sum) must give
    the published aggregate, which then is the sum of the counted ballots (what :func:`check_aggregation` checks).
    ``None`` when this does not hold, or the aggregate cannot be read: some equation is false or the aggregate is
    wrong, and the caller runs the strict pass that names which.
    """
    if tally is None:
        return [] if all(b == G.IDENTITY for row in sums for _, b in row) else None
    widths = [len(row) for row in sums]
    try:
        published = parse_aggregate(tally.get("aggregate"), widths)
    except (ValueError, G.GroupError):
        return None
    for q, row in enumerate(sums):
        for i, (a, b) in enumerate(row):
            removed = left_out[q][i]
            if G.sub(a, removed.a) != published[q][i].a or G.sub(b, removed.b) != published[q][i].b:
                return None
    return published


def minus(sums: PositionSums, left_out: list[list[Ciphertext]]) -> list[list[Ciphertext]]:
    """Strict pass: the sums over every passing ballot minus those that do not count = the counted ballots' sum."""
    return [
        [Ciphertext(G.sub(a, out.a), G.sub(b, out.b)) for (a, b), out in zip(row, out_row, strict=True)]
        for row, out_row in zip(sums, left_out, strict=True)
    ]


def check_aggregation(
    check: Check,
    tally: dict[str, Any],
    counted: int,
    ctx: ElectionContext,
    confirmed: list[list[Ciphertext]] | None,
    expected: list[list[Ciphertext]] | None,
) -> list[list[Ciphertext]] | None:
    """The published aggregate must be the sum of the ``counted`` ballots.

    ``confirmed``: the published totals, already read and proved equal to that sum by :func:`confirm_batches`;
    otherwise ``expected`` is that sum, from the strict pass (:func:`minus`).
    """
    if confirmed is not None:
        check.item(counted)
        return confirmed
    widths = [lay.width for lay in ctx.layouts]
    try:
        published = parse_aggregate(tally.get("aggregate"), widths)
    except (ValueError, G.GroupError) as exc:
        check.fail(str(exc))
        return None
    check.item(counted)
    assert expected is not None
    for q, row in enumerate(published):
        for i, ct in enumerate(row):
            if ct != expected[q][i]:
                check.fail(f"tally.aggregate[{q}][{i}]: not the sum of the counted ballots")
    return published


def check_partials(
    check: Check,
    events: list[ev.Event],
    ctx: ElectionContext,
    totals: list[list[Ciphertext]],
    signing_keys: dict[int, str],
    engine: str | None = None,
) -> dict[int, list[list[bytes]]]:
    """Check 16: each qualified trustee's one signed partial decryption, every share's Chaum–Pedersen proof.

    ``engine`` (``None``: the default engine): with ``native``, the proofs are checked by the extension first
    (:func:`_check_shares`); the report is the reference's either way.
    """
    engine = native.resolve(engine)
    valid: dict[int, list[list[bytes]]] = {}
    for e in events:
        if e.type != ev.PARTIAL_DECRYPTION:
            continue
        check.item()
        trustee = e.payload.get("trustee")
        if set(e.payload) != {"trustee", "shares", "proofs", "signature"}:
            check.fail(f"event {e.index}: fields must be exactly trustee, shares, proofs, signature")
            continue
        if type(trustee) is not int or trustee not in ctx.qualified:
            check.fail(f"event {e.index}: trustee {trustee!r} is not a qualified trustee's index")
            continue
        if trustee in valid:
            check.fail(f"event {e.index}: trustee {trustee} decrypted twice")
            continue
        try:
            verify_post("partial-decryption", e.payload, signing_keys[trustee])
            valid[trustee] = _check_shares(
                e.payload, totals, ctx.verification_keys[trustee], ctx.fingerprint, engine
            )
        except (SignatureError, ValueError) as exc:
            check.fail(f"event {e.index}: trustee {trustee}: {exc}")
    return valid


def _check_shares(
    payload: dict[str, Any], totals: list[list[Ciphertext]], key: bytes, fingerprint: bytes, engine: str
) -> list[list[bytes]]:
    """``check_partial`` on ``engine``: the native engine only accepts; what it does not accept goes to the
    reference, whose ValueError names the position and reason (docs/native.md §1). Should the reference accept
    what native refused, the engines disagree: a verifier bug, reported as this partial decryption's failure."""
    if engine == native.NATIVE:
        shares = native_shares.accepted_shares(payload, totals, key, fingerprint)
        if shares is not None:
            return shares
        check_partial(payload, totals, key, fingerprint)
        raise ValueError(native.disagreement_on("this partial decryption"))
    return check_partial(payload, totals, key, fingerprint)


def check_result(
    combination: Check,
    result_check: Check,
    result: dict[str, Any],
    ctx: ElectionContext,
    totals: list[list[Ciphertext]],
    partials: dict[int, list[list[bytes]]],
    ballots: int,
) -> None:
    combination.item()
    used = result.get("trustees")
    if (
        not isinstance(used, list)
        or not all(type(j) is int for j in used)
        or sorted(set(used)) != used
        or not set(used) <= set(partials)
    ):
        combination.fail("result.trustees: must list trustees whose partial decryptions verified")
        return
    if len(used) < ctx.threshold:
        combination.fail(f"result.trustees: {len(used)} trustees, threshold {ctx.threshold}")
        return
    decrypted = combine(totals, {j: partials[j] for j in used})
    if result.get("decrypted") != [[m.hex() for m in row] for row in decrypted]:
        combination.fail("result.decrypted: not what the partial decryptions combine to")
        return
    result_check.item()
    if result.get("ballots") != ballots:
        result_check.fail(f"result.ballots: {result.get('ballots')!r}, but {ballots} ballots were counted")
        return
    plain: list[list[int]] = []
    for q in range(len(totals)):
        plain.append([])
        published = result.get("questions")
        for i, m in enumerate(decrypted[q]):
            claimed = _claimed(published, ctx, q, i)
            result_check.item()
            if claimed is None or claimed < 0 or claimed > ballots or G.small_multiple_base(claimed) != m:
                result_check.fail(
                    f"result.questions[{q}]: count at position {i} does not match the decryption"
                )
                claimed = -1
            plain[-1].append(claimed)
    if result_check.ok and result.get("questions") != counts(ctx.manifest, ctx.layouts, plain, ballots):
        result_check.fail("result.questions: counts are not those the decryption gives")


def _claimed(published: Any, ctx: ElectionContext, q: int, i: int) -> int | None:
    try:
        entry = published[q]
        lay = ctx.layouts[q]
        if i < len(lay.encoded):
            value = entry["counts"][lay.encoded[i]]
        else:
            value = entry["blank"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
