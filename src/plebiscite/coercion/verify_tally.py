"""Verifier checks for every tally step of this mode, re-deriving each list from the previous one.

Each step's outputs are taken from the record and its proofs checked against the inputs the verifier derived
itself; a failed proof is reported under the step's named check and the published outputs are still used, so that
one tampering shows up exactly where it was made. Imports only pure protocol modules: no server, no database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plebiscite.coercion import codec, tags
from plebiscite.coercion import events as cev
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion.ballot import CrBallot
from plebiscite.coercion.codec import CoercionError, Row
from plebiscite.coercion.credentials import MacKey
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.tally import aggregate_rows, ballot_rows, shuffle_context
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.polynomial import lagrange_at_zero
from plebiscite.record import events as ev
from plebiscite.record.signing import SignatureError, verify
from plebiscite.setup.election import ElectionContext
from plebiscite.tally.aggregate import parse_aggregate
from plebiscite.verify.report import Check


class Stop(Exception):
    """A step's data cannot be decoded: later steps cannot run."""


class TallyVerifier:
    def __init__(
        self,
        checks: dict[str, Check],
        events: list[ev.Event],
        ctx: ElectionContext,
        outcome: Any,
        mac: MacKey,
        pool: Workers,
    ) -> None:
        self.c = checks
        self.events = events
        self.ctx = ctx
        self.fp = ctx.fingerprint
        self.mac = mac
        self.pool = pool
        self.signing = {a.index: a.signing_key for a in outcome.announcements.values()}
        self.order: list[int] = []
        self.lam: dict[int, int] = {}

    def _take(self, kind: str, count: int, check: Check) -> list[ev.Event]:
        found = [e for e in self.events if e.type == kind]
        if len(found) != count:
            check.fail(f"{len(found)} {kind} events, expected {count}")
            raise Stop
        return found

    def _signed(self, e: ev.Event, check: Check, trustee: int | None = None) -> int:
        """The event's trustee, checked against the expected one and its signature."""
        who = e.payload.get("trustee")
        if trustee is not None and who != trustee:
            check.fail(f"event {e.index}: from trustee {who!r}, expected trustee {trustee} (tally order)")
            raise Stop
        try:
            verify(e.type, e.payload, self.signing[who])
        except (SignatureError, KeyError):
            check.fail(f"event {e.index}: signature of trustee {who!r} does not verify")
        return who

    def _decode(self, check: Check, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (CoercionError, G.GroupError, ValueError) as exc:
            check.fail(str(exc))
            raise Stop from None

    def _pass(
        self,
        check: Check,
        e: ev.Event,
        value: object,
        inputs: list[Ciphertext],
        with_a: bool,
        keys: tuple[bytes, bytes],
        stage: str,
        who: int,
    ) -> tags.PassOutput:
        out = self._decode(
            check, lambda: tags.decode_pass(value, len(inputs), with_a, f"event {e.index}.{stage}", self.pool)
        )
        check.item(len(inputs))
        bad = tags.check_pass(
            self.pool, keys[0], keys[1], inputs, out, self.fp, tags.stage_context(stage, who)
        )
        if bad:
            check.fail(f"event {e.index}: trustee {who}'s {stage} proof fails for chunk(s) {bad[:5]}")
        return out

    def run(self, ballots: list[CrBallot], roll: list[Ciphertext], standard: dict[str, Check]) -> None:
        try:
            self._run(ballots, roll, standard)
        except Stop:
            return

    def _run(self, ballots: list[CrBallot], roll: list[Ciphertext], standard: dict[str, Check]) -> None:
        c = self.c
        if not any(e.type == cev.TALLY_START for e in self.events):
            return  # the record stops before the tally; "result" stays not run
        keys_check = c["cr: tally trustees and keys"]
        start = self._take(cev.TALLY_START, 1, keys_check)[0].payload
        order = start.get("trustees")
        keys_check.item()
        if (
            not isinstance(order, list)
            or not all(isinstance(j, int) and not isinstance(j, bool) for j in order)
            or order != sorted(set(order))
            or not set(order) <= set(self.ctx.qualified)
            or len(order) < self.ctx.threshold
        ):
            keys_check.fail(
                f"cr-tally-start.trustees: need ≥ {self.ctx.threshold} distinct qualified trustees, sorted"
            )
            raise Stop
        if start.get("ballots") != len(ballots):
            c["cr: duplicate-elimination tags"].fail(
                f"cr-tally-start.ballots: {start.get('ballots')!r}, but {len(ballots)} valid ballots are on the board"
            )
        self.order, self.lam = order, {j: lagrange_at_zero(j, order) for j in order}
        tag_keys: dict[tuple[str, int], tuple[bytes, bytes]] = {}
        for j, e in zip(order, self._take(cev.TALLY_KEYS, len(order), keys_check), strict=True):
            self._signed(e, keys_check, j)
            for stage in ("dedup", "match"):
                keys_check.item()
                key = self._decode(
                    keys_check,
                    lambda e=e, stage=stage, j=j: tags.check_tag_key(
                        e.payload.get(stage),
                        stage,
                        j,
                        self.ctx.verification_keys[j],
                        self.lam[j],
                        self.fp,
                        f"event {e.index}.{stage}",
                    ),
                )
                tag_keys[(stage, j)] = (key.z, key.u)

        # (a) duplicate elimination
        check = c["cr: duplicate-elimination tags"]
        current = [b.credential for b in ballots]
        final: list[bytes] = []
        for n, (j, e) in enumerate(zip(order, self._take(cev.DEDUP_PASS, len(order), check), strict=True)):
            self._signed(e, check, j)
            last = n == len(order) - 1
            out = self._pass(
                check,
                e,
                {k: e.payload.get(k) for k in ("a", "b", "proofs")},
                current,
                not last,
                tag_keys[("dedup", j)],
                "dedup",
                j,
            )
            current, final = (current, out.b) if last else (out.ciphertexts(), final)
        rule = c["cr: last-ballot rule"]
        kept = self._take(cev.DEDUP, 1, rule)[0].payload.get("kept")
        rule.item(len(ballots))
        if kept != tags.last_per_tag(final):
            rule.fail("cr-dedup.kept: not the last ballot of every distinct tag")
            raise Stop
        kept_ballots = [ballots[i] for i in kept]

        # the MAC fold
        check = c["cr: credential check (MAC share)"]
        creds = [b.credential for b in kept_ballots]
        exps = []
        for j, e in zip(order, self._take(cev.FOLD_EXP, len(order), check), strict=True):
            self._signed(e, check, j)
            key = G.mul(self.mac.verification_key(j), self.lam[j])
            out = self._pass(
                check,
                e,
                {k: e.payload.get(k) for k in ("a", "b", "proofs")},
                creds,
                True,
                (key, G.IDENTITY),
                "fold-exp",
                j,
            )
            exps.append(out.ciphertexts())
        current = tags.fold_sum(self.pool, exps, [b.mac for b in kept_ballots])
        check = c["cr: credential check (blinding)"]
        for j, e in zip(order, self._take(cev.FOLD_BLIND, len(order), check), strict=True):
            self._signed(e, check, j)
            outputs = self._decode(
                check,
                lambda e=e, n=len(current): [
                    r[0]
                    for r in codec.rows_parallel(
                        [[x] for x in _list(e.payload.get("outputs"), n, e.index)],
                        n,
                        1,
                        f"event {e.index}.outputs",
                        self.pool,
                    )
                ],
            )
            proofs = self._decode(
                check,
                lambda e=e, n=len(current): [
                    tuple(codec.scalars(p, 2, f"event {e.index}.proofs[{i}]"))
                    for i, p in enumerate(_list(e.payload.get("proofs"), n, e.index))
                ],
            )
            check.item(len(current))
            bad = tags.check_blind(
                self.pool, current, outputs, proofs, self.fp, tags.stage_context("fold-blind", j)
            )
            if bad:
                check.fail(f"event {e.index}: trustee {j}'s blinding proof fails for row(s) {bad[:5]}")
            current = outputs
        rows = ballot_rows(tags.fold_apply(self.pool, creds, current), kept_ballots)

        # (b) the shuffles
        shuffles = self._take(cev.SHUFFLE, 2 * len(order), c["cr: ballot shuffle"])
        lists: dict[str, list[Row]] = {"ballots": rows, "roll": [(ct,) for ct in roll]}
        for n, e in enumerate(shuffles):
            name = "ballots" if n < len(order) else "roll"
            check = c["cr: ballot shuffle" if name == "ballots" else "cr: roll shuffle"]
            j = order[n % len(order)]
            self._signed(e, check, j)
            if e.payload.get("list") != name:
                check.fail(f"event {e.index}: shuffles list {e.payload.get('list')!r}, expected {name!r}")
                raise Stop
            inputs = lists[name]
            width = len(inputs[0])
            outputs = self._decode(
                check,
                lambda e=e, inputs=inputs, width=width: codec.rows_parallel(
                    e.payload.get("rows"), len(inputs), width, f"event {e.index}.rows", self.pool
                ),
            )
            proof = self._decode(
                check,
                lambda e=e, inputs=inputs, width=width: sh.ShuffleProof.from_json(
                    e.payload.get("proof"), len(inputs), width, f"event {e.index}.proof", self.pool
                ),
            )
            check.item(len(inputs))
            reason = sh.verify(
                self.pool, inputs, outputs, proof, self.ctx.public_key, self.fp, shuffle_context(name, j)
            )
            if reason:
                check.fail(f"event {e.index}: trustee {j}'s shuffle of the {name}: {reason}")
            lists[name] = outputs

        # (c) matching
        check = c["cr: matching tags"]
        cur = {name: [r[0] for r in lists[name]] for name in lists}
        final_tags: dict[str, list[bytes]] = {}
        for n, (j, e) in enumerate(zip(order, self._take(cev.MATCH_PASS, len(order), check), strict=True)):
            self._signed(e, check, j)
            last = n == len(order) - 1
            for name in ("ballots", "roll"):
                out = self._pass(
                    check,
                    e,
                    e.payload.get(name),
                    cur[name],
                    not last,
                    tag_keys[("match", j)],
                    "match-" + name,
                    j,
                )
                if last:
                    final_tags[name] = out.b
                else:
                    cur[name] = out.ciphertexts()
        matching = c["cr: roll matching"]
        tally = self._take(ev.TALLY, 1, matching)[0].payload
        matching.item(len(rows) + len(roll))
        if len(set(final_tags["roll"])) != len(roll):
            matching.fail("two roll entries have the same tag (a credential is on the roll twice)")
        counted = tally.get("counted")
        if counted != tags.match(final_tags["ballots"], final_tags["roll"]):
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
        if published != aggregate_rows(self.pool, lists["ballots"], counted, widths):
            aggregation.fail("tally.aggregate: not the sum of the counted mixed rows")
        self.totals, self.counted = published, len(counted)


def _list(value: object, n: int, index: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != n:
        raise CoercionError(f"event {index}: expected a list of {n} entries")
    return value
