"""Running a coercion-resistant election: the standard :class:`plebiscite.conduct.Conduct` plus this mode's steps.

Setup adds the registrar's MAC-key dealing and the encrypted roll (whose entry digests form the standard roll, so
the election fingerprint binds it); voting posts ``cr-ballot`` events after the checks of :mod:`ballot`, and the
tally set posts the roll precomputation (:func:`precompute.run_precompute`) while voting runs; the tally after
close runs :func:`tally.run_tally`; decryption and the result are the standard ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from plebiscite.coercion import events as cev
from plebiscite.coercion import precompute as pc
from plebiscite.coercion import steps
from plebiscite.coercion.ballot import REPLAY, BallotError, check_ballot, tally_views
from plebiscite.coercion.credentials import MacKey, Registrar, decode_mac_key, decode_roll, roll_payloads
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.tally import run_tally
from plebiscite.coercion.trustees import TallyTrustee, tally_set
from plebiscite.conduct import CastResult, Conduct
from plebiscite.elgamal import Ciphertext
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.state import PhaseError
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Manifest


class CoercionConduct:
    """The organiser's operations for one coercion-resistant election."""

    def __init__(self, conduct: Conduct) -> None:
        self.conduct = conduct
        self.mac_payload: dict[str, Any] | None = None
        self.roll_payload: dict[str, Any] | None = None
        self.ballots: list[dict[str, Any]] = []
        self._ahead_from = 0  # ballots before this one are in the trustees' fold computed ahead
        self.seen: set[bytes] = set()
        self.precomputed: pc.Precomputed | None = None

    @staticmethod
    def create_record(
        path: Path, manifest: Manifest, trustee_keys: list[bytes], threshold: int
    ) -> CoercionConduct:
        if manifest.mode != "coercion-resistant":
            raise ValueError("manifest.mode: must be 'coercion-resistant' for this election")
        return CoercionConduct(Conduct.create_record(path, manifest, trustee_keys, threshold))

    @staticmethod
    def open_record(path: Path) -> CoercionConduct:
        events = store.read(path)
        cc = CoercionConduct(Conduct.open_record(path))
        for e in events:
            if e.type == cev.MAC_KEY:
                cc.mac_payload = e.payload
            elif e.type == cev.ROLL:
                cc.roll_payload = e.payload
            elif e.type == cev.BALLOT:
                cc.ballots.append(e.payload)
                cc.seen.add(bytes.fromhex(e.payload["credential"][0] + e.payload["credential"][1]))
        cc.precomputed = pc.from_events(events)
        return cc

    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.conduct.state

    @property
    def ceremony_fingerprint(self) -> bytes:
        return self.conduct.ceremony_fingerprint

    def run_ceremony(self, trustees: list[Trustee], on_step: Callable[[str], None] = lambda _: None) -> None:
        self.conduct.run_ceremony(trustees, on_step)

    @property
    def election_key(self) -> bytes:
        return self.conduct.ceremony_outcome().public_key

    # --- registration ---------------------------------------------------------------------------------------------
    def deal_mac_key(self, registrar: Registrar) -> MacKey:
        self.state.require("setup")
        if self.mac_payload is not None:
            raise PhaseError("the registrar's MAC key is already dealt")
        outcome = self.conduct.ceremony_outcome()
        payload = registrar.deal(outcome.announcements, tuple(outcome.qualified), self.ceremony_fingerprint)
        self.conduct.post(cev.MAC_KEY, payload)
        self.mac_payload = payload
        return self.mac_key

    @property
    def mac_key(self) -> MacKey:
        if self.mac_payload is None:
            raise PhaseError("the registrar has not dealt its MAC key yet")
        outcome = self.conduct.ceremony_outcome()
        return decode_mac_key(
            self.mac_payload, self.state.threshold, tuple(outcome.qualified), self.ceremony_fingerprint
        )

    def register(self, entries: Sequence[tuple[bytes, Ciphertext]]) -> None:
        """Publish the encrypted roll (voter key, ``Enc(V)``) and its digests as the standard roll."""
        self.state.require("setup")
        if self.roll_payload is not None:
            raise PhaseError("the roll is already published")
        payload, digests = roll_payloads(self.mac_key, list(entries))
        self.conduct.post(cev.ROLL, payload)
        self.roll_payload = payload
        self.conduct.register(digests)

    def open_voting(self) -> ElectionContext:
        if self.roll_payload is None:
            raise PhaseError("publish the encrypted roll before opening the election")
        return self.conduct.open_voting()

    @property
    def context(self) -> ElectionContext:
        return self.conduct.context

    # --- voting ------------------------------------------------------------------------------------------------------
    def cast(self, ballot_json: Any) -> CastResult:
        """Accept any well-formed ballot; refuse a replayed credential ciphertext."""
        self.state.require("voting")
        ballot = check_ballot(ballot_json, self.context)
        key = ballot.credential.a + ballot.credential.b
        if key in self.seen:
            raise BallotError(REPLAY)
        event = self.conduct.post(cev.BALLOT, ballot.to_json())
        self.seen.add(key)
        self.ballots.append(event.payload)
        return CastResult(event.index, ballot.tracking_code(), False)

    def close(self) -> None:
        self.state.require("voting")
        self.conduct.post(ev.CLOSE, {"ballots": len(self.ballots)})

    # --- tally and decryption -------------------------------------------------------------------------------------
    def precompute(
        self,
        present: Sequence[TallyTrustee],
        workers: int | None = None,
        say: Callable[[str], None] = lambda _m: None,
    ) -> pc.Precomputed:
        """The roll precomputation by the tally set, while voting runs (it fixes the tally set)."""
        self.state.require("voting")
        if self.precomputed is not None:
            raise PhaseError("the roll precomputation is already posted")
        assert self.roll_payload is not None
        _, roll, _ = decode_roll(self.roll_payload, self.mac_key)
        with Workers(workers) as pool:
            self.precomputed = pc.run_precompute(self.conduct.post, self.context, roll, present, pool, say)
        return self.precomputed

    def rows_ahead(self, present: Sequence[TallyTrustee], workers: int | None = None) -> int:
        """While voting runs, after the precomputation, for the ballots cast since the last run: each trustee of the
        tally set computes its MAC-fold rows ``E_t = (λ_t s_t)·C1`` (``steps.fold_ahead``), and the first one its
        duplicate-elimination pass (``steps.dedup_ahead``); they keep them, and the tally after close only proves
        the ones it posts (docs/native.md §7.7). Nothing is posted; may run any number of times. Returns the number
        of ballots covered."""
        self.state.require("voting")
        if self.precomputed is None:
            raise PhaseError("the roll precomputation must be posted before rows are computed ahead")
        order, lam = tally_set(self.context, present)
        if [t.index for t in order] != self.precomputed.trustees:
            raise ValueError(
                f"rows ahead: the tally set must be the precomputation's, {self.precomputed.trustees}"
            )
        creds = [v.credential for v in tally_views(self.ballots[self._ahead_from :])]
        with Workers(workers) as pool:
            steps.dedup_ahead(pool, order[0], creds)
            for t in order:
                steps.fold_ahead(pool, t, lam[t.index], creds)
        self._ahead_from = len(self.ballots)
        return len(self.ballots)

    def tally(
        self,
        present: Sequence[TallyTrustee],
        workers: int | None = None,
        say: Callable[[str], None] = lambda _m: None,
    ) -> dict[str, Any]:
        """The tally after close, by the tally set of the precomputation (same :class:`TallyTrustee` objects)."""
        self.state.require("closed")
        if self.precomputed is None:
            raise PhaseError("the roll precomputation must be posted while voting runs, before the tally")
        ballots = tally_views(self.ballots)  # checked when cast
        with Workers(workers) as pool:
            payload = run_tally(
                self.conduct.post, self.context, self.precomputed, ballots, present, pool, say
            )
        return self.conduct.post(ev.TALLY, payload).payload

    def decrypt(self, trustee: Trustee) -> None:
        self.conduct.decrypt(trustee)

    def combine(self) -> dict[str, Any]:
        return self.conduct.combine()
