"""Verifier checks for every tally step after close, re-deriving each list from the previous one.

Starts from the verified roll precomputation (``verify_precompute.py``): the tally must use its tally set, its
matching keys and its roll tags. Each step's outputs are taken from the record and its proofs checked against the
inputs the verifier derived itself (``verify_steps.py``). Imports only pure protocol modules: no server, no
database.
"""

from __future__ import annotations

from typing import Any

from plebiscite.coercion import codec, tags
from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import TallyView
from plebiscite.coercion.codec import CoercionError, Row
from plebiscite.coercion.credentials import MacKey
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.tally import aggregate_rows, ballot_rows
from plebiscite.coercion.verify_precompute import Precomputation
from plebiscite.coercion.verify_steps import Memo, StepVerifier, Stop
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.record import events as ev
from plebiscite.setup.election import ElectionContext
from plebiscite.tally.aggregate import parse_aggregate
from plebiscite.verify.report import Check

__all__ = ["Stop", "TallyVerifier"]


class TallyVerifier(StepVerifier):
    def __init__(
        self,
        checks: dict[str, Check],
        events: list[ev.Event],
        ctx: ElectionContext,
        outcome: Any,
        mac: MacKey,
        pool: Workers,
        partial: bool = False,
        check_from: int = 0,
        memo: Memo | None = None,
        own: frozenset[int] = frozenset(),
    ) -> None:
        super().__init__(checks, events, ctx, outcome, pool, partial, check_from, memo, own)
        self.mac = mac

    def run(self, ballots: list[TallyView], pre: Precomputation, standard: dict[str, Check]) -> None:
        try:
            self._run(ballots, pre, standard)
        except Stop:
            return

    def _run(self, ballots: list[TallyView], pre: Precomputation, standard: dict[str, Check]) -> None:
        c = self.c
        if not any(e.type == cev.TALLY_START for e in self.events):
            self._turn(cev.TALLY_START, None, [], len(ballots))  # the administrator starts it after close
            return  # the record stops before the tally; "result" stays not run
        keys_check = c["cr: tally trustees and keys"]
        start = self._take(cev.TALLY_START, 1, keys_check)[0].payload
        keys_check.item()
        if start.get("trustees") != pre.order:
            keys_check.fail(
                f"cr-tally-start.trustees: {start.get('trustees')!r}, not the precomputation's {pre.order}"
            )
            raise Stop
        if start.get("ballots") != len(ballots):
            c["cr: duplicate-elimination tags"].fail(
                f"cr-tally-start.ballots: {start.get('ballots')!r}, but {len(ballots)} valid ballots are on the board"
            )
        order, lam = pre.order, pre.lam

        # (a) duplicate elimination
        check = c["cr: duplicate-elimination tags"]
        current = [b.credential for b in ballots]
        final: list[bytes] = []
        found = self._take(cev.DEDUP_PASS, len(order), check)
        for n, (j, e) in enumerate(zip(order, found, strict=False)):
            self._signed(e, check, j)
            last = n == len(order) - 1
            value = {k: e.payload.get(k) for k in ("a", "b", "proofs")}
            out = self._pass(check, e, value, current, not last, pre.tag_keys[("dedup", j)], "dedup", j)
            current, final = (current, out.b) if last else (out.ciphertexts(), final)
        self._turn(cev.DEDUP_PASS, order, found, current)
        rule = c["cr: last-ballot rule"]
        found = self._take(cev.DEDUP, 1, rule)
        self._turn(cev.DEDUP, None, found, {"kept": tags.last_per_tag(final)})
        kept = found[0].payload.get("kept")
        rule.item(len(ballots))
        if kept != tags.last_per_tag(final):
            rule.fail("cr-dedup.kept: not the last ballot of every distinct tag")
            raise Stop
        kept_ballots = [ballots[i] for i in kept]

        # the MAC fold
        check = c["cr: credential check (MAC share)"]
        creds = [b.credential for b in kept_ballots]
        outs = []
        found = self._take(cev.FOLD_EXP, len(order), check)
        for j, e in zip(order, found, strict=False):
            self._signed(e, check, j)
            value = {k: e.payload.get(k) for k in ("a", "b", "proofs")}
            key = (G.mul(self.mac.verification_key(j), lam[j]), G.IDENTITY)  # W_j = λ_j·S_j, u = 0
            outs.append(self._pass(check, e, value, creds, True, key, "fold-exp", j))
        self._turn(cev.FOLD_EXP, order, found, creds)
        current = self.memo.call(
            "fold-sum",
            lambda outs_, kept_: tags.fold_sum(
                self.pool, [o.ciphertexts() for o in outs_], [b.mac for b in kept_]
            ),
            tuple(outs),
            tuple(kept_ballots),
        )
        check = c["cr: credential check (blinding)"]
        found = self._take(cev.FOLD_BLIND, len(order), check)
        for j, e in zip(order, found, strict=False):
            self._signed(e, check, j)
            outputs = self._decode(
                check,
                lambda e=e, n=len(current): self.memo.call(  # type: ignore[misc]
                    ("blind", e.index), lambda _raw, n_: self._blind_outputs(e, n_, self.validate), e.raw, n
                ),
            )
            check.item(len(current))
            bad_rows: list[int] = []
            if self._checked(e):
                bad_rows = self._blind_failing(check, e, j, current, outputs)
            if bad_rows:
                check.fail(f"event {e.index}: trustee {j}'s blinding proof fails for row(s) {bad_rows[:5]}")
            current = outputs
        self._turn(cev.FOLD_BLIND, order, found, current)
        rows = self.memo.call(
            "fold-apply",
            lambda kept_, cur_: ballot_rows(
                tags.fold_apply(self.pool, [b.credential for b in kept_], cur_), kept_
            ),
            tuple(kept_ballots),
            current,
        )

        # (b) the ballot shuffles
        check = c["cr: ballot shuffle"]
        found = self._take(cev.SHUFFLE, len(order), check)
        for j, e in zip(order, found, strict=False):
            self._signed(e, check, j)
            if e.payload.get("list") != "ballots":
                check.fail(f"event {e.index}: shuffles list {e.payload.get('list')!r}, expected 'ballots'")
                raise Stop
            rows = self._shuffle(check, e, "ballots", rows, j)
        self._turn(cev.SHUFFLE, order, found, rows)

        # (c) matching
        check = c["cr: matching tags"]
        cur = [r[0] for r in rows]
        ballot_tags: list[bytes] = []
        found = self._take(cev.MATCH_PASS, len(order), check)
        for n, (j, e) in enumerate(zip(order, found, strict=False)):
            self._signed(e, check, j)
            last = n == len(order) - 1
            value = {k: e.payload.get(k) for k in ("a", "b", "proofs")}
            out = self._pass(check, e, value, cur, not last, pre.tag_keys[("match", j)], "match-ballots", j)
            cur, ballot_tags = (cur, out.b) if last else (out.ciphertexts(), ballot_tags)
        self._turn(cev.MATCH_PASS, order, found, cur)
        matching = c["cr: roll matching"]
        found = self._take(ev.TALLY, 1, matching)
        if self.partial and not found:
            counted_now = tags.match(ballot_tags, pre.roll_tags)
            widths_now = [lay.width for lay in self.ctx.layouts]
            totals_now = self._aggregate(rows, counted_now, widths_now)
            payload = {"counted": counted_now, "aggregate": [[ct.to_json() for ct in r] for r in totals_now]}
            self._turn(ev.TALLY, None, found, payload)
        tally = found[0].payload
        matching.item(len(rows) + len(pre.roll_tags))
        counted = tally.get("counted")
        if counted != tags.match(ballot_tags, pre.roll_tags):
            matching.fail("tally.counted: not the mixed ballots whose tag is a roll tag")
            raise Stop
        aggregation = standard["aggregation"]
        widths = [lay.width for lay in self.ctx.layouts]
        aggregation.item(len(counted))
        try:
            published = parse_aggregate(tally.get("aggregate"), widths)
        except (ValueError, G.GroupError) as exc:
            aggregation.fail(str(exc))
            raise Stop from None
        if published != self._aggregate(rows, counted, widths):
            aggregation.fail("tally.aggregate: not the sum of the counted mixed rows")
        self.totals, self.counted = published, len(counted)

    def _blind_failing(
        self, check: Check, e: ev.Event, trustee: int, inputs: list[Ciphertext], outputs: list[Ciphertext]
    ) -> list[int]:
        """Rows of one ``cr-fold-blind`` event whose blinding proof fails (its elements checked as ``_proved`` says)."""
        n = len(inputs)
        proofs = self._decode(check, lambda: self._blind_proofs(e, n, self.validate))
        context = tags.stage_context("fold-blind", trustee)
        return self._proved(
            check,
            lambda fallback: tags.check_blind(self.pool, inputs, outputs, proofs, self.fp, context, fallback),
            lambda bad: not bad,
            lambda validate: self._blind_outputs(e, n, validate),
            n,
            lambda validate: self._blind_proofs(e, n, validate),
        )

    def _blind_outputs(self, e: ev.Event, n: int, validate: bool = True) -> list[Ciphertext]:
        outputs = _list(e.payload.get("outputs"), n, e.index)
        rows = codec.rows_parallel(
            [[x] for x in outputs], n, 1, f"event {e.index}.outputs", self.pool, validate
        )
        return [r[0] for r in rows]

    def _blind_proofs(self, e: ev.Event, n: int, validate: bool = True) -> list[tuple[bytes, bytes, int]]:
        """``[[T1, T2, s], …]``: the commitments decoded as elements (over the pool, ``validate``: as in
        ``codec.elements``), the responses as scalars."""
        raw = _list(e.payload.get("proofs"), n, e.index)
        for i, p in enumerate(raw):
            if not isinstance(p, list) or len(p) != 3:
                raise CoercionError(f"event {e.index}.proofs[{i}]: expected [T1, T2, s]")
        ts = codec.elements(
            [t for p in raw for t in p[:2]], 2 * n, f"event {e.index}.proofs.T", self.pool, validate
        )
        ss = codec.scalars([p[2] for p in raw], n, f"event {e.index}.proofs.s")
        return [(ts[2 * i], ts[2 * i + 1], ss[i]) for i in range(n)]

    def _aggregate(self, rows: list[Row], counted: Any, widths: list[int]) -> list[list[Ciphertext]]:
        """The counted rows' sum (the board computes it for the ``tally`` event; a later walk checks it)."""
        return self.memo.call(
            "aggregate", lambda r, c, w: aggregate_rows(self.pool, r, c, w), rows, list(counted), widths
        )


def _list(value: object, n: int, index: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != n:
        raise CoercionError(f"event {index}: expected a list of {n} entries")
    return value
