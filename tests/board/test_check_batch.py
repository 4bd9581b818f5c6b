"""The board's check workers check the ballots that arrive together in one native call (``checkers.check_bodies``,
``ballot.check.accepted_bodies``, and ``accepted_together`` for a body the crate does not read): every ballot must
still get exactly the answer it gets alone — the same checked ballot (tracking code, Merkle leaf: the receipt's
content) or the same refusal, word for word, in order — whatever else is in the batch."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest

from plebiscite import native
from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.model import ballot_from_json
from plebiscite.board import checkers
from plebiscite.board.checkers import CheckPool, check_bodies, check_body
from plebiscite.board.refusals import Refusal
from plebiscite.hazmat import group as G
from plebiscite.setup.credentials import Credential
from tests.native.test_ballot_signatures import EQUATIONS, RULES, signed_as
from tests.service.conftest import Setup, build_setup

needs_native = pytest.mark.skipif(not native.AVAILABLE, reason="the native engine is not built (make native)")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The three-question referendum (yes/no; 1-of-3 with blank, sum proof; approval), 10 voters."""
    return build_setup(tmp_path_factory.mktemp("batch") / "prepared", "board-batch", 10, True)


@pytest.fixture(scope="module")
def honest(setup: Setup) -> list[dict[str, Any]]:
    return [b.json for b in setup.ballots(10, seed=16)]


def credential_of(setup: Setup, payload: dict[str, Any]) -> Credential:
    """The voter's credential that cast ``payload``."""
    return next(c for c in setup.credentials if c.public_key.hex() == payload["credential"])


def resigned(setup: Setup, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` signed again by its voter's credential (a cheating voting device)."""
    ballot = ballot_from_json(payload, branch_counts(setup.ctx.layouts))
    return dict(
        payload, signature=credential_of(setup, payload).sign(ballot.election, ballot.content_bytes()).hex()
    )


def forged(setup: Setup, payload: dict[str, Any], how: str, other: bytes | None = None) -> dict[str, Any]:
    """``payload`` altered as ``how`` says; a broken signature (``RULES``, ``EQUATIONS`` of
    tests/native/test_ballot_signatures) borrows from ``other``, another ballot's signature (by default the
    credential's signature of other bytes)."""
    p = json.loads(json.dumps(payload))
    if how in RULES or how in EQUATIONS:
        cred = credential_of(setup, p)
        content = ballot_from_json(p, branch_counts(setup.ctx.layouts)).content_bytes()
        if other is None:
            other = cred.sign(setup.ctx.fingerprint, content + b"another ballot")
        return dict(p, signature=signed_as(cred, setup.ctx.fingerprint, content, how, other).hex())
    if how == "equation":  # z changed: the challenge still matches, only the batch equation fails
        z = p["answers"][1]["proofs"][2]["z"]
        z[0] = G.scalar_to_bytes((G.scalar_from_hex(z[0]) + 1) % G.ORDER).hex()
        return resigned(setup, p)
    if how == "ciphertext":  # the sum proof's equation and the option's proof
        p["answers"][1]["choices"][0][1] = G.mul_base(G.random_scalar()).hex()
        return resigned(setup, p)
    if how == "signature":
        return dict(p, signature="00" * 64)
    if how == "bit 255":
        raw = bytearray(bytes.fromhex(p["answers"][0]["choices"][0][0]))
        raw[31] |= 0x80
        p["answers"][0]["choices"][0][0] = raw.hex()
        return p
    if how == "not on the roll":
        return dict(p, credential="ab" * 32)
    if how == "another election":  # proofs still valid for this election: only the field check refuses it
        return resigned(setup, dict(p, election="cd" * 32))
    raise AssertionError(how)


def alone(body: bytes, setup: Setup) -> bytes:
    """The worker's answer (status and detail, or the checked ballot) to ``body`` checked by itself."""
    try:
        result: Any = check_body(body, setup.ctx)
    except Exception as exc:
        result = exc
    return checkers._reply(result)


def count_native_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """From now on, each call of ``native.check_ballot_bodies`` (``("bodies", n)``) and ``native.check_ballots``
    (``("ballots", n)``), with its number of bodies or ballots."""
    calls: list[tuple[str, int]] = []
    real_bodies, real_ballots = native.check_ballot_bodies, native.check_ballots

    def bodies(*args: Any) -> Any:
        calls.append(("bodies", len(args[1])))
        return real_bodies(*args)

    def ballots(*args: Any) -> Any:
        calls.append(("ballots", len(args[3])))
        return real_ballots(*args)

    monkeypatch.setattr(native, "check_ballot_bodies", bodies)
    monkeypatch.setattr(native, "check_ballots", ballots)
    return calls


def encoded(payloads: list[Any]) -> list[bytes]:
    return [p if isinstance(p, bytes) else json.dumps(p).encode() for p in payloads]


@needs_native
@pytest.mark.parametrize(
    "how",
    [
        "equation",
        "ciphertext",
        "signature",
        "bit 255",
        "not on the roll",
        "another election",
        *RULES,
        *EQUATIONS,
    ],
)
def test_one_forged_ballot_among_honest_ones_gets_its_own_refusal_and_the_others_their_ballots(
    setup: Setup, honest: list[dict[str, Any]], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = encoded([*honest[:4], forged(setup, honest[4], how), *honest[5:], b"{not json"])
    expected = [alone(body, setup) for body in bodies]
    calls = count_native_calls(monkeypatch)
    answers = [checkers._reply(r) for r in check_bodies(bodies, setup.ctx)]
    assert answers == expected
    statuses = [int.from_bytes(a[:2], "big") for a in answers]
    assert statuses[5:10] == [200] * 5, statuses
    assert statuses[:4] == [200] * 4 and statuses[4] == 422 and statuses[10] == 400, statuses
    # one call for the bodies (the one that is not JSON is not read there); a ballot it did not accept is checked
    # again alone (off the roll or for another election: refused before any native call; bit 255: refused by the
    # crate's decoder, then alone by Python's before any native call)
    alone_calls = [] if how in ("not on the roll", "another election", "bit 255") else [("ballots", 1)]
    assert calls == [("bodies", 11), *alone_calls]


@needs_native
def test_honest_ballots_in_any_order_get_their_own_answers_from_one_call(
    setup: Setup, honest: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    order = list(range(len(honest)))
    random.Random(5).shuffle(order)
    bodies = encoded([honest[k] for k in order])
    expected = [alone(body, setup) for body in bodies]
    calls = count_native_calls(monkeypatch)
    assert [checkers._reply(r) for r in check_bodies(bodies, setup.ctx)] == expected
    assert calls == [("bodies", len(bodies))]


def test_the_reference_engine_checks_each_ballot_alone_as_before(
    setup: Setup, honest: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLEBISCITE_ENGINE", native.REFERENCE)
    bodies = encoded([*honest[:3], forged(setup, honest[3], "ciphertext"), honest[4]])
    expected = [alone(body, setup) for body in bodies]

    def refused(*_: Any) -> Any:
        raise AssertionError("the reference engine must not call the extension")

    monkeypatch.setattr(native, "check_ballots", refused)
    monkeypatch.setattr(native, "check_ballot_bodies", refused)
    assert [checkers._reply(r) for r in check_bodies(bodies, setup.ctx)] == expected
    assert [int.from_bytes(e[:2], "big") for e in expected] == [200, 200, 200, 422, 200]


@needs_native
def test_a_failing_native_call_leaves_each_ballot_to_its_single_check(
    setup: Setup, honest: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = encoded([*honest[:3], forged(setup, honest[3], "equation")])
    expected = [alone(body, setup) for body in bodies]
    real = native.check_ballots

    def fails_on_batches(*args: Any) -> Any:
        if len(args[3]) > 1:
            raise native.EngineError("native engine: deliberate")
        return real(*args)

    def fails(*_: Any) -> Any:
        raise native.EngineError("native engine: deliberate")

    monkeypatch.setattr(native, "check_ballots", fails_on_batches)
    monkeypatch.setattr(native, "check_ballot_bodies", fails)
    assert [checkers._reply(r) for r in check_bodies(bodies, setup.ctx)] == expected


def test_a_worker_answers_queued_ballots_in_order_with_their_own_answers(
    setup: Setup, honest: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Through a real worker process: many checks sent at once queue in its socket and are checked together."""
    big = b"[" + b"0," * 100_000 + b"0]"  # 200 kB: a frame the worker reads in several pieces
    bodies = encoded([*honest[:5], forged(setup, honest[5], "equation"), *honest[6:], b"[]", big] * 3)
    expected = [alone(body, setup) for body in bodies]

    async def scenario() -> list[bytes]:
        pool = CheckPool(setup.ctx, 1)
        try:

            async def one(body: bytes) -> bytes:
                try:
                    return checkers._reply(await pool.check(body))
                except Refusal as exc:
                    return checkers._reply(exc)

            return list(await asyncio.gather(*(one(b) for b in bodies)))
        finally:
            pool.close()

    assert asyncio.run(scenario()) == expected


@needs_native
@pytest.mark.parametrize(
    "how", ["honest", "equation", "signature", "another election", "R identity", "wrong s"]
)
def test_a_lone_ballot_gets_its_single_check_answer(
    setup: Setup, honest: list[dict[str, Any]], how: str
) -> None:
    body = encoded([honest[7] if how == "honest" else forged(setup, honest[7], how)])[0]
    assert [checkers._reply(r) for r in check_bodies([body], setup.ctx)] == [alone(body, setup)]


@pytest.mark.parametrize("broken_paths", [("accepted_bodies",), ("accepted_bodies", "accepted_together")])
def test_a_bug_in_the_batch_path_leaves_each_ballot_to_its_single_check(
    setup: Setup, honest: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, broken_paths: tuple[str, ...]
) -> None:
    bodies = encoded([*honest[:3], forged(setup, honest[3], "signature")])
    expected = [alone(body, setup) for body in bodies]

    def broken(*_: Any) -> Any:
        raise RuntimeError("deliberate")

    for name in broken_paths:
        monkeypatch.setattr(checkers, name, broken)
    assert [checkers._reply(r) for r in check_bodies(bodies, setup.ctx)] == expected
