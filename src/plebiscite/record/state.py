"""The election's state as the organiser's tools see it, folded from the record's events one at a time.

Used by the CLI and the board service to enforce the phase order and to answer "is this ballot new?" in O(1). The
verifier does not trust this: it re-derives everything from the record with its own numbered checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plebiscite.canonical import hex_bytes
from plebiscite.coercion import events as cev  # the mode's event types: registered wherever a state is folded
from plebiscite.hazmat import group as G
from plebiscite.record import events as ev
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Manifest

PHASES = ("empty", "setup", "voting", "closed", "tallied", "decrypted")


class PhaseError(ValueError):
    """The operation is not allowed in the election's current phase."""


@dataclass
class ElectionState:
    manifest_payload: dict[str, Any] | None = None
    manifest: Manifest | None = None
    trustees: int = 0
    threshold: int = 0
    trustee_keys: list[str] = field(default_factory=list)
    announcements: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] = field(default_factory=list)
    complaints: list[dict[str, Any]] = field(default_factory=list)
    reveals: list[dict[str, Any]] = field(default_factory=list)
    roll: list[bytes] = field(default_factory=list)
    context: ElectionContext | None = None
    ballots: dict[str, int] = field(
        default_factory=dict
    )  # tracking code → event index (either mode's ballots)
    cast_credentials: dict[bytes, str] = field(default_factory=dict)
    """Coercion-resistant mode: the credential ciphertext ``C1`` (``a‖b``) of every ``cr-ballot`` → its tracking
    code, so that a replay of ``C1`` with other content is refused (docs/coercion.md §4)."""
    challenged: set[str] = field(default_factory=set)
    tally: dict[str, Any] | None = None
    partials: dict[int, dict[str, Any]] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    size: int = 0
    closed: bool = False

    @property
    def phase(self) -> str:
        if self.result is not None:
            return "decrypted"
        if self.tally is not None:
            return "tallied"
        if self.closed:
            return "closed"
        if self.context is not None:
            return "voting"
        return "setup" if self.manifest is not None else "empty"

    def require(self, *phases: str) -> None:
        if self.phase not in phases:
            raise PhaseError(
                f"not allowed now: the election is in phase {self.phase!r} (needs {' or '.join(phases)})"
            )

    def admit(self, kind: str) -> None:
        """Refuse an event type that the election's mode has no place for (``ev.MODE_EVENT_TYPES``)."""
        mode = self.manifest.mode if self.manifest is not None else ev.STANDARD_MODE
        allowed = ev.MODE_EVENT_TYPES.get(mode, frozenset())
        if self.manifest is not None and kind not in allowed:
            raise PhaseError(f"event type {kind!r} does not belong in a {mode} election")

    def apply(self, event: ev.Event, tracking_code: str | None = None) -> None:
        """Fold one event in. ``tracking_code`` spares recomputing it for ballots the caller just checked."""
        p = event.payload
        kind = event.type
        if kind == ev.MANIFEST:
            self.manifest_payload = p  # the whole event payload: manifest, trustees, threshold, trustee keys
            self.manifest = Manifest.model_validate(p["manifest"])
            self.trustees, self.threshold = p["trustees"], p["threshold"]
            self.trustee_keys = list(p.get("trustee_keys") or [])
        elif kind == ev.TRUSTEE:
            self.announcements.append(p)
        elif kind == ev.SHARES:
            self.shares.append(p)
        elif kind == ev.COMPLAINT:
            self.complaints.append(p)
        elif kind == ev.SHARE_REVEAL:
            self.reveals.append(p)
        elif kind == ev.ROLL:
            self.roll = [hex_bytes(k, 32, "roll.credentials") for k in p["credentials"]]
        elif kind == ev.ELECTION:
            assert self.manifest is not None
            self.context = ElectionContext(
                manifest=self.manifest,
                trustees=p["trustees"],
                threshold=p["threshold"],
                fingerprint=hex_bytes(p["fingerprint"], 32, "election.fingerprint"),
                public_key=G.element_from_hex(p["public_key"]),
                roll=frozenset(self.roll),
                verification_keys={int(k): G.element_from_hex(v) for k, v in p["verification_keys"].items()},
                qualified=tuple(p["qualified"]),
            )
        elif kind == ev.BALLOT:
            self.ballots[tracking_code or self._tracking_code(p)] = event.index
        elif kind == cev.BALLOT:
            code = tracking_code or self._cr_tracking_code(p)
            self.ballots[code] = event.index
            self.cast_credentials[credential_key(p)] = code
        elif kind == ev.CHALLENGE:
            self.challenged.add(tracking_code or self._tracking_code(p["ballot"]))
        elif kind == ev.CLOSE:
            self.closed = True
        elif kind == ev.TALLY:
            self.tally = p
        elif kind == ev.PARTIAL_DECRYPTION:
            self.partials[p["trustee"]] = p
        elif kind == ev.RESULT:
            self.result = p
        self.size = event.index + 1

    def _tracking_code(self, ballot_json: dict[str, Any]) -> str:
        """Decode a ballot already checked when it was appended, for its tracking code."""
        from plebiscite.ballot.check import branch_counts  # the record layer must not import ballots at load
        from plebiscite.ballot.model import ballot_from_json

        assert self.context is not None
        return ballot_from_json(ballot_json, branch_counts(self.context.layouts)).tracking_code()

    def _cr_tracking_code(self, ballot_json: dict[str, Any]) -> str:
        from plebiscite.ballot.check import branch_counts
        from plebiscite.coercion.ballot import decode_ballot

        assert self.context is not None
        return decode_ballot(ballot_json, branch_counts(self.context.layouts)).tracking_code()

    @staticmethod
    def from_events(events: list[ev.Event]) -> ElectionState:
        state = ElectionState()
        for e in events:
            state.apply(e)
        return state


def credential_key(cr_ballot_json: dict[str, Any]) -> bytes:
    """The key a ``cr-ballot`` is refused as a replay by: its credential ciphertext ``C1`` as 64 bytes ``a‖b``
    (of a ballot already checked, whose hex is canonical)."""
    a, b = cr_ballot_json["credential"]
    return bytes.fromhex(a + b)
