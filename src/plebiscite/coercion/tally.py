"""The tally in coercion-resistant mode, as the trustees present run it: every step posts an event with proofs.

Order (docs/coercion.md, "Tally"): tag keys → duplicate-elimination passes → keep the last ballot per tag → MAC
fold (exponent shares, then row blinding) → shuffle the ballot rows ``(C1*, votes…)`` and the roll through every
tally trustee → matching passes over both mixed lists → hash-table match → homomorphic sum of the counted rows.
Decryption of the sum is the standard one (``decrypt/``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from plebiscite.coercion import events as cev
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion import tags
from plebiscite.coercion.ballot import CrBallot
from plebiscite.coercion.codec import Row, row_json
from plebiscite.coercion.parallel import Workers
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.polynomial import lagrange_at_zero
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.proofs.transcript import int_bytes
from plebiscite.record.signing import sign
from plebiscite.setup.election import ElectionContext

Post = Callable[[str, dict[str, Any]], Any]


@dataclass
class TallyTrustee:
    """A trustee at the tally: its ceremony secrets and its share of the registrar's MAC key."""

    trustee: Trustee
    mac_share: int = field(repr=False)  # never printed

    @property
    def index(self) -> int:
        return self.trustee.index

    def signed(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return sign(kind, payload, self.trustee.signing_key)


def shuffle_context(name: str, trustee: int) -> bytes:
    return b"cr-shuffle/" + name.encode() + b"/" + int_bytes(trustee)


def ballot_rows(credentials: Sequence[Ciphertext], ballots: Sequence[CrBallot]) -> list[Row]:
    return [(c, *b.vote_ciphertexts()) for c, b in zip(credentials, ballots, strict=True)]


def _column_sums(rows: list[Row]) -> list[tuple[bytes, bytes]]:
    width = len(rows[0]) - 1 if rows else 0
    acc = [(G.IDENTITY, G.IDENTITY)] * width
    for r in rows:
        acc = [(G.add(a, ct.a), G.add(b, ct.b)) for (a, b), ct in zip(acc, r[1:], strict=True)]
    return acc


def aggregate_rows(
    pool: Workers, rows: Sequence[Row], counted: Sequence[int], widths: list[int]
) -> list[list[Ciphertext]]:
    """Sum of the vote columns of the counted rows, regrouped per question (additions spread over the workers)."""
    total = sum(widths)
    picked = [rows[i] for i in counted]
    acc = [(G.IDENTITY, G.IDENTITY)] * total
    for part in pool.map(_column_sums, [(picked[lo:hi],) for lo, hi in pool.ranges(len(picked), 4096)]):
        acc = [(G.add(a, x), G.add(b, y)) for (a, b), (x, y) in zip(acc, part, strict=True)]
    out, pos = [], 0
    for w in widths:
        out.append([Ciphertext(a, b) for a, b in acc[pos : pos + w]])
        pos += w
    return out


def run_tally(
    post: Post,
    ctx: ElectionContext,
    roll: Sequence[Ciphertext],
    ballots: Sequence[CrBallot],
    present: Sequence[TallyTrustee],
    pool: Workers,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Run every tally step, posting each event; returns the ``tally`` payload."""
    fp, key = ctx.fingerprint, ctx.public_key
    order = sorted(present, key=lambda t: t.index)
    indices = [t.index for t in order]
    if len(order) < ctx.threshold or len(set(indices)) != len(indices):
        raise ValueError(f"tally: needs {ctx.threshold} distinct qualified trustees")
    if len(ballots) < 2 or len(roll) < 2:
        raise ValueError("tally: a coercion-resistant tally needs at least two ballots and two roll entries")
    lam = {j: lagrange_at_zero(j, indices) for j in indices}
    post(cev.TALLY_START, {"trustees": indices, "ballots": len(ballots)})
    secret: dict[tuple[str, int], tuple[int, int]] = {}
    for t in order:
        assert t.trustee.share is not None
        payload: dict[str, Any] = {"trustee": t.index}
        for stage in ("dedup", "match"):
            z, u, pub = tags.make_tag_key(stage, t.index, t.trustee.share, lam[t.index], fp)
            secret[(stage, t.index)] = (z, u)
            payload[stage] = pub.to_json()
        post(cev.TALLY_KEYS, t.signed(cev.TALLY_KEYS, payload))

    # (a) duplicate elimination: tags of every ballot's credential, last ballot per tag
    current = [b.credential for b in ballots]
    out: tags.PassOutput | None = None
    for n, t in enumerate(order):
        z, u = secret[("dedup", t.index)]
        last = n == len(order) - 1
        out = tags.run_pass(pool, z, u, current, not last, fp, tags.stage_context("dedup", t.index))
        post(cev.DEDUP_PASS, t.signed(cev.DEDUP_PASS, {"trustee": t.index, **out.to_json()}))
        if not last:
            current = out.ciphertexts()
    assert out is not None
    kept = tags.last_per_tag(out.b)
    post(cev.DEDUP, {"kept": kept})
    say(f"duplicate elimination: {len(ballots)} ballots, {len(kept)} distinct credentials")

    # fold the MAC check into the credential ciphertext
    creds = [ballots[i].credential for i in kept]
    exps = []
    for t in order:
        w = lam[t.index] * t.mac_share % G.ORDER
        res = tags.run_pass(pool, w, 0, creds, True, fp, tags.stage_context("fold-exp", t.index))
        post(cev.FOLD_EXP, t.signed(cev.FOLD_EXP, {"trustee": t.index, **res.to_json()}))
        exps.append(res.ciphertexts())
    current = tags.fold_sum(pool, exps, [ballots[i].mac for i in kept])
    for t in order:
        current, proofs = tags.run_blind(pool, current, fp, tags.stage_context("fold-blind", t.index))
        post(
            cev.FOLD_BLIND, t.signed(cev.FOLD_BLIND, {"trustee": t.index, **tags.blind_json(current, proofs)})
        )
    rows = ballot_rows(tags.fold_apply(pool, creds, current), [ballots[i] for i in kept])
    say("credential check folded into the ciphertexts")

    # (b) mix the ballot rows and the roll through every tally trustee
    lists: dict[str, list[Row]] = {"ballots": rows, "roll": [(ct,) for ct in roll]}
    for name in ("ballots", "roll"):
        for t in order:
            lists[name], proof = sh.shuffle(pool, lists[name], key, fp, shuffle_context(name, t.index))
            payload = {
                "trustee": t.index,
                "list": name,
                "rows": [row_json(r) for r in lists[name]],
                "proof": proof.to_json(),
            }
            post(cev.SHUFFLE, t.signed(cev.SHUFFLE, payload))
        say(f"{name} mixed by trustees {indices}")

    # (c) blinded tags of both mixed lists, matched in a hash table
    cur = {name: [r[0] for r in lists[name]] for name in lists}
    final: dict[str, list[bytes]] = {}
    for n, t in enumerate(order):
        z, u = secret[("match", t.index)]
        last = n == len(order) - 1
        payload = {"trustee": t.index}
        for name in ("ballots", "roll"):
            res = tags.run_pass(
                pool, z, u, cur[name], not last, fp, tags.stage_context("match-" + name, t.index)
            )
            payload[name] = res.to_json()
            if last:
                final[name] = res.b
            else:
                cur[name] = res.ciphertexts()
        post(cev.MATCH_PASS, t.signed(cev.MATCH_PASS, payload))
    counted = tags.match(final["ballots"], final["roll"])
    say(f"matching: {len(counted)} of {len(rows)} mixed ballots carry a credential on the roll")

    # (d) homomorphic sum of the counted votes
    widths = [lay.width for lay in ctx.layouts]
    totals = aggregate_rows(pool, lists["ballots"], counted, widths)
    return {"counted": counted, "aggregate": [[ct.to_json() for ct in row] for row in totals]}
