"""The roll precomputation: posted while voting runs, required and reused by the tally after close, verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import encrypt_ballot, tally_view
from plebiscite.coercion.conduct import CoercionConduct
from plebiscite.coercion.demo import coercer_choice
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.tags import _jobs
from plebiscite.coercion.trustees import TallyTrustee
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record.state import PhaseError
from plebiscite.verify.runner import verify_events

from .conftest import CrElection, open_election
from .test_tamper import assert_fails, copied, rebuild, verify


def _open(path: Path) -> tuple[CoercionConduct, list[Trustee], list[TallyTrustee]]:
    o = open_election(path, "test-precompute", 3, extra_questions=False)
    for cred in o.credentials:
        o.cc.cast(encrypt_ballot(o.ctx, cred, coercer_choice(o.manifest))[0].to_json())
    return o.cc, o.trustees, o.tally_set(o.trustees)


def test_tally_needs_the_precomputation(tmp_path: Path) -> None:
    cc, _, tts = _open(tmp_path / "r")
    cc.close()
    with pytest.raises(PhaseError, match="precomputation"):
        cc.tally(tts[1:], 1)
    with pytest.raises(PhaseError, match="voting"):
        cc.precompute(tts[1:], 1)  # too late: after close it would come after the ballots' phase


def test_tally_set_is_fixed_by_the_precomputation(tmp_path: Path) -> None:
    cc, _, tts = _open(tmp_path / "r")
    cc.precompute(tts[1:], 1)
    with pytest.raises(PhaseError, match="already"):
        cc.precompute(tts[:2], 1)
    cc.close()
    with pytest.raises(ValueError, match="precomputation's"):
        cc.tally(tts[:2], 1)


def test_reopened_record_tallies_from_the_recorded_precomputation(tmp_path: Path) -> None:
    cc, trustees, tts = _open(tmp_path / "r")
    cc.precompute(tts[1:], 1)
    cc.close()
    again = CoercionConduct.open_record(tmp_path / "r")
    assert again.precomputed == cc.precomputed
    again.tally(tts[1:], 1)  # the trustees kept their secret tag keys
    for t in trustees[1:]:
        again.decrypt(t)
    again.combine()
    from plebiscite.record import store

    assert verify_events(store.read(tmp_path / "r"), workers=1).ok


def test_missing_roll_tags_fail_their_check(cr_election: CrElection) -> None:
    events = copied(cr_election)
    drop = [i for i, x in enumerate(events) if x.type == cev.ROLL_TAGS][-1]
    assert_fails(verify(events[:drop] + events[drop + 1 :]), "cr: roll tags", "cr-roll-tags events")


def test_missing_precomputation_fails_the_keys_check(cr_election: CrElection) -> None:
    kinds = (cev.PRECOMPUTE, cev.TALLY_KEYS, cev.ROLL_SHUFFLE, cev.ROLL_TAGS)
    events = [x for x in copied(cr_election) if x.type not in kinds]
    assert_fails(verify(events), "cr: tally trustees and keys", "cr-precompute events")


def test_precomputation_after_close_is_out_of_order(cr_election: CrElection) -> None:
    events = copied(cr_election)
    pre = next(i for i, x in enumerate(events) if x.type == cev.PRECOMPUTE)
    close = next(i for i, x in enumerate(events) if x.type == "close")
    moved = events[:pre] + events[pre + 1 : close + 1] + [events[pre]] + events[close + 1 :]
    report = verify_events(rebuild(moved), workers=1)
    assert not report.ok
    assert any("after a later phase" in f for c in report.checks for f in c.failures)


def test_lean_ballot_view_matches_the_full_decoding(cr_election: CrElection) -> None:
    ballot, _ = encrypt_ballot(
        cr_election.ctx, cr_election.credentials[0], coercer_choice(cr_election.ctx.manifest)
    )
    assert tally_view(ballot.to_json()) == ballot.view()
    short = ballot.to_json()
    short["credential"] = [short["credential"][0][:-2], short["credential"][1]]
    with pytest.raises(G.GroupError, match="32 bytes"):
        tally_view(short)


@pytest.mark.parametrize("count", [1, 5, 10, 11, 98])
def test_chunk_jobs_are_balanced(count: int) -> None:
    jobs = _jobs(Workers(2), count)
    assert [i for job in jobs for i in job] == list(range(count))
    assert max(map(len, jobs)) - min(map(len, jobs)) <= 1
