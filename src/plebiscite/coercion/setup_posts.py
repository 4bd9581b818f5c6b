"""The coercion-resistant setup events posted to a running board: the registrar's MAC key and the encrypted roll.

The registrar works on its own machine (``coercion/registrar_service.py``); the board only receives what the
verifier checks anyway — the ``cr-mac-key`` payload (signed by the registrar, Schnorr proofs of its commitments, a
box for every qualified trustee) and the roll entries ``(Y, Enc(V))`` — and checks them with the verifier's own
functions before appending, so a refused post writes nothing.
"""

from __future__ import annotations

from typing import Any

from plebiscite.coercion import events as cev
from plebiscite.coercion.codec import CoercionError, ciphertext, element
from plebiscite.coercion.credentials import MacKey, decode_mac_key, roll_payloads
from plebiscite.conduct import Conduct
from plebiscite.record import events as ev
from plebiscite.record.state import PhaseError


def _require_mode(conduct: Conduct) -> None:
    manifest = conduct.state.manifest
    if manifest is None or manifest.mode != cev.MODE:
        raise PhaseError("not a coercion-resistant election")
    conduct.state.require("setup")


def mac_key_of(conduct: Conduct, events: list[ev.Event]) -> MacKey | None:
    """The MAC key the record's ``cr-mac-key`` event publishes (None before it), checked."""
    found = [e.payload for e in events if e.type == cev.MAC_KEY]
    if not found:
        return None
    outcome = conduct.ceremony_outcome()
    return decode_mac_key(
        found[0], conduct.state.threshold, tuple(outcome.qualified), conduct.ceremony_fingerprint
    )


def post_mac_key(conduct: Conduct, events: list[ev.Event], payload: Any) -> MacKey:
    """Check and append the registrar's ``cr-mac-key`` (after a successful ceremony, once)."""
    _require_mode(conduct)
    if not isinstance(payload, dict):
        raise CoercionError("cr-mac-key: expected an object")
    if mac_key_of(conduct, events) is not None:
        raise PhaseError("the registrar's MAC key is already on the board")
    outcome = conduct.ceremony_outcome()  # refuses a failed ceremony
    key = decode_mac_key(
        payload, conduct.state.threshold, tuple(outcome.qualified), conduct.ceremony_fingerprint
    )
    conduct.post(cev.MAC_KEY, payload)
    return key


def post_roll(conduct: Conduct, events: list[ev.Event], entries: Any) -> int:
    """Check and append the encrypted roll (``cr-roll``) and its digests (the standard ``roll``)."""
    _require_mode(conduct)
    key = mac_key_of(conduct, events)
    if key is None:
        raise PhaseError("the registrar's MAC key must be on the board before the roll")
    if any(e.type == cev.ROLL for e in events) or conduct.state.roll:
        raise PhaseError("the roll is already published")
    if not isinstance(entries, list) or not entries:
        raise CoercionError("entries: expected a non-empty list of {voter_key, credential}")
    decoded = []
    for i, item in enumerate(entries):
        if not isinstance(item, dict) or set(item) != {"voter_key", "credential"}:
            raise CoercionError(f"entries[{i}]: expected keys voter_key and credential")
        decoded.append(
            (
                element(item["voter_key"], f"entries[{i}].voter_key"),
                ciphertext(item["credential"], f"entries[{i}].credential"),
            )
        )
    payload, digests = roll_payloads(key, decoded)
    conduct.ceremony_outcome()  # the standard roll closes the ceremony: it must have succeeded
    conduct.post(cev.ROLL, payload)
    conduct.register(digests)
    return len(decoded)
