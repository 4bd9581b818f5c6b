"""The tally after ``close`` in coercion-resistant mode, as the trustees present run it: every step posts an event.

Order (docs/coercion.md, "Tally"): duplicate-elimination passes → keep the last ballot per tag → MAC fold
(exponent shares, then row blinding) → shuffle the ballot rows ``(C1*, votes…)`` through every tally trustee →
matching passes over the mixed ballots → hash-table match against the roll tags → homomorphic sum of the counted
rows. The tag keys, the roll's shuffles and the roll tags were posted while voting ran (``precompute.py``), by the
same tally set. Decryption of the sum is the standard one (``decrypt/``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from plebiscite import native
from plebiscite.coercion import events as cev
from plebiscite.coercion import steps, tags
from plebiscite.coercion.ballot import TallyView
from plebiscite.coercion.codec import Row
from plebiscite.coercion.parallel import Workers, without_cycle_collector
from plebiscite.coercion.precompute import Precomputed
from plebiscite.coercion.steps import tag_passes
from plebiscite.coercion.trustees import Post, TallyTrustee, shuffle_context, tally_set
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr_prover
from plebiscite.setup.election import ElectionContext

__all__ = [
    "Post",
    "TallyTrustee",
    "aggregate_rows",
    "ballot_rows",
    "run_tally",
    "shuffle_context",
]


def ballot_rows(credentials: Sequence[Ciphertext], ballots: Sequence[TallyView]) -> list[Row]:
    return [(c, *b.votes) for c, b in zip(credentials, ballots, strict=True)]


def _column_sums(rows: list[Row]) -> list[tuple[bytes, bytes]]:
    width = len(rows[0]) - 1 if rows else 0
    acc = [(G.IDENTITY, G.IDENTITY)] * width
    for r in rows:
        acc = [(G.add(a, ct.a), G.add(b, ct.b)) for (a, b), ct in zip(acc, r[1:], strict=True)]
    return acc


def _column_sums_native(rows: list[Row]) -> list[tuple[bytes, bytes]]:
    """:func:`_column_sums` in one native call (public elements); an element the native decoder refuses leaves the
    chunk to the reference, whose error is the answer."""
    width = len(rows[0]) - 1 if rows else 0
    try:
        sums = cr_prover.column_sums(cr_prover.rows_bytes([ct for r in rows for ct in r[1:]]), 2 * width)
    except native.EngineError:
        return _column_sums(rows)
    return [(sums[2 * k], sums[2 * k + 1]) for k in range(width)]


def aggregate_rows(
    pool: Workers, rows: Sequence[Row], counted: Sequence[int], widths: list[int]
) -> list[list[Ciphertext]]:
    """Sum of the vote columns of the counted rows, regrouped per question (additions spread over the workers;
    natively with the native engine)."""
    total = sum(widths)
    picked = [rows[i] for i in counted]
    acc = [(G.IDENTITY, G.IDENTITY)] * total
    kernel = _column_sums_native if cr_prover.enabled(pool.engine) else _column_sums
    for part in pool.map(kernel, [(picked[lo:hi],) for lo, hi in pool.ranges(len(picked), 1024)]):
        acc = [(G.add(a, x), G.add(b, y)) for (a, b), (x, y) in zip(acc, part, strict=True)]
    out, pos = [], 0
    for w in widths:
        out.append([Ciphertext(a, b) for a, b in acc[pos : pos + w]])
        pos += w
    return out


@without_cycle_collector
def run_tally(
    post: Post,
    ctx: ElectionContext,
    pre: Precomputed,
    ballots: Sequence[TallyView],
    present: Sequence[TallyTrustee],
    pool: Workers,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Run every tally step after close, posting each event; returns the ``tally`` payload."""
    fp, key = ctx.fingerprint, ctx.public_key
    order, lam = tally_set(ctx, present)
    indices = [t.index for t in order]
    if indices != pre.trustees or any(set(t.tag_keys) != {"dedup", "match"} for t in order):
        raise ValueError(f"tally: the tally set must be the precomputation's, trustees {pre.trustees}")
    if len(ballots) < 2:
        raise ValueError("tally: a coercion-resistant tally needs at least two ballots")
    post(cev.TALLY_START, {"trustees": indices, "ballots": len(ballots)})

    # (a) duplicate elimination: tags of every ballot's credential, last ballot per tag
    out = tag_passes(pool, order, cev.DEDUP_PASS, [b.credential for b in ballots], fp, post)
    kept = tags.last_per_tag(out.b)
    post(cev.DEDUP, {"kept": kept})
    say(f"duplicate elimination: {len(ballots)} ballots, {len(kept)} distinct credentials")

    # fold the MAC check into the credential ciphertext
    creds = [ballots[i].credential for i in kept]
    exps = []
    for t in order:  # each trustee's own pass: it can be made on the trustee's machine, in turn
        out, payload = steps.fold_exp(pool, t, lam[t.index], creds, fp)
        post(cev.FOLD_EXP, payload)
        exps.append(out.ciphertexts())
    current = tags.fold_sum(pool, exps, [ballots[i].mac for i in kept])
    for t in order:
        current, payload = steps.fold_blind(pool, t, current, fp)
        post(cev.FOLD_BLIND, payload)
    rows = ballot_rows(tags.fold_apply(pool, creds, current), [ballots[i] for i in kept])
    say("credential check folded into the ciphertexts")

    # (b) mix the ballot rows through every tally trustee
    for t in order:
        rows, payload = steps.shuffle(pool, t, cev.SHUFFLE, rows, key, fp)
        post(cev.SHUFFLE, payload)
    say(f"ballots mixed by trustees {indices}")

    # (c) blinded tags of the mixed ballots, matched in a hash table against the precomputed roll tags
    out = tag_passes(pool, order, cev.MATCH_PASS, [r[0] for r in rows], fp, post)
    counted = tags.match(out.b, pre.roll_tags)
    say(f"matching: {len(counted)} of {len(rows)} mixed ballots carry a credential on the roll")

    # (d) homomorphic sum of the counted votes
    widths = [lay.width for lay in ctx.layouts]
    totals = aggregate_rows(pool, rows, counted, widths)
    return {"counted": counted, "aggregate": [[ct.to_json() for ct in row] for row in totals]}
