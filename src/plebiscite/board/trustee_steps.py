"""What the board accepts from a trustee, and when: one table for every trustee step of every mode.

A trustee's request *is* the record event it wants appended: a payload signed with the Ed25519 key the manifest
event names for that trustee (``record/signing.py``, one domain per event type). There is no bearer token — the
signature is the authentication, so a stolen administrator token cannot post as a trustee. Each step is checked,
in this order, and refused with a ``detail`` of the form ``field: reason-code: explanation``:

- ``403 not-this-trustees-key`` — the index is unknown, or the manifest's key for that index did not sign it;
- ``409 out-of-order`` — the step does not fit the election's phase or the ceremony's round (see ``Step.ready``);
- ``409 step-already-done`` — this trustee already made this step (a replay, or a second attempt);
- ``422`` — the verifier's own check of the post fails; the detail is that check's ``field: reason``.

Only then is the event appended, through the same path as every event (one transaction, then a signed head), so
a SIGKILL after the answer loses nothing and a refused step changes nothing. A mode adds its steps by adding rows
to :data:`STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plebiscite.board import cr_tally
from plebiscite.board.refusals import Refusal
from plebiscite.canonical import hex_bytes
from plebiscite.coercion import turns
from plebiscite.conduct import Conduct
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony.polynomial import share_matches
from plebiscite.proofs.common import ProofError
from plebiscite.record import events as ev
from plebiscite.record.signing import SignatureError, verify
from plebiscite.record.state import ElectionState, PhaseError

BOX_BYTES = 24 + 16 + 32  # nonce, MAC, scalar: one NaCl Box holding f_i(j)


@dataclass(frozen=True)
class Step:
    """One kind of trustee post: which field names the trustee, when it may come, what it must pass."""

    kind: str
    index_field: str
    fields: frozenset[str]
    ready: Callable[[ElectionState, dict[str, Any], int], None]
    """Raise PhaseError (→ 409 out-of-order) unless the step may come now, or StepDone if it came already."""
    check: Callable[[Conduct, dict[str, Any], int], None]
    """The verifier's check of the post; ValueError (→ 422) naming the field."""


class StepDone(Exception):
    """This trustee already made this step."""


# --- the key ceremony's rounds ---------------------------------------------------------------------------------
def _announced(state: ElectionState) -> set[int]:
    return {p["index"] for p in state.announcements}


def _dealers(state: ElectionState) -> set[int]:
    return {p["from"] for p in state.shares}


def _ceremony_open(state: ElectionState) -> None:
    state.require("setup")
    if state.roll:
        raise PhaseError("the key ceremony is over: the roll is published")


def _ready_announce(state: ElectionState, payload: dict[str, Any], index: int) -> None:
    _ceremony_open(state)
    if index in _announced(state):
        raise StepDone(f"trustee {index} has already announced")
    if state.shares:
        raise PhaseError("announcements are closed: dealing has begun")


def _ready_deal(state: ElectionState, payload: dict[str, Any], index: int) -> None:
    _ceremony_open(state)
    if index not in _announced(state):
        raise PhaseError(f"trustee {index} must announce before dealing")
    if index in _dealers(state):
        raise StepDone(f"trustee {index} has already dealt")


def _ready_complaint(state: ElectionState, payload: dict[str, Any], index: int) -> None:
    _ceremony_open(state)
    against = payload.get("against")
    if type(against) is not int:
        raise ValueError("complaint.against: must be a trustee's index (an integer)")
    if index not in _announced(state):
        raise PhaseError(f"trustee {index} did not announce; it has no shares to complain about")
    if against not in _dealers(state) or against == index:
        raise PhaseError(f"complaint.against: trustee {against!r} has dealt no shares to complain about")
    if any(c["by"] == index and c.get("against") == against for c in state.complaints):
        raise StepDone(f"trustee {index} has already complained about trustee {against}")


def _ready_reveal(state: ElectionState, payload: dict[str, Any], index: int) -> None:
    _ceremony_open(state)
    to = payload.get("to")
    if type(to) is not int:
        raise ValueError("share-reveal.to: must be a trustee's index (an integer)")
    if not any(c["by"] == to and c.get("against") == index for c in state.complaints):
        raise PhaseError(f"share-reveal.to: trustee {to!r} has not complained about trustee {index}")
    if any(r["from"] == index and r.get("to") == to for r in state.reveals):
        raise StepDone(f"trustee {index} has already answered trustee {to}'s complaint")


def _ready_partial(state: ElectionState, payload: dict[str, Any], index: int) -> None:
    state.require("tallied")
    if index in state.partials:
        raise StepDone(f"trustee {index} has already decrypted")


def _fingerprint(conduct: Conduct, payload: dict[str, Any], kind: str) -> None:
    if payload.get("ceremony") != conduct.ceremony_fingerprint.hex():
        raise ValueError(f"{kind}.ceremony: not this ceremony's fingerprint (a post of another election?)")


def _check_announce(conduct: Conduct, payload: dict[str, Any], index: int) -> None:
    s = conduct.state
    ceremony.decode_announcement(payload, s.threshold, conduct.ceremony_fingerprint, s.trustee_keys)


def _check_deal(conduct: Conduct, payload: dict[str, Any], index: int) -> None:
    _fingerprint(conduct, payload, "shares")
    shares = payload.get("shares")
    if not isinstance(shares, list) or not all(
        isinstance(x, dict) and set(x) == {"to", "box"} for x in shares
    ):
        raise ValueError('shares.shares: a list of {"to": j, "box": hex}')
    expected = _announced(conduct.state) - {index}
    if sorted(x["to"] for x in shares) != sorted(expected):
        raise ValueError(f"shares.shares: one share to each other announced trustee, {sorted(expected)}")
    for x in shares:
        hex_bytes(x["box"], BOX_BYTES, f"shares.shares[to={x['to']}].box")


def _check_complaint(conduct: Conduct, payload: dict[str, Any], index: int) -> None:
    _fingerprint(conduct, payload, "complaint")


def _check_reveal(conduct: Conduct, payload: dict[str, Any], index: int) -> None:
    _fingerprint(conduct, payload, "share-reveal")
    share = G.scalar_from_hex(payload.get("share", ""), "share-reveal.share")
    commitments = next(
        ceremony.decode_announcement(
            a,
            conduct.state.threshold,
            conduct.ceremony_fingerprint,
            conduct.state.trustee_keys,
            check_proofs=False,
        ).commitments
        for a in conduct.state.announcements
        if a["index"] == index
    )
    if not share_matches(share, commitments, payload["to"]):
        raise ValueError("share-reveal.share: does not match the dealer's commitments")


def _check_partial(conduct: Conduct, payload: dict[str, Any], index: int) -> None:
    """Done by :meth:`Conduct.post_partial` itself (signature, fields, proofs), which also appends."""


def _fields(*names: str) -> frozenset[str]:
    return frozenset({*names, "signature"})


STEPS: dict[str, Step] = {
    step.kind: step
    for step in (
        Step(
            ev.TRUSTEE,
            "index",
            _fields("index", "signing_key", "box_key", "commitments", "proofs"),
            _ready_announce,
            _check_announce,
        ),
        Step(ev.SHARES, "from", _fields("from", "ceremony", "shares"), _ready_deal, _check_deal),
        Step(ev.COMPLAINT, "by", _fields("by", "against", "ceremony"), _ready_complaint, _check_complaint),
        Step(
            ev.SHARE_REVEAL, "from", _fields("from", "to", "ceremony", "share"), _ready_reveal, _check_reveal
        ),
        Step(
            ev.PARTIAL_DECRYPTION,
            "trustee",
            _fields("trustee", "shares", "proofs"),
            _ready_partial,
            _check_partial,
        ),
    )
}


def authenticate(state: ElectionState, kind: str, payload: dict[str, Any], index_field: str) -> int:
    """The trustee's index, once the manifest's key for it has verified the post's signature (else 403)."""
    index = payload.get(index_field)
    named = state.trustee_keys
    if type(index) is not int or not 1 <= index <= len(named):
        raise Refusal(403, f"{index_field}: not-this-trustees-key: names no trustee of this election")
    try:
        verify(kind, payload, named[index - 1])
    except SignatureError as exc:
        raise Refusal(
            403,
            f"signature: not-this-trustees-key: not made with trustee {index}'s key in the manifest ({exc})",
        ) from None
    return index


KNOWN = frozenset(STEPS) | turns.TRUSTEE_KINDS
"""Every step a trustee can post: the ceremony and decryption (:data:`STEPS`) and the coercion-resistant tally's
passes, whose turn order and checks come from the verifier's walk (``board/cr_tally.py``)."""


def accept(
    conduct: Conduct,
    kind: str,
    payload: Any,
    events: Callable[[], list[ev.Event]] | None = None,
    work: cr_tally.TallyWork | None = None,
) -> int:
    """Check a trustee's post and append it (call under the election's exclusive lock); returns its index.

    ``events`` gives the record (the coercion-resistant tally's steps are checked against it); ``work``, what the
    board keeps between those steps (``cr_tally.TallyWork``)."""
    if kind in turns.TRUSTEE_KINDS:
        return _accept_tally_step(conduct, kind, payload, events, work)
    step = STEPS.get(kind)
    if step is None:
        raise Refusal(404, f"step: unknown trustee step {kind!r} (known: {', '.join(sorted(KNOWN))})")
    if not isinstance(payload, dict):
        raise Refusal(400, f"body: expected a signed {kind} object")
    state = conduct.state
    if state.manifest is None:
        raise Refusal(409, "phase: out-of-order: the board holds no manifest")
    try:
        state.admit(kind)
    except PhaseError as exc:
        raise Refusal(409, f"phase: out-of-order: {exc}") from None
    index = authenticate(state, kind, payload, step.index_field)
    try:
        step.ready(state, payload, index)
    except PhaseError as exc:
        raise Refusal(409, f"phase: out-of-order: {exc}") from None
    except StepDone as exc:
        raise Refusal(409, f"{step.index_field}: step-already-done: {exc}") from None
    except ValueError as exc:
        raise Refusal(422, str(exc)) from None
    if set(payload) != step.fields:
        raise Refusal(422, f"{kind}: fields must be exactly {', '.join(sorted(step.fields))}")
    try:
        step.check(conduct, payload, index)
        if kind == ev.PARTIAL_DECRYPTION:
            conduct.post_partial(payload)
        else:
            conduct.post(kind, payload)
    except (ValueError, ProofError, G.GroupError) as exc:
        if isinstance(exc, PhaseError):
            raise Refusal(409, f"phase: out-of-order: {exc}") from None
        raise Refusal(422, str(exc)) from None
    return index


def _accept_tally_step(
    conduct: Conduct,
    kind: str,
    payload: Any,
    events: Callable[[], list[ev.Event]] | None,
    work: cr_tally.TallyWork | None,
) -> int:
    if not isinstance(payload, dict):
        raise Refusal(400, f"body: expected a signed {kind} object")
    if not cr_tally.is_coercion_resistant(conduct) or events is None:
        raise Refusal(409, f"phase: out-of-order: {kind} belongs to a coercion-resistant election's tally")
    index = authenticate(conduct.state, kind, payload, "trustee")
    cr_tally.accept_turn(conduct, events(), kind, payload, index, work)
    return index


def ceremony_state(state: ElectionState) -> dict[str, Any]:
    """Who has done which step: what ``GET /api/trustee/state`` returns and ``plebiscite trustee`` waits on."""
    announced, dealers = _announced(state), _dealers(state)
    trustees = []
    for i, key in enumerate(state.trustee_keys, start=1):
        trustees.append(
            {
                "index": i,
                "signing_key": key,
                "announced": i in announced,
                "dealt": i in dealers,
                "complaints_by": sorted(c["against"] for c in state.complaints if c["by"] == i),
                "complaints_against": sorted(c["by"] for c in state.complaints if c["against"] == i),
                "answered": sorted(r["to"] for r in state.reveals if r["from"] == i),
                "decrypted": i in state.partials,
            }
        )
    if state.phase != "setup" or state.roll:
        round_ = "closed"
    elif not state.shares:
        round_ = "announce"
    else:
        round_ = "deal"
    return {
        "phase": state.phase,
        "ceremony_round": round_,
        "trustees_needed": state.threshold,
        "trustees": trustees,
    }
