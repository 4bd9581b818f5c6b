"""Batched ``b`` equations (proofs/range.py ``BBatch``) and the verifier's batched first pass.

A proof whose Fiat–Shamir hash and ``a`` equations hold but whose ``b`` equation does not (what a device that
encrypts a 2 as a yes/no vote can produce) passes :func:`verify_deferring_b` and must make its batch fail; the
verifier must then name the ballot through its strict pass.
"""

from __future__ import annotations

import copy
import random
import secrets
from pathlib import Path
from typing import Any

import pytest

import plebiscite.conduct as conduct_module
from plebiscite import elgamal
from plebiscite.ballot.check import branch_counts, option_context
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import Answer, Ballot, BallotError, ballot_from_json
from plebiscite.conduct import Conduct, cast_ballots
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.proofs import range as range_proof
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.range import BBatch, RangeProof
from plebiscite.proofs.transcript import challenge
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.setup.credentials import Credential
from plebiscite.setup.samples import referendum
from plebiscite.verify import standard
from plebiscite.verify.runner import verify_events

from .conftest import Election

FP = bytes(range(32))
CTX = b"voter"
KEY = G.mul_base(G.random_scalar())


def forged(
    key: bytes, ct: Ciphertext, real: int, r: int, delta: bytes, context: bytes = CTX, fingerprint: bytes = FP
) -> RangeProof:
    """A [0, 1] proof made as an honest prover would, claiming branch ``real``, with ``B_real`` off by ``delta``.

    The hash and both ``a`` equations hold; the ``b`` equation of branch ``real`` is off by ``delta`` (and, when
    ``ct`` does not encrypt ``real``, by ``c_real·(m − real)·G`` more).
    """
    other = 1 - real
    cs, zs = [0, 0], [0, 0]
    commit_a, commit_b = [b""] * 2, [b""] * 2
    cs[other], zs[other] = G.random_scalar(), G.random_scalar()
    shifted = G.sub(ct.b, G.small_multiple_base(other))
    commit_a[other] = G.sub(G.mul_base(zs[other]), G.mul(ct.a, cs[other]))
    commit_b[other] = G.sub(G.mul(key, zs[other]), G.mul(shifted, cs[other]))
    w = G.random_scalar()
    commit_a[real] = G.mul_base(w)
    commit_b[real] = G.add(G.mul(key, w), delta)
    c = challenge(
        range_proof.TAG,
        fingerprint,
        context,
        [G.GENERATOR, key, ct.a, ct.b, (0).to_bytes(8, "big"), (1).to_bytes(8, "big")],
        [commit_a[0], commit_b[0], commit_a[1], commit_b[1]],
    )
    cs[real] = (c - cs[other]) % G.ORDER
    zs[real] = (w + cs[real] * r) % G.ORDER
    return RangeProof(tuple(commit_a), tuple(commit_b), tuple(cs), tuple(zs))


def honest(m: int) -> tuple[Ciphertext, RangeProof]:
    r = G.random_scalar()
    ct = elgamal.encrypt(KEY, m, r)
    return ct, range_proof.prove(KEY, ct, m, r, 0, 1, FP, CTX)


def defer(batch: BBatch, ct: Ciphertext, proof: RangeProof) -> None:
    batch.add(range_proof.verify_deferring_b(proof, KEY, ct, 0, 1, FP, CTX, batch.fold))


def sum_b(cts: list[Ciphertext]) -> bytes:
    total = G.IDENTITY
    for ct in cts:
        total = G.add(total, ct.b)
    return total


@pytest.mark.parametrize("fold", [False, True])
def test_honest_proofs_close_to_the_identity_or_the_sum(fold: bool) -> None:
    pairs = [honest(m) for m in (0, 1, 1, 0, 1)]
    batch = BBatch(fold)
    for ct, proof in pairs:
        defer(batch, ct, proof)
    assert batch.count == 5
    assert batch.close(KEY) == (sum_b([ct for ct, _ in pairs]) if fold else G.IDENTITY)
    assert BBatch(fold).close(KEY) == G.IDENTITY


@pytest.mark.parametrize("real", [0, 1])
@pytest.mark.parametrize("fold", [False, True])
def test_a_false_b_equation_passes_the_deferred_check_and_fails_the_batch(real: int, fold: bool) -> None:
    r = G.random_scalar()
    ct = elgamal.encrypt(KEY, real, r)
    bad = forged(KEY, ct, real, r, G.GENERATOR)
    with pytest.raises(ProofError, match="equation on b"):
        range_proof.verify(bad, KEY, ct, 0, 1, FP, CTX)
    pairs = [honest(1), honest(0), (ct, bad), honest(1)]
    batch = BBatch(fold)
    for c, p in pairs:
        defer(batch, c, p)  # no error: the b equation is only in the batch
    assert batch.close(KEY) != (sum_b([c for c, _ in pairs]) if fold else G.IDENTITY)


def test_a_two_encrypted_as_a_yes_no_vote_fails_the_batch() -> None:
    r = G.random_scalar()
    ct = elgamal.encrypt(KEY, 2, r)
    bad = forged(KEY, ct, 1, r, G.IDENTITY)
    batch = BBatch(True)
    defer(batch, ct, bad)
    assert batch.close(KEY) != ct.b


def test_errors_that_cancel_with_equal_weights_are_caught_by_the_secret_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two proofs off by +G and −G: a plain sum of the equations hides them; the per-proof weights do not."""
    pairs = []
    for delta in (G.GENERATOR, G.neg(G.GENERATOR)):
        r = G.random_scalar()
        ct = elgamal.encrypt(KEY, 1, r)
        pairs.append((ct, forged(KEY, ct, 1, r, delta)))

    def run() -> bytes:
        batch = BBatch(False)
        for ct, proof in pairs:
            defer(batch, ct, proof)
        return batch.close(KEY)

    assert run() != G.IDENTITY
    monkeypatch.setattr(secrets, "randbits", lambda bits: 1)  # what the weights protect against
    assert run() == G.IDENTITY


def test_a_false_a_equation_is_refused_at_once_and_leaves_the_batch_untouched() -> None:
    ct, proof = honest(1)
    bad = RangeProof(
        proof.commit_a, proof.commit_b, proof.challenges, (proof.responses[0] + 1, proof.responses[1])
    )
    batch = BBatch(False)
    with pytest.raises(ProofError):
        range_proof.verify_deferring_b(bad, KEY, ct, 0, 1, FP, CTX, False)
    assert batch.count == 0 and batch.point == G.IDENTITY


def test_an_invalid_element_is_refused_by_the_deferred_check() -> None:
    ct, proof = honest(0)
    broken = RangeProof(proof.commit_a, (proof.commit_b[0], b"\xff" * 32), proof.challenges, proof.responses)
    with pytest.raises(ProofError):
        range_proof.verify_deferring_b(broken, KEY, ct, 0, 1, FP, CTX, True)


# --- the verifier's two passes ---


def count_passes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The reference engine's two passes (the native engine's single pass: tests/native/)."""
    monkeypatch.setenv("PLEBISCITE_ENGINE", "reference")
    passes: list[bool] = []
    original = standard.check_all

    def spy(job: Any, ballots: Any, workers: Any, *more: Any) -> Any:
        passes.append(job.batched)
        return original(job, ballots, workers, *more)

    monkeypatch.setattr(standard, "check_all", spy)
    return passes


def test_a_sound_record_needs_only_the_batched_pass(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fixture has revotes and a challenge: ballots that pass but do not count are taken out of the sums."""
    passes = count_passes(monkeypatch)
    report = verify_events(election.events, workers=1)
    assert report.ok, report.failed()
    assert passes == [True]


def test_a_record_before_its_tally_needs_only_the_batched_pass(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes = count_passes(monkeypatch)
    close = next(i for i, e in enumerate(election.events) if e.type == ev.CLOSE)
    report = verify_events(election.events[: close + 1], workers=1)
    assert report.failed() == []  # (not "ok": a record without its result is not a verified election)
    assert report.by_name("ballot proofs").items > 0
    assert passes == [True]


def test_a_wrong_aggregate_is_named_by_the_strict_pass(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes = count_passes(monkeypatch)
    events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in election.events]
    tally = next(e for e in events if e.type == ev.TALLY)
    tally.payload["aggregate"][0][0][1] = G.mul_base(G.random_scalar()).hex()
    events = [ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)]
    report = verify_events(events, workers=1)
    assert "aggregation" in report.failed()
    assert "ballot proofs" not in report.failed()
    assert passes == [True, False]


def test_a_cheating_device_two_vote_counted_by_an_honest_organiser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A yes/no ballot that encrypts 2, signed by its voter's credential, accepted by a board that skipped proofs
    and counted: only its b equation is false, so the batched pass alone cannot say which ballot it is."""
    manifest = referendum("batch-test", extra_questions=False)
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    conduct = Conduct.create_record(tmp_path / "r", manifest, [t.identity for t in trustees], 2)
    conduct.run_ceremony(trustees)
    creds = [Credential.generate(manifest.election_id) for _ in range(5)]
    conduct.register([c.public_key for c in creds])
    ctx = conduct.open_voting()
    rng = random.Random(3)
    for cred in creds[1:]:
        conduct.cast(encrypt_ballot(ctx, cred, {"q1": [rng.choice(["yes", "no"])]})[0].to_json())
    template = encrypt_ballot(ctx, creds[0], {"q1": ["yes"]})[0]
    r = G.random_scalar()
    ct = elgamal.encrypt(ctx.public_key, 2, r)
    context = option_context(creds[0].public_key, 0, 0)
    proof = forged(ctx.public_key, ct, 1, r, G.IDENTITY, context, ctx.fingerprint)
    unsigned = Ballot(template.election, template.credential, (Answer((ct,), (proof,), None),), bytes(64))
    signature = creds[0].sign(unsigned.election, unsigned.content_bytes())
    bad = Ballot(unsigned.election, unsigned.credential, unsigned.answers, signature)
    with pytest.raises(BallotError, match="equation on b"):
        conduct.cast(bad.to_json())  # the real board refuses it
    monkeypatch.setattr(
        conduct_module, "check_ballot", lambda v, c: ballot_from_json(v, branch_counts(c.layouts))
    )
    conduct.cast(bad.to_json())
    monkeypatch.undo()
    conduct.close()
    conduct.tally(cast_ballots(store.read(tmp_path / "r"), ctx))
    conduct.decrypt(trustees[0])
    conduct.decrypt(trustees[1])
    conduct.combine()
    passes = count_passes(monkeypatch)
    events = store.read(tmp_path / "r")
    report = verify_events(events, workers=1)
    assert passes == [True, False]
    assert "ballot proofs" in report.failed()
    index = next(
        e.index
        for e in events
        if e.type == ev.BALLOT and e.payload["credential"] == creds[0].public_key.hex()
    )
    [failure] = report.by_name("ballot proofs").failures
    assert f"event {index}" in failure and "equation on b" in failure
    # an invalid ballot never counts, so the organiser's tally (which counted it) is wrong twice over:
    assert report.failed() == ["ballot proofs", "last-ballot rule", "aggregation", "result"]

    passes.clear()  # the same record before its tally: the batches alone (no sums) must catch it too
    close = next(i for i, e in enumerate(events) if e.type == ev.CLOSE)
    report = verify_events(events[: close + 1], workers=1)
    assert passes == [True, False]
    assert report.failed() == ["ballot proofs"]


def test_chunks_on_two_workers_add_up(election: Election, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sums from several chunks (merged) confirm a sound record and still expose a wrong aggregate."""
    from plebiscite.verify import ballots as verify_ballots

    monkeypatch.setattr(verify_ballots, "PARALLEL_FROM", 2)
    monkeypatch.setattr(verify_ballots, "CHUNK_MIN", 2)  # several chunks even for the fixture's few ballots
    passes = count_passes(monkeypatch)
    report = verify_events(election.events, workers=2)
    assert report.ok, report.failed()
    assert passes == [True]
    events = [ev.Event(e.index, e.type, copy.deepcopy(e.payload), e.raw) for e in election.events]
    tally = next(e for e in events if e.type == ev.TALLY)
    tally.payload["aggregate"][0][0][0] = G.mul_base(G.random_scalar()).hex()
    report = verify_events([ev.make_event(i, e.type, e.payload) for i, e in enumerate(events)], workers=2)
    assert "aggregation" in report.failed() and "ballot proofs" not in report.failed()
    assert passes == [True, True, False]


class CountingJob:
    """Counts how often the verifier's job is pickled (in this process, which sends it)."""

    pickled = 0


def test_the_job_goes_to_each_worker_once_not_with_every_chunk(
    election: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    from plebiscite.verify import ballots as verify_ballots

    monkeypatch.setattr(verify_ballots, "PARALLEL_FROM", 2)
    monkeypatch.setattr(verify_ballots, "CHUNK_MIN", 1)  # one chunk per ballot: many tasks
    original = verify_ballots.BallotJob.__reduce__

    def counted(self: verify_ballots.BallotJob) -> Any:
        CountingJob.pickled += 1
        return original(self)

    monkeypatch.setattr(verify_ballots.BallotJob, "__reduce__", counted, raising=False)
    CountingJob.pickled = 0
    report = verify_events(election.events, workers=2)
    assert report.ok, report.failed()
    chunks = sum(1 for e in election.events if e.type == ev.BALLOT)
    assert chunks > 4
    # fork copies the job into the workers (no pickling); spawn pickles it once per worker
    limit = 0 if multiprocessing.get_start_method() == "fork" else 2
    assert CountingJob.pickled <= limit
