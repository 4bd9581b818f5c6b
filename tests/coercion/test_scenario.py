"""The door-to-door scenario and what can be tested of indistinguishability."""

from __future__ import annotations

import json
from pathlib import Path

from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import check_ballot, encrypt_ballot
from plebiscite.coercion.credentials import Credential
from plebiscite.coercion.demo import coercer_choice, run_coercion_demo
from plebiscite.coercion.verify_stage import CHECKS
from plebiscite.hazmat import group as G
from plebiscite.record import events as ev
from plebiscite.verify.runner import verify_events, verify_record

from .conftest import CrElection, open_election


def test_door_to_door(tmp_path: Path) -> None:
    """N voters, C coerced: the tally counts exactly the real votes, and the record verifies."""
    outcome = run_coercion_demo(tmp_path / "r", voters=10, coerced=3, seed=11, workers=1)
    details = outcome.extra["coercion"]
    assert outcome.result == outcome.expected
    would = [details["if_coercion_had_worked"][q["id"]] for q in outcome.expected]
    assert would != outcome.expected  # the coercer's choices differ from the real ones, and did not count
    assert details["fake_credentials_passed_coercer_checks"] == 3
    assert details["ballots_counted"] == 10
    assert details["ballots_cast"] == 10 + details["fake_ballots"] + details["revotes"]
    report = verify_record(tmp_path / "r", 1)
    assert report.ok, report.failed()
    assert all(report.by_name(name).ran for name in (*CHECKS, "aggregation", "partial decryptions", "result"))


def test_parallel_verifier_agrees(cr_election: CrElection) -> None:
    report = verify_events(cr_election.events, workers=2)
    assert report.ok, report.failed()


def test_fake_passes_every_coercer_check(cr_election: CrElection) -> None:
    e = cr_election
    key, mac, cfp = e.ctx.public_key, e.mac.public, e.ceremony_fp
    real, fake = e.credentials[0], e.fakes[0]
    sizes: list[int] = []
    for cred in (real, fake):
        cred.check(key, mac, cfp)  # the designated-verifier proof verifies for both
        assert any(
            x.type == cev.ROLL
            and {"voter_key": cred.voter_key.hex(), "credential": cred.entry.to_json()}
            in x.payload["entries"]
            for x in e.events
        )
        ballot, _ = encrypt_ballot(e.ctx, cred, coercer_choice(e.ctx.manifest))
        check_ballot(ballot.to_json(), e.ctx)  # the board accepts a ballot cast with either
        sizes.append(len(ev.canonical_json(ballot.to_json())))
    assert sizes[0] == sizes[1]  # ballots cast with either have the same size on the board
    # same file shape, field by field, and the same sizes
    a, b = real.to_json(), fake.to_json()
    assert a.keys() == b.keys()
    assert {k: len(json.dumps(v)) for k, v in a.items()} == {k: len(json.dumps(v)) for k, v in b.items()}
    assert Credential.from_json(b) == fake
    assert real.sigma != fake.sigma and real.element != fake.element


def test_any_number_of_fakes(cr_election: CrElection) -> None:
    e = cr_election
    fakes = [
        e.credentials[2].fake(e.voter_keys[2], e.ctx.public_key, e.mac.public, e.ceremony_fp)
        for _ in range(5)
    ]
    for f in fakes:
        f.check(e.ctx.public_key, e.mac.public, e.ceremony_fp)
    assert len({f.element for f in fakes}) == 5


def test_only_the_voter_can_fake(cr_election: CrElection) -> None:
    """A fake proof needs the voter's own secret; someone else's key gives a proof that fails."""
    import pytest

    from plebiscite.coercion.codec import CoercionError
    from plebiscite.coercion.credentials import VoterKey

    e = cr_election
    with pytest.raises(CoercionError, match="voter key does not match"):
        e.credentials[0].fake(e.voter_keys[1], e.ctx.public_key, e.mac.public, e.ceremony_fp)
    stranger = VoterKey(e.voter_keys[0].election_id, G.random_scalar())
    forged = e.credentials[0].fake(e.voter_keys[0], e.ctx.public_key, e.mac.public, e.ceremony_fp)
    from plebiscite.coercion import dvproof

    bad = dvproof.simulate(forged.statement(e.ctx.public_key, e.mac.public), stranger.secret, e.ceremony_fp)
    with pytest.raises(CoercionError, match="challenges do not add up"):
        Credential(
            forged.election_id, forged.voter_key, forged.entry, forged.sigma, forged.element, bad
        ).check(e.ctx.public_key, e.mac.public, e.ceremony_fp)


def test_dv_proof_distribution_looks_alike(cr_election: CrElection) -> None:
    """Real and fake proofs are uniformly random scalars constrained only by c1 + c2 = H(…): check some moments."""
    e = cr_election
    fakes = [
        e.credentials[0].fake(e.voter_keys[0], e.ctx.public_key, e.mac.public, e.ceremony_fp)
        for _ in range(40)
    ]
    for field in ("c1", "c2", "z1", "z2", "z3"):
        top_bits = [getattr(f.proof, field) >> 251 for f in fakes]
        assert 0 < sum(top_bits) < 40  # both halves of the scalar range occur, as for the registrar's proofs


def _tags(events: list, kind: str, field: str | None) -> list[bytes]:
    last = [x for x in events if x.type == kind][-1].payload
    value = last[field]["b"] if field else last["b"]
    return [bytes.fromhex(t) for t in value]


def test_related_credential_attack_is_defeated(tmp_path: Path) -> None:
    """A coercer casts ballots with V' and 2·V'. Raw deterministic tags keep the relation (the pre-mix duplicate
    tags show T and 2T); after the MAC fold no matching tag is twice another, so nothing links back to V'."""
    e = _election_with_extra(tmp_path / "r", doubled_factor=2)
    dedup = _tags(e.events, cev.DEDUP_PASS, None)
    assert any(G.add(t, t) == u for t in dedup for u in dedup)  # the relation is there before the fold …
    match = _tags(e.events, cev.MATCH_PASS, None)
    assert not any(G.add(t, t) == u for t in match for u in match)  # … and gone after it
    assert verify_events(e.events, workers=1).ok


def _election_with_extra(path: Path, doubled_factor: int) -> CrElection:
    import random

    from plebiscite.demo import random_selection
    from plebiscite.record import store

    rng = random.Random(3)
    o = open_election(path, "test-related", 4, extra_questions=False)
    cc, manifest, ctx, trustees, registrar, mac = o.cc, o.manifest, o.ctx, o.trustees, o.registrar, o.mac
    vks, creds = o.voter_keys, o.credentials
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    fake = creds[0].fake(vks[0], key, mac.public, cfp)
    related = Credential(
        fake.election_id,
        fake.voter_key,
        fake.entry,
        fake.sigma * doubled_factor % G.ORDER,
        G.mul(fake.element, doubled_factor),
        fake.proof,
    )
    tally_set = o.tally_set(trustees[:2])
    cc.precompute(tally_set, 1)
    for cred in (fake, related, *creds):
        cc.cast(encrypt_ballot(ctx, cred, random_selection(manifest, rng))[0].to_json())
    cc.close()
    cc.tally(tally_set, 1)
    for t in trustees[:2]:
        cc.decrypt(t)
    cc.combine()
    return CrElection(path, store.read(path), ctx, mac, cfp, trustees, registrar, vks, creds, {0: fake})
