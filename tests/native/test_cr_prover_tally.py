"""The tally's shortcuts of issue 16 (docs/native.md §7.7): the cast ballots decoded in bulk, and the MAC fold's
rows computed while voting runs. Each gives exactly what the plain path gives — the same posted bytes from the same
randomness — and on irregular input the plain path's error; a wrong row computed ahead is caught by the proof."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from plebiscite.coercion import batchproof as bp
from plebiscite.coercion import events as cev
from plebiscite.coercion import steps, tags
from plebiscite.coercion.ballot import tally_view, tally_views
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.trustees import tally_set
from plebiscite.hazmat import group as G
from tests.coercion.conftest import open_election

from .conftest import needs_native
from .test_cr_prover import FP, _cts, _same_randomness


def _payload(votes: int) -> dict[str, Any]:
    def ct() -> list[str]:
        return [G.mul_base(G.random_scalar()).hex(), G.mul_base(G.random_scalar()).hex()]

    return {
        "credential": ct(),
        "mac": ct(),
        "answers": [{"choices": [ct() for _ in range(votes)]}, {"choices": [ct()]}],
    }


def test_bulk_decoding_is_tally_view() -> None:
    payloads = [_payload(v) for v in (1, 2, 1, 3)]
    assert tally_views(payloads) == [tally_view(p) for p in payloads]
    assert tally_views([]) == []


def _error(fn: Any) -> str:
    with pytest.raises(Exception) as info:
        fn()
    return f"{type(info.value).__name__}: {info.value}"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: p["credential"].__setitem__(0, p["credential"][0].upper()),  # not lowercase
        lambda p: p["mac"].__setitem__(1, p["mac"][1][:-2] + "f0"),  # bit 255 set
        lambda p: p["answers"][0]["choices"][0].__setitem__(
            0, p["answers"][0]["choices"][0][0][:62]
        ),  # short
        lambda p: p["answers"][1]["choices"][0].__setitem__(1, "zz" * 32),  # not hex
        lambda p: p["credential"].__setitem__(1, " " + p["credential"][1][1:]),  # a space
        lambda p: p["credential"].__setitem__(  # 31 and 33 bytes: the joined hex is unchanged
            slice(None), [p["credential"][0][:62], p["credential"][0][62:] + p["credential"][1]]
        ),
        lambda p: p.pop("mac"),  # a field missing
        lambda p: p["answers"][0].__setitem__("choices", [7]),  # a wrong type
    ],
)
def test_irregular_ballots_give_tally_views_error(spoil: Any) -> None:
    payloads = [_payload(1) for _ in range(3)]
    bad = copy.deepcopy(payloads)
    spoil(bad[1])
    expected = _error(lambda: [tally_view(p) for p in bad])
    assert _error(lambda: tally_views(bad)) == expected


# --- the MAC fold's rows computed while voting runs (steps.fold_ahead) -------------------------------------------


def _fold_setup(tmp_path: Path) -> tuple[Any, list[Any], dict[int, int]]:
    o = open_election(tmp_path / "r", "test-cr-fold-ahead", 3, extra_questions=False)
    order, lam = tally_set(o.ctx, o.tally_set(o.trustees[1:]))
    return o, order, lam


@needs_native
@pytest.mark.parametrize("engine", ["reference", "native"])
def test_fold_ahead_posts_the_same_step_and_only_proves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """``cr-fold-exp`` from rows computed ahead (over more ballots, in another order, in two runs, some kept
    ballots cast after the last run) is byte for byte the step computed after close from the same randomness; the
    ahead path really ran (its transform saw every cast ballot once, the proofs got the rows)."""
    o, order, lam = _fold_setup(tmp_path)
    fp = o.ctx.fingerprint
    cast = _cts(90, 11)
    kept = [cast[i] for i in range(0, 90, 2)] + [cast[89]]
    seen: list[int] = []
    given: list[bool] = []
    transform, prove = bp.transform, bp.prove_linear

    def spy_transform(z: int, u: int, inputs: Any, with_a: bool, engine: str = "reference") -> Any:
        seen.append(len(inputs))
        return transform(z, u, inputs, with_a, engine)

    def spy_prove(*args: Any) -> Any:
        given.append(len(args) == 8 and args[7] is not None)
        return prove(*args)

    def run(ahead: bool) -> list[bytes]:
        posted = []
        with monkeypatch.context() as m, Workers(1, engine=engine) as pool:
            _same_randomness(m, b"fold")
            m.setattr(bp, "transform", spy_transform)
            m.setattr(bp, "prove_linear", spy_prove)
            for t in order:
                t.ahead, t.ahead_exponent = {}, 0
                if ahead:
                    steps.fold_ahead(pool, t, lam[t.index], list(reversed(cast[:50])))
                    steps.fold_ahead(pool, t, lam[t.index], cast[:80])
                posted.append(steps.fold_exp(pool, t, lam[t.index], kept, fp)[1])
        return [json.dumps(p, sort_keys=True).encode() for p in posted]

    plain = run(False)
    assert not any(given)
    seen.clear()
    given.clear()
    assert run(True) == plain
    assert given and all(given)
    # per trustee: 50, then the 30 new, then the kept ballots cast after the last run (80, 82, 84, 86, 88, 89)
    assert [n for n in seen if n] == [50, 30, 6] * len(order)


@needs_native
@pytest.mark.parametrize("engine", ["reference", "native"])
def test_a_wrong_row_computed_ahead_makes_a_step_that_fails(tmp_path: Path, engine: str) -> None:
    """The rows computed ahead are proved, not trusted: a wrong one gives a proof the reference refuses; another
    exponent (another tally set) discards what was computed ahead."""
    o, order, lam = _fold_setup(tmp_path)
    fp, t = o.ctx.fingerprint, order[0]
    creds = _cts(20, 12)
    w = lam[t.index] * t.mac_share % G.ORDER
    with Workers(1, engine=engine) as pool:
        steps.fold_ahead(pool, t, lam[t.index], creds)
        key = creds[3].a + creds[3].b
        a, b = t.ahead[key]
        assert (a, b) == (G.mul(creds[3].a, w), G.mul(creds[3].b, w))
        t.ahead[key] = (a, G.add(b, G.GENERATOR))
        out, _ = steps.fold_exp(pool, t, lam[t.index], creds, fp)
        ctx = tags.stage_context("fold-exp", t.index)
        assert tags.check_pass(pool, G.mul_base(w), G.IDENTITY, creds, out, fp, ctx) == [0]
        steps.fold_ahead(pool, t, lam[t.index] + 1, creds[:5])
        assert len(t.ahead) == 5 and t.ahead_exponent == (lam[t.index] + 1) * t.mac_share % G.ORDER


@needs_native
def test_rows_given_of_the_wrong_shape_are_named_errors() -> None:
    from plebiscite import native
    from plebiscite.native import cr_prover

    rows = cr_prover.rows_bytes(_cts(3, 13))
    z, nonces = G.scalar_to_bytes(99), cr_prover.randomness(2)
    good = bytes(32 * 3)
    for given in ((None, good), (good, good[:-32]), (good[:-1], good)):
        with pytest.raises(native.EngineError, match="given: not one output a row"):
            cr_prover._call("cr_prove_linear", FP, b"ctx", z, None, rows, True, nonces, given)
    with pytest.raises(ValueError, match="given: not one output a row"):
        bp.prove_linear(99, 0, _cts(3, 13), True, FP, b"ctx", "reference", (None, [good[:32]] * 3))


def test_conduct_folds_ahead_while_voting_and_the_record_verifies(tmp_path: Path) -> None:
    """``CoercionConduct.rows_ahead``: only while voting runs and after the precomputation, by its tally set; run
    twice (ballots cast between, a revote after the last run), the tally's record verifies."""
    from plebiscite.coercion.ballot import encrypt_ballot
    from plebiscite.coercion.demo import coercer_choice
    from plebiscite.record import store
    from plebiscite.record.state import PhaseError
    from plebiscite.verify.runner import verify_events

    o = open_election(tmp_path / "r", "test-fold-ahead-conduct", 3, extra_questions=False)
    tts = o.tally_set(o.trustees)

    def cast(voter: int) -> None:
        o.cc.cast(encrypt_ballot(o.ctx, o.credentials[voter], coercer_choice(o.manifest))[0].to_json())

    cast(0)
    with pytest.raises(PhaseError, match="precomputation"):
        o.cc.rows_ahead(tts[1:], 1)
    o.cc.precompute(tts[1:], 1)
    assert o.cc.rows_ahead(tts[1:], 1) == 1
    cast(1)
    cast(2)
    with pytest.raises(ValueError, match="precomputation's"):
        o.cc.rows_ahead(tts[:2], 1)
    assert o.cc.rows_ahead(tts[1:], 1) == 3
    assert all(len(t.ahead) == 3 for t in tts[1:])
    assert [len(t.dedup_ahead) for t in tts[1:]] == [3, 0]  # the first trustee's pass only
    cast(0)  # a revote after the last run: computed at the tally
    o.cc.close()
    with pytest.raises(PhaseError, match="voting"):
        o.cc.rows_ahead(tts[1:], 1)
    o.cc.tally(tts[1:], 1)
    assert all(len(t.ahead) == 4 for t in tts[1:])
    assert [len(t.dedup_ahead) for t in tts[1:]] == [4, 0]
    for t in o.trustees[1:]:
        o.cc.decrypt(t)
    o.cc.combine()
    assert verify_events(store.read(tmp_path / "r"), workers=1).ok


@needs_native
@pytest.mark.parametrize("engine", ["reference", "native"])
def test_first_dedup_pass_ahead_posts_the_same_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """The duplicate-elimination passes with the first trustee's computed ahead (over part of the ballots) are
    byte for byte the passes computed after close; only the first trustee's pass got rows; a wrong row computed
    ahead gives a chunk proof the reference refuses."""
    o, order, lam = _fold_setup(tmp_path)
    fp = o.ctx.fingerprint
    for t in order:
        steps.tag_keys(t, lam[t.index], fp)
    cast = _cts(40, 14)
    given: list[bool] = []
    prove = bp.prove_linear

    def spy_prove(*args: Any) -> Any:
        given.append(len(args) == 8 and args[7] is not None)
        return prove(*args)

    def run(ahead: bool) -> list[bytes]:
        posted: list[dict[str, Any]] = []
        with monkeypatch.context() as m, Workers(1, engine=engine) as pool:
            _same_randomness(m, b"dedup")
            m.setattr(bp, "prove_linear", spy_prove)
            order[0].dedup_ahead = {}
            if ahead:
                steps.dedup_ahead(pool, order[0], cast[:30])
            steps.tag_passes(pool, order, cev.DEDUP_PASS, cast, fp, lambda _k, p: posted.append(p))
        return [json.dumps(p, sort_keys=True).encode() for p in posted]

    plain = run(False)
    given.clear()
    assert run(True) == plain
    assert given == [
        True,
        False,
    ]  # one chunk each: the first trustee's pass proved given rows, the second's not
    t = order[0]
    key = cast[5].a + cast[5].b
    a, b = t.dedup_ahead[key]
    t.dedup_ahead[key] = (a, G.add(b, G.GENERATOR))
    with Workers(1, engine=engine) as pool:
        out, _ = steps.tag_pass(
            pool, t, cev.DEDUP_PASS, cast, False, fp, steps.dedup_given(pool, t, cast, False)
        )
        z, u = t.tag_keys["dedup"]
        ctx = tags.stage_context("dedup", t.index)
        assert tags.check_pass(pool, G.mul_base(z), G.mul_base(u), cast, out, fp, ctx) == [0]
