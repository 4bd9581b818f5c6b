"""The verifier's stage for coercion-resistant elections, registered in ``verify.runner.EXTENSIONS``.

It replaces the standard ballot and tally checks with this mode's numbered, named checks (listed in ``CHECKS``, in
the order they run) and fills the standard "aggregation", "partial decryptions", "combination" and "result" checks.
Imports only pure protocol modules, the record's types and the verifier's report: no server, no database.
"""

from __future__ import annotations

from typing import Any

from plebiscite import native
from plebiscite.coercion import events as cev
from plebiscite.coercion.parallel import Workers, without_cycle_collector
from plebiscite.coercion.verify_precompute import PrecomputeVerifier
from plebiscite.coercion.verify_setup import check_ballots, check_mac_key, check_roll
from plebiscite.coercion.verify_tally import TallyVerifier
from plebiscite.record import events as ev
from plebiscite.setup.election import ElectionContext
from plebiscite.verify import counting
from plebiscite.verify.report import Report
from plebiscite.verify.runner import EXTENSIONS

CHECKS = (
    "cr: registrar MAC key",
    "cr: encrypted roll",
    "cr: ballot format",
    "cr: credential proofs",
    "cr: vote proofs",
    "cr: unique ballots",
    "cr: tally trustees and keys",
    "cr: roll shuffle",
    "cr: roll tags",
    "cr: duplicate-elimination tags",
    "cr: last-ballot rule",
    "cr: credential check (MAC share)",
    "cr: credential check (blinding)",
    "cr: ballot shuffle",
    "cr: matching tags",
    "cr: roll matching",
)
STANDARD = ("aggregation", "partial decryptions", "combination", "result")


class CoercionStage:
    """The :class:`plebiscite.verify.runner.Extension` of the coercion-resistant mode."""

    mode = cev.MODE
    ranks = cev.RANKS
    replaces = frozenset(ev.EVENT_TYPES) - ev.MODE_EVENT_TYPES[cev.MODE]
    ballot_types = frozenset({cev.BALLOT})

    def applies(self, ctx: ElectionContext) -> bool:
        return ctx.manifest.mode == "coercion-resistant"

    @without_cycle_collector  # the rows' millions of small objects (and the forked workers inherit it)
    def run(
        self,
        report: Report,
        events: list[ev.Event],
        ctx: ElectionContext,
        outcome: Any,
        workers: int | None,
        engine: str = native.REFERENCE,
    ) -> None:
        # every proof of this mode (the MAC key's and tag keys' too) runs on ``engine``; the final decryption
        # shares are the standard verifier's (docs/native.md, "Coercion-resistant mode")
        report.engine = engine
        checks = {name: report.add_check(name) for name in CHECKS}
        std = {name: report.by_name(name) for name in STANDARD}
        stray = [e.index for e in events if e.type in (ev.BALLOT, ev.CHALLENGE)]
        if stray:
            checks["cr: ballot format"].fail(
                f"events {stray[:5]}: standard ballots have no place in this mode"
            )
        with Workers(workers, engine=engine) as pool:
            mac = check_mac_key(checks["cr: registrar MAC key"], events, ctx, engine)
            if mac is None:
                return
            roll = check_roll(checks["cr: encrypted roll"], events, ctx, mac)
            ballots = check_ballots(checks, events, ctx, pool)
            if roll is None:
                return
            pre = PrecomputeVerifier(checks, events, ctx, outcome, pool).run(roll)
            tally = TallyVerifier(checks, events, ctx, outcome, mac, pool)
            if pre is not None:
                tally.run(ballots, pre, std)
        totals = getattr(tally, "totals", None)
        if totals is None:
            return
        signing_keys = {a.index: a.signing_key for a in outcome.announcements.values()}
        partials = counting.check_partials(
            std["partial decryptions"], events, ctx, totals, signing_keys, engine
        )
        std["partial decryptions"].ran = True
        results = [e.payload for e in events if e.type == ev.RESULT]
        if not results:
            return
        counting.check_result(
            std["combination"], std["result"], results[0], ctx, totals, partials, tally.counted
        )
        report.result = {
            "questions": results[0].get("questions"),
            "ballots": results[0].get("ballots"),
            "mode": "coercion-resistant",
        }


EXTENSIONS["coercion-resistant"] = CoercionStage()
