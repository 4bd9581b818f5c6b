"""The tamper suite: change one thing in a finished record; the verifier must fail with the named check."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import nacl.signing
import pytest

from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.model import ballot_from_json
from plebiscite.hazmat import group as G
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.setup.credentials import Credential
from plebiscite.verify.runner import verify_events

from .conftest import Election


def rebuild(events: list[ev.Event]) -> list[ev.Event]:
    return [ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)]


def edit(
    election: Election, kind: str, change: Callable[[dict[str, Any]], None], which: int = 0
) -> list[ev.Event]:
    events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in election.events]
    matching = [e for e in events if e.type == kind]
    change(matching[which].payload)
    return rebuild(events)


def failed(events: list[ev.Event]) -> list[str]:
    report = verify_events(events, workers=1)
    assert not report.ok
    return report.failed()


def resign(election: Election, payload: dict[str, Any]) -> None:
    """Sign a modified ballot with its voter's real credential (a malicious voting device)."""
    cred = next(c for c in election.credentials if c.public_key.hex() == payload["credential"])
    ballot = ballot_from_json(payload, branch_counts(election.ctx.layouts))
    payload["signature"] = cred.sign(ballot.election, ballot.content_bytes()).hex()


def other_element() -> str:
    return G.mul_base(G.random_scalar()).hex()


def test_untouched_record_verifies(election: Election) -> None:
    _, heads, board_key = store.read_all(election.path)
    report = verify_events(election.events, heads, workers=1, board_key=board_key)
    assert report.ok, report.failed()
    assert all(c.ran for c in report.checks)


def test_ballot_ciphertext(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["answers"][0]["choices"][0][1] = other_element()

    assert "ballot signatures" in failed(edit(election, ev.BALLOT, change))


def test_ballot_ciphertext_resigned_by_a_cheating_device(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["answers"][0]["choices"][0][1] = other_element()
        resign(election, p)

    names = failed(edit(election, ev.BALLOT, change))
    assert "ballot proofs" in names and "ballot signatures" not in names


def test_ballot_proof(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        z = p["answers"][1]["proofs"][2]["z"]
        z[0] = G.scalar_to_bytes(G.scalar_from_hex(z[0]) + 1).hex()
        resign(election, p)

    names = failed(edit(election, ev.BALLOT, change, which=3))
    assert "ballot proofs" in names and "ballot signatures" not in names


def test_ballot_sum_proof(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        c = p["answers"][2]["sum_proof"]["c"]
        c[0] = G.scalar_to_bytes(G.scalar_from_hex(c[0]) + 1).hex()
        resign(election, p)

    assert "ballot proofs" in failed(edit(election, ev.BALLOT, change))


def test_ballot_signature(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        sig = bytearray.fromhex(p["signature"])
        sig[0] ^= 1
        p["signature"] = sig.hex()

    assert "ballot signatures" in failed(edit(election, ev.BALLOT, change))


def test_ballot_from_a_credential_not_on_the_roll(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        stranger = Credential.generate("not-on-the-roll")
        p["credential"] = stranger.public_key.hex()
        ballot = ballot_from_json(p, branch_counts(election.ctx.layouts))
        p["signature"] = stranger.sign(ballot.election, ballot.content_bytes()).hex()

    assert "ballot eligibility" in failed(edit(election, ev.BALLOT, change))


def test_roll_entry(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["credentials"][0] = "ab" * 32
        p["credentials"].sort()

    assert "roll" in failed(edit(election, ev.ROLL, change))


def test_trustee_commitment(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["commitments"][1] = other_element()

    assert "trustee keys and proofs" in failed(edit(election, ev.TRUSTEE, change))


@pytest.mark.parametrize("key", ["signing_key", "box_key"])
def test_trustee_public_key_swapped(election: Election, key: str) -> None:
    """The announcement's keys are bound by the trustee's own proofs: a swapped key is caught at once."""

    def change(p: dict[str, Any]) -> None:
        p[key] = bytes(nacl.signing.SigningKey.generate().verify_key).hex()

    failures = failed(edit(election, ev.TRUSTEE, change, which=1))
    assert "trustee keys and proofs" in failures


def test_ballot_count_at_close(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["ballots"] += 1

    assert failed(edit(election, ev.CLOSE, change)) == ["unique ballots"]


def test_election_key(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["public_key"] = other_element()

    assert "election key" in failed(edit(election, ev.ELECTION, change))


def test_fingerprint(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["fingerprint"] = "00" * 32

    assert "fingerprint" in failed(edit(election, ev.ELECTION, change))


def test_manifest(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["manifest"]["questions"][0]["text"]["en"] = "Do you support annexation?"

    names = failed(edit(election, ev.MANIFEST, change))
    assert "fingerprint" in names or "trustee keys and proofs" in names


def test_aggregate(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["aggregate"][0][0][1] = other_element()

    assert "aggregation" in failed(edit(election, ev.TALLY, change))


def test_partial_decryption(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["shares"][0][0] = other_element()

    assert "partial decryptions" in failed(edit(election, ev.PARTIAL_DECRYPTION, change))


@pytest.mark.parametrize("value", ["2", None, True, -1])
def test_partial_decryption_trustee_field(election: Election, value: Any) -> None:
    def change(p: dict[str, Any]) -> None:
        p["trustee"] = value

    assert "partial decryptions" in failed(edit(election, ev.PARTIAL_DECRYPTION, change))


def test_combination(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["decrypted"][0][0] = other_element()

    assert "combination" in failed(edit(election, ev.RESULT, change))


def test_result_counts(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        counts = p["questions"][0]["counts"]
        counts["yes"] += 1
        counts["no"] -= 1

    assert failed(edit(election, ev.RESULT, change)) == ["result"]


def test_result_implicit_option_count(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["questions"][0]["counts"]["no"] += 5  # "no" is derived: ballots − yes

    assert failed(edit(election, ev.RESULT, change)) == ["result"]


def test_dropped_ballot(election: Election) -> None:
    events = list(election.events)
    last_ballot = max(i for i, e in enumerate(events) if e.type == ev.BALLOT)
    del events[last_ballot]
    names = failed(rebuild(events))
    assert "last-ballot rule" in names and "aggregation" in names


def test_duplicated_ballot(election: Election) -> None:
    events = list(election.events)
    first = next(i for i, e in enumerate(events) if e.type == ev.BALLOT)
    events.insert(first + 1, events[first])
    assert "unique ballots" in failed(rebuild(events))


def test_revote_counted_instead_of_the_last(election: Election) -> None:
    ballots = [e for e in election.events if e.type == ev.BALLOT]
    counts = branch_counts(election.ctx.layouts)
    decoded = [ballot_from_json(e.payload, counts) for e in ballots]
    creds = [b.credential for b in decoded]
    revoter = next(c for c in creds if creds.count(c) > 1)
    first_code = decoded[creds.index(revoter)].tracking_code()
    last_code = decoded[len(creds) - 1 - creds[::-1].index(revoter)].tracking_code()

    def change(p: dict[str, Any]) -> None:
        p["counted"] = [first_code if c == last_code else c for c in p["counted"]]

    assert "last-ballot rule" in failed(edit(election, ev.TALLY, change))


def test_challenged_ballot_opening(election: Election) -> None:
    def change(p: dict[str, Any]) -> None:
        p["opening"]["plaintexts"][0][0] ^= 1

    assert failed(edit(election, ev.CHALLENGE, change)) == ["challenged ballots"]


def test_challenged_ballot_also_cast(election: Election) -> None:
    events = list(election.events)
    challenge = next(e for e in events if e.type == ev.CHALLENGE)
    close_at = next(i for i, e in enumerate(events) if e.type == ev.CLOSE)
    events.insert(close_at, ev.make_event(0, ev.BALLOT, challenge.payload["ballot"]))
    assert "challenged ballots" in failed(rebuild(events))


def test_phase_order(election: Election) -> None:
    events = list(election.events)
    close_at = next(i for i, e in enumerate(events) if e.type == ev.CLOSE)
    ballot_at = max(i for i, e in enumerate(events) if e.type == ev.BALLOT)
    events[close_at], events[ballot_at] = events[ballot_at], events[close_at]
    assert "record format" in failed(rebuild(events))


@pytest.mark.parametrize("kind", [ev.RESULT, ev.TALLY])
def test_record_that_stops_early_is_not_verified(election: Election, kind: str) -> None:
    events = [e for e in election.events if e.type != kind and e.type != ev.RESULT]
    report = verify_events(rebuild(events), workers=1)
    assert not report.ok


@pytest.mark.parametrize("spelling", ["upper", "space"])
@pytest.mark.parametrize("field", ["choice", "commitment A", "challenge c", "signature"])
def test_ballot_hex_not_in_normal_form(election: Election, spelling: str, field: str) -> None:
    """The same ballot (same bytes, same signature) with its hex spelt otherwise: the board never writes that."""

    def respell(text: str) -> str:
        assert text != text.upper()  # has a letter to capitalise
        return text.upper() if spelling == "upper" else f"{text[:2]} {text[2:]}"

    def change(p: dict[str, Any]) -> None:
        proof = p["answers"][0]["proofs"][0]
        if field == "choice":
            p["answers"][0]["choices"][0][0] = respell(p["answers"][0]["choices"][0][0])
        elif field == "commitment A":
            proof["A"][1] = respell(proof["A"][1])
        elif field == "challenge c":
            proof["c"][0] = respell(proof["c"][0])
        else:
            p["signature"] = respell(p["signature"])

    # the line is not the board's, and the ballot itself is refused: hex has one spelling (docs/protocol.md §1)
    names = failed(edit(election, ev.BALLOT, change))
    assert names[:2] == ["record format", "ballot proofs"], names
