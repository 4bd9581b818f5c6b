"""Running an election: every phase as an operation that checks, then appends one event.

:class:`Conduct` holds the folded :class:`ElectionState` and a *sink* that makes events durable: a record directory
(:class:`FileSink`) for the command line, the bulletin board for the service. Every operation validates fully before
it appends, so a refused request leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from plebiscite.ballot.challenge import challenge_payload, check_opening
from plebiscite.ballot.check import check_ballot
from plebiscite.ballot.model import Ballot, BallotError
from plebiscite.decrypt.combine import result_payload
from plebiscite.decrypt.partial import check_partial, partial_decrypt
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony.trustee import Trustee, decode_all
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.signer import RecordSigner, key_path, read_or_create_key
from plebiscite.record.state import ElectionState, PhaseError
from plebiscite.setup.credentials import roll_hash
from plebiscite.setup.election import ElectionContext, fingerprint
from plebiscite.setup.manifest import Manifest
from plebiscite.tally.aggregate import (
    CastBallot,
    aggregate,
    last_per_credential,
    parse_aggregate,
    tally_payload,
)

__all__ = ["Conduct", "DiscardSink", "FileSink", "PhaseError"]

PARTIAL_FIELDS = frozenset({"trustee", "shares", "proofs", "signature"})


class Sink(Protocol):
    def append(self, event: ev.Event) -> None: ...


class DiscardSink:
    """Keeps nothing: for running :class:`Conduct`'s checks on a copy of a record's state (a trustee's dry run of the
    board's checks, the setup read from a mirror) without writing anywhere."""

    def append(self, event: ev.Event) -> None:
        pass


class FileSink:
    """Appends events to a record directory, each followed by a signed head over the record so far
    (:mod:`plebiscite.record.signer`: the record proves its own completeness, as a board's export does)."""

    def __init__(self, path: Path, signer: RecordSigner) -> None:
        self.path = path
        self.signer = signer

    def append(self, event: ev.Event) -> None:
        store.append(self.path, [event])
        self.signer.leaf(event.raw)


class ReadOnlySink:
    """For reading a record without its signing key (a voter's ``vote``, ``check-challenge``): appends nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, event: ev.Event) -> None:
        raise store.RecordError(f"{self.path}: opened to read only; nothing can be appended")


@dataclass
class CastResult:
    index: int
    tracking_code: str
    existing: bool


class Conduct:
    """The organiser's operations on one election."""

    def __init__(self, state: ElectionState, sink: Sink) -> None:
        self.state = state
        self.sink = sink

    @staticmethod
    def open_record(path: Path) -> Conduct:
        events = store.read(path)
        signer = RecordSigner.open(path, (e.raw for e in events))
        return Conduct(ElectionState.from_events(events), FileSink(path, signer))

    @staticmethod
    def read_record(path: Path) -> Conduct:
        """The record's state, to read only: no signing key is needed (nor checked), nothing can be posted."""
        return Conduct(ElectionState.from_events(store.read(path)), ReadOnlySink(path))

    @staticmethod
    def create_record(path: Path, manifest: Manifest, trustee_keys: list[bytes], threshold: int) -> Conduct:
        """A new record whose manifest event names the trustees by their Ed25519 keys (trustee ``i`` is
        ``trustee_keys[i - 1]``), which each generated on its own machine and published itself."""
        payload = manifest_payload(manifest, trustee_keys, threshold)
        ceremony.named_keys(payload)  # refuse malformed or repeated keys before anything is written
        if not 1 <= threshold <= len(trustee_keys):
            raise ValueError("threshold: need 1 <= threshold <= trustees")
        if (path / store.EVENTS_FILE).exists():
            raise store.RecordError(f"{path}: a record already exists here")
        key = read_or_create_key(key_path(path))  # a bad key file stops here, before anything is written
        store.create(path)
        conduct = Conduct(ElectionState(), FileSink(path, RecordSigner.create(path, key)))
        conduct.post(ev.MANIFEST, payload)
        return conduct

    def post(self, kind: str, payload: dict[str, Any], tracking_code: str | None = None) -> ev.Event:
        self.state.admit(kind)
        event = ev.make_event(self.state.size, kind, payload)
        self.sink.append(event)
        self.state.apply(event, tracking_code)
        return event

    # --- key ceremony -------------------------------------------------------------------------------------------
    @property
    def ceremony_fingerprint(self) -> bytes:
        assert self.state.manifest_payload is not None
        return ceremony.ceremony_fingerprint(
            ev.canonical_json(self.state.manifest_payload), self.state.trustees, self.state.threshold
        )

    def run_ceremony(self, trustees: list[Trustee], on_step: Callable[[str], None] = lambda _: None) -> None:
        """All three rounds for trustees run in one place (the demo; separate machines post the same events)."""
        self.state.require("setup")
        fp = self.ceremony_fingerprint
        named = self.state.trustee_keys
        for t in trustees:
            t.check_named(
                named
            )  # each trustee checks the manifest names its own key, before anything is posted
        for t in trustees:
            self.post(ev.TRUSTEE, t.announce(fp))
        on_step("commitments published")
        announced = decode_all(self.state.announcements, self.state.threshold, fp, named)
        for t in trustees:
            self.post(ev.SHARES, t.deal(announced, fp))
        on_step("shares dealt")
        complaints = [c for t in trustees for c in t.receive(announced, self.state.shares, fp)]
        for c in complaints:
            self.post(ev.COMPLAINT, c)
        by_index = {t.index: t for t in trustees}
        for c in complaints:
            reveal = by_index[c["against"]].answer(c, fp)
            self.post(ev.SHARE_REVEAL, reveal)
            by_index[c["by"]].accept_reveal(reveal, announced)
        outcome = self.ceremony_outcome()
        for t in trustees:
            if t.index in outcome.qualified:
                t.finish(outcome.qualified)
        on_step(f"{len(outcome.qualified)} trustees qualified")

    def ceremony_outcome(self) -> ceremony.Outcome:
        s = self.state
        outcome = ceremony.outcome(
            s.trustee_keys,
            s.threshold,
            self.ceremony_fingerprint,
            s.announcements,
            s.shares,
            s.complaints,
            s.reveals,
        )
        if len(outcome.qualified) < s.threshold:
            raise ValueError(
                f"key ceremony failed: {len(outcome.qualified)} trustees qualified, threshold is {s.threshold}"
            )
        if outcome.key_problems:
            raise ValueError(f"key ceremony failed: {outcome.key_problems[0]}")
        return outcome

    # --- registration and opening -------------------------------------------------------------------------------
    def register(self, public_keys: list[bytes]) -> None:
        self.state.require("setup")
        if self.state.roll:
            raise PhaseError("the roll is already published")
        if len(set(public_keys)) != len(public_keys):
            raise ValueError("roll: duplicate credential")
        self.ceremony_outcome()  # the roll closes the ceremony: refuse to close one that failed
        self.post(ev.ROLL, {"credentials": sorted(k.hex() for k in public_keys)})

    def open_voting(self) -> ElectionContext:
        s = self.state
        s.require("setup")
        if not s.roll:
            raise PhaseError("publish the roll before opening the election")
        outcome = self.ceremony_outcome()
        assert s.manifest is not None and s.manifest_payload is not None
        digest = roll_hash(s.roll)
        commitments = {i: outcome.announcements[i].commitments for i in outcome.qualified}
        fp = fingerprint(s.manifest_payload, commitments, outcome.public_key, digest)
        ctx = ElectionContext(
            manifest=s.manifest,
            trustees=s.trustees,
            threshold=s.threshold,
            fingerprint=fp,
            public_key=outcome.public_key,
            roll=frozenset(s.roll),
            verification_keys=outcome.verification_keys,
            qualified=tuple(outcome.qualified),
        )
        self.post(ev.ELECTION, ctx.election_payload(digest))
        return ctx

    # --- voting --------------------------------------------------------------------------------------------------
    @property
    def context(self) -> ElectionContext:
        if self.state.context is None:
            raise PhaseError("the election is not open yet")
        return self.state.context

    def check(self, ballot_json: object) -> Ballot:
        """Everything a cast ballot must pass (no phase check)."""
        return check_ballot(ballot_json, self.context)

    def cast(self, ballot_json: Any) -> CastResult:
        self.state.require("voting")
        ballot = self.check(ballot_json)
        code = ballot.tracking_code()
        if code in self.state.ballots:
            return CastResult(self.state.ballots[code], code, True)
        if code in self.state.challenged:
            raise BallotError("ballot: this ballot was challenged (opened) and can never be cast")
        event = self.post(ev.BALLOT, ballot.to_json(), code)
        return CastResult(event.index, code, False)

    def challenge(self, ballot_json: Any, opening: Any) -> tuple[str, list[list[int]]]:
        self.state.require("voting")
        ballot = self.check(ballot_json)
        code = ballot.tracking_code()
        if code in self.state.ballots:
            raise BallotError("ballot: already cast; a cast ballot cannot be challenged")
        plain = check_opening(ballot, opening, self.context.public_key)
        if code not in self.state.challenged:
            self.post(ev.CHALLENGE, challenge_payload(ballot, opening), code)
        return code, plain

    def close(self) -> None:
        self.state.require("voting")
        self.post(ev.CLOSE, {"ballots": len(self.state.ballots)})

    # --- tally and decryption ----------------------------------------------------------------------------------
    def tally(self, ballots: list[CastBallot]) -> dict[str, Any]:
        """Aggregate; ``ballots`` are the cast ballots already decoded (see :func:`cast_ballots`)."""
        self.state.require("closed")
        counted = last_per_credential(ballots, self.state.challenged)
        widths = [lay.width for lay in self.context.layouts]
        totals = aggregate([cb.ballot for cb in counted], widths)
        return self.post(ev.TALLY, tally_payload(counted, totals)).payload

    def totals(self) -> list[list[Ciphertext]]:
        """The published aggregate, decoded."""
        assert self.state.tally is not None
        return parse_aggregate(self.state.tally["aggregate"], [lay.width for lay in self.context.layouts])

    def decrypt(self, trustee: Trustee) -> None:
        """``trustee``'s partial decryption of the tally, checked and appended (see :meth:`partial_decryption`)."""
        self.post_partial(self.partial_decryption(trustee))

    def partial_decryption(self, trustee: Trustee) -> dict[str, Any]:
        """``trustee``'s partial decryption of the published tally, with proofs, after every check on the trustee
        (named by this election, holding a share of its key, not decrypted yet); nothing is appended."""
        self.state.require("tallied")
        trustee.check_named(
            self.state.trustee_keys
        )  # another election's trustee file: refused, nothing written
        if trustee.share is None or trustee.index not in self.context.qualified:
            raise ValueError(f"trustee {trustee.index} holds no share of this election's key")
        if trustee.index in self.state.partials:
            raise PhaseError(f"trustee {trustee.index} has already decrypted")
        if G.mul_base(trustee.share) != self.context.verification_keys[trustee.index]:
            raise ValueError(
                f"trustee {trustee.index}: this secret is not a share of this election's key "
                "(a trustee file of another election?); nothing written"
            )
        payload = partial_decrypt(
            trustee.index, trustee.share, self.totals(), self.context.fingerprint, trustee.signing_key
        )
        # post_partial runs the same checks as on a share posted from elsewhere (signature under the announced key,
        # the proofs), so a share that would stop combine is refused before it is written.
        return payload

    def post_partial(self, payload: dict[str, Any]) -> None:
        """Accept a partial decryption made elsewhere, after checking its signature and proofs."""
        from plebiscite.record.signing import verify

        self.state.require("tallied")
        trustee = payload.get("trustee")
        if type(trustee) is not int or trustee not in self.context.qualified:
            raise ValueError(f"partial decryption: trustee {trustee!r} is not a qualified trustee's index")
        if trustee in self.state.partials:
            raise PhaseError(f"trustee: {trustee} has already decrypted (a replay)")
        key = next(a["signing_key"] for a in self.state.announcements if a["index"] == trustee)
        verify("partial-decryption", payload, key)
        if set(payload) != PARTIAL_FIELDS:
            raise ValueError(
                f"partial decryption: fields must be exactly {', '.join(sorted(PARTIAL_FIELDS))}"
            )
        check_partial(
            payload, self.totals(), self.context.verification_keys[trustee], self.context.fingerprint
        )
        self.post(ev.PARTIAL_DECRYPTION, payload)

    def combine(self) -> dict[str, Any]:
        self.state.require("tallied")
        ctx = self.context
        if len(self.state.partials) < ctx.threshold:
            raise PhaseError(f"{len(self.state.partials)} partial decryptions, {ctx.threshold} needed")
        totals = self.totals()
        partials = {
            j: check_partial(p, totals, ctx.verification_keys[j], ctx.fingerprint)
            for j, p in self.state.partials.items()
        }
        assert self.state.tally is not None
        payload = result_payload(
            ctx.manifest, ctx.layouts, totals, partials, len(self.state.tally["counted"])
        )
        return self.post(ev.RESULT, payload).payload


def manifest_payload(manifest: Manifest, trustee_keys: list[bytes], threshold: int) -> dict[str, Any]:
    return {
        "manifest": manifest.model_dump(mode="json"),
        "trustees": len(trustee_keys),
        "threshold": threshold,
        "trustee_keys": [k.hex() for k in trustee_keys],
    }


def cast_ballots(events: list[ev.Event], ctx: ElectionContext) -> list[CastBallot]:
    """Decode the ballot events of a record (they were checked when cast)."""
    from plebiscite.ballot.check import branch_counts
    from plebiscite.ballot.model import ballot_from_json

    counts = branch_counts(ctx.layouts)
    out = []
    for e in events:
        if e.type == ev.BALLOT:
            b = ballot_from_json(e.payload, counts)
            out.append(CastBallot(e.index, b.tracking_code(), b))
    return out
