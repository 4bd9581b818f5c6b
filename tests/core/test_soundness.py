"""Issue 19's attacks on the standard mode, each refused by the producer, by ``check_ballot`` and by the verifier
with its own check: a second encoding of a ciphertext, a ciphertext with ``a`` = identity (the vote in clear), an
election key that is the identity, and events of another election mode.
"""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path

import nacl.public
import pytest

from plebiscite import elgamal
from plebiscite.ballot import encrypt as encrypt_module
from plebiscite.ballot.check import check_ballot
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import BallotError
from plebiscite.coercion import events as cev
from plebiscite.conduct import Conduct
from plebiscite.demo import random_selection
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.proofs import schnorr
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.signer import key_path
from plebiscite.record.signing import sign
from plebiscite.record.state import PhaseError
from plebiscite.setup.credentials import Credential, roll_hash
from plebiscite.setup.election import ElectionContext, fingerprint
from plebiscite.setup.samples import referendum
from plebiscite.verify.runner import verify_events

from .conftest import Election


def with_first_ciphertext(monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    """Make the voter's device produce its first ciphertext otherwise, then prove and sign it honestly."""
    honest = elgamal.encrypt
    calls = iter(range(1_000))

    def encrypt(public_key: bytes, m: int, r: int) -> elgamal.Ciphertext:
        if next(calls):
            return honest(public_key, m, r)
        if change == "top bit":
            ct = honest(public_key, m, r)
            return elgamal.Ciphertext(ct.a[:31] + bytes([ct.a[31] | 0x80]), ct.b)
        return elgamal.Ciphertext(G.IDENTITY, G.small_multiple_base(m))  # r = 0, and the proof uses r = 0

    real_random = G.random_scalar
    draws = iter(range(1_000))
    monkeypatch.setattr(encrypt_module.elgamal, "encrypt", encrypt)
    if change == "identity a":
        monkeypatch.setattr(G, "random_scalar", lambda: 0 if next(draws) == 0 else real_random())


def append_before_close(election: Election, ballot: dict) -> list[ev.Event]:  # type: ignore[type-arg]
    events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in election.events]
    close_at = next(i for i, e in enumerate(events) if e.type == ev.CLOSE)
    events.insert(close_at, ev.make_event(0, ev.BALLOT, ballot))
    return [ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)]


@pytest.mark.parametrize(
    ("change", "reason"),
    [("top bit", "bit 255"), ("identity a", "the identity (the vote would be in clear)")],
)
def test_signed_ballot_with_a_bad_ciphertext(
    election: Election, monkeypatch: pytest.MonkeyPatch, change: str, reason: str
) -> None:
    with_first_ciphertext(monkeypatch, change)
    cred = election.credentials[3]
    ballot, _ = encrypt_ballot(election.ctx, cred, random_selection(election.ctx.manifest, random.Random(1)))
    monkeypatch.undo()
    with pytest.raises(BallotError, match=re.escape("ballot.answers[0].choices[0]")):
        check_ballot(ballot.to_json(), election.ctx)
    with pytest.raises(BallotError, match=re.escape(reason)):
        check_ballot(ballot.to_json(), election.ctx)
    report = verify_events(append_before_close(election, ballot.to_json()), workers=1)
    check = report.by_name("ballot proofs")
    assert not check.ok and any(reason in f for f in check.failures), report.failed()


def test_producer_never_encrypts_with_zero_randomness() -> None:
    with pytest.raises(G.GroupError, match="randomness is zero"):
        elgamal.encrypt(G.GENERATOR, 1, 0)


def _publish_identity_key(conduct: Conduct, trustees: list[Trustee], threshold: int) -> list[ev.Event]:
    """Publish an election event as a cheating organiser would, with the key the commitments give (the identity);
    the producer must refuse to open such an election. Returns the record for the verifier."""
    manifest = conduct.state.manifest
    assert manifest is not None and conduct.state.manifest_payload is not None
    creds = [Credential.generate(manifest.election_id) for _ in range(2)]
    with pytest.raises(ValueError, match="key ceremony failed"):
        conduct.register([c.public_key for c in creds])  # the roll would close a failed ceremony
    conduct.post(ev.ROLL, {"credentials": sorted(c.public_key.hex() for c in creds)})  # the cheat does it
    with pytest.raises(ValueError, match="key ceremony failed"):
        conduct.open_voting()
    points = {
        int(a["index"]): [G.element_from_hex(c) for c in a["commitments"]]
        for a in conduct.state.announcements
    }
    key = G.IDENTITY
    for cs in points.values():
        key = G.add(key, cs[0])
    assert key == G.IDENTITY
    digest = roll_hash(conduct.state.roll)
    fp = fingerprint(conduct.state.manifest_payload, points, key, digest)
    vks = {j: key for j in range(1, len(trustees) + 1)}
    roll = frozenset(conduct.state.roll)
    ctx = ElectionContext(manifest, len(trustees), threshold, fp, key, roll, vks, tuple(sorted(points)))
    conduct.post(ev.ELECTION, ctx.election_payload(digest))
    return store.read(conduct.sink.path)  # type: ignore[attr-defined]


def zero_secret_announcement(t: Trustee, fp: bytes) -> dict[str, object]:
    """What a trustee's own ``announce`` refuses to make: a_0 = 0, with an honest proof of knowing it."""
    signing_key = t.signing_key.verify_key.encode()
    box_key = nacl.public.PrivateKey(t.box_secret).public_key.encode()
    context = ceremony.coefficient_context(t.index, 0, signing_key, box_key)
    payload = {
        "index": t.index,
        "signing_key": signing_key.hex(),
        "box_key": box_key.hex(),
        "commitments": [G.IDENTITY.hex()],
        "proofs": [schnorr.prove(0, G.IDENTITY, fp, context).to_json()],
    }
    return sign("trustee", payload, t.signing_key)


def test_trustee_with_a_zero_polynomial(tmp_path: Path) -> None:
    """One trustee, honestly proving knowledge of 0: its key share is the identity, so is the election key."""
    t = Trustee.new(1, 1, 1)
    t.coefficients = [0]
    with pytest.raises(ValueError, match="secret coefficient is zero"):
        t.announce(b"\0" * 32)
    conduct = Conduct.create_record(tmp_path / "r", referendum("identity-key"), [t.identity], 1)
    conduct.post(ev.TRUSTEE, zero_secret_announcement(t, conduct.ceremony_fingerprint))
    report = verify_events(_publish_identity_key(conduct, [t], 1), workers=1)
    keys = report.by_name("trustee keys and proofs")
    assert not keys.ok and any("commitments[0]: the identity" in f for f in keys.failures), keys.failures
    assert not report.by_name("election key").ok


def test_colluding_trustees_cancel_the_election_key(tmp_path: Path) -> None:
    """Each share is fine alone; together they sum to the identity: every vote would be readable."""
    secret = G.random_scalar()
    t1, t2 = Trustee.new(1, 2, 1), Trustee.new(2, 2, 1)
    t1.coefficients, t2.coefficients = [secret], [G.ORDER - secret]
    conduct = Conduct.create_record(tmp_path / "r", referendum("identity-key"), [t1.identity, t2.identity], 1)
    with pytest.raises(ValueError, match="key ceremony failed: election key: the identity"):
        conduct.run_ceremony([t1, t2])
    report = verify_events(_publish_identity_key(conduct, [t1, t2], 1), workers=1)
    assert report.by_name("trustee keys and proofs").ok
    key = report.by_name("election key")
    assert not key.ok and any("election key: the identity" in f for f in key.failures), key.failures
    outcome = ceremony.outcome(["00" * 32, "11" * 32], 1, b"\0" * 32, [], [], [], [])
    assert outcome.key_problems == []  # no trustee at all is "too few trustees", not an identity key


def test_standard_record_with_a_coercion_event(election: Election, tmp_path: Path) -> None:
    events = list(election.events)
    close_at = next(i for i, e in enumerate(events) if e.type == ev.CLOSE)
    events.insert(close_at + 1, ev.make_event(0, cev.DEDUP, {"kept": []}))
    report = verify_events([ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)], workers=1)
    fmt = report.by_name("record format")
    assert not fmt.ok and any("does not belong in a standard election" in f for f in fmt.failures), (
        fmt.failures
    )


def test_writer_refuses_another_mode_s_event(election: Election, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(election.path, tmp_path / "r")
    shutil.copy(key_path(election.path), key_path(tmp_path / "r"))
    conduct = Conduct.open_record(tmp_path / "r")
    before = (tmp_path / "r" / "events.jsonl").read_bytes()
    with pytest.raises(PhaseError, match="does not belong in a standard election"):
        conduct.post(cev.DEDUP, {"kept": []})
    assert (tmp_path / "r" / "events.jsonl").read_bytes() == before


def test_nobody_can_stand_in_for_a_named_trustee(election: Election) -> None:
    """The board (or anyone) replaces trustee 2's announcement with one of its own: valid proofs, its own key,
    signed by it. The manifest event names trustee 2's real key, so the stand-in is refused by name."""
    manifest = next(e for e in election.events if e.type == ev.MANIFEST).payload
    cfp = ceremony.ceremony_fingerprint(ev.canonical_json(manifest), 3, 2)
    impostor = Trustee.new(2, 3, 2).announce(cfp)
    events = [
        ev.Event(e.index, e.type, impostor, e.raw) if e.type == ev.TRUSTEE and e.payload["index"] == 2 else e
        for e in election.events
    ]
    report = verify_events([ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)], workers=1)
    keys = report.by_name("trustee keys and proofs")
    assert not keys.ok and any(
        "not the key the manifest event names for trustee 2" in f for f in keys.failures
    )
    with pytest.raises(ValueError, match="does not name this trustee's key"):
        Trustee.new(2, 3, 2).check_named(manifest["trustee_keys"])


def test_manifest_event_must_name_every_trustee(election: Election) -> None:
    events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in election.events]
    del events[0].payload["trustee_keys"]
    report = verify_events([ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)], workers=1)
    assert any("trustee_keys" in f for f in report.by_name("parameters").failures), report.failed()


def test_decrypt_refuses_a_share_of_another_election_under_the_same_key(
    election: Election, tmp_path: Path
) -> None:
    """A trustee who reuses its identity key across elections and brings the other election's share: the key is
    named, but the share is not this election's; refused before anything is written (issue 17)."""
    import dataclasses

    tallied = [e for e in election.events if e.type not in (ev.PARTIAL_DECRYPTION, ev.RESULT)]
    store.write_record(tmp_path / "r", tallied)
    conduct = Conduct.open_record(tmp_path / "r")
    trustee = next(t for t in election.trustees if t.share is not None)
    assert trustee.share is not None
    other = dataclasses.replace(trustee, share=(trustee.share + 1) % G.ORDER)
    before = (tmp_path / "r" / "events.jsonl").read_bytes()
    with pytest.raises(ValueError, match="not a share of this election's key"):
        conduct.decrypt(other)
    assert (tmp_path / "r" / "events.jsonl").read_bytes() == before
