"""The trustees' secret computations on the native engine (docs/native.md §7.6).

From the same random bytes the native provers post exactly the reference's bytes (tag passes, MAC-fold
exponentiations, row blinding, the proof of shuffle — signed payloads compared whole); their outputs pass the
reference verifier and a tampered one does not; malformed inputs are named errors that never show a secret; and
``engine="reference"`` keeps every secret operation off the native code.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from plebiscite import native
from plebiscite.coercion import batchproof as bp
from plebiscite.coercion import events as cev
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion import steps, tags
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.tally import aggregate_rows
from plebiscite.coercion.trustees import tally_set
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr_prover
from tests.coercion.conftest import open_election

from .conftest import needs_native

pytestmark = needs_native
FP = bytes(range(32))
ENGINES = ("reference", "native")


def _cts(n: int, seed: int) -> list[Ciphertext]:
    rng = random.Random(seed)
    return [
        Ciphertext(G.mul_base(rng.randrange(1, G.ORDER)), G.mul_base(rng.randrange(1, G.ORDER)))
        for _ in range(n)
    ]


def _same_randomness(monkeypatch: pytest.MonkeyPatch, seed: bytes) -> None:
    """Every ``secrets.token_bytes`` read is the next piece of one SHAKE stream, and the permutation comes from a
    seeded generator: both engines then draw the same bytes in the same order."""
    stream = hashlib.shake_256(seed).digest(1 << 20)
    pos = [0]

    def token_bytes(n: int) -> bytes:
        out = stream[pos[0] : pos[0] + n]
        assert len(out) == n, "test stream exhausted"
        pos[0] += n
        return out

    monkeypatch.setattr(secrets, "token_bytes", token_bytes)
    monkeypatch.setattr(secrets, "SystemRandom", lambda: random.Random(seed))


def _both(monkeypatch: pytest.MonkeyPatch, seed: bytes, work: Callable[[str], Any]) -> dict[str, Any]:
    out = {}
    for engine in ENGINES:
        with monkeypatch.context() as m:
            _same_randomness(m, seed)
            out[engine] = work(engine)
    return out


def test_posted_steps_are_the_reference_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tally trustee's signed steps — tag pass (with and without ``a'``), MAC-fold exponentiation, row blinding,
    shuffle — are byte for byte the reference's from the same randomness."""
    o = open_election(tmp_path / "r", "test-cr-prover", 3, extra_questions=False)
    fp, key = o.ctx.fingerprint, o.ctx.public_key
    order, lam = tally_set(o.ctx, o.tally_set(o.trustees[1:]))
    for t in order:
        steps.tag_keys(t, lam[t.index], fp)
    creds = _cts(70, 1)
    rows = list(zip(creds, _cts(70, 2), strict=True))

    def run(engine: str) -> list[bytes]:
        posted = []
        with Workers(1, engine=engine) as pool:
            for n, t in enumerate(order):
                for kind in (cev.DEDUP_PASS, cev.MATCH_PASS):
                    posted.append(steps.tag_pass(pool, t, kind, creds, n == 1, fp)[1])
                posted.append(steps.fold_exp(pool, t, lam[t.index], creds, fp)[1])
                posted.append(steps.fold_blind(pool, t, creds, fp)[1])
                posted.append(steps.shuffle(pool, t, cev.SHUFFLE, rows, key, fp)[1])
        return [json.dumps(p, sort_keys=True).encode() for p in posted]

    out = _both(monkeypatch, b"steps", run)
    assert len(out["native"]) == 10
    assert out["native"] == out["reference"]


def test_chunked_shuffle_is_the_reference_and_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several chunks on two worker processes (the chain's state handed from chunk to chunk): the same proof as the
    reference's, accepted by the reference verifier; a tampered output row or response is refused."""
    rows = [(c,) for c in _cts(200, 3)]
    key = G.mul_base(424242)

    def run(engine: str) -> tuple[list[Any], sh.ShuffleProof]:
        with Workers(2, engine=engine) as pool:
            assert len(pool.ranges(len(rows))) > 1
            return sh.shuffle(pool, rows, key, FP, b"list")

    out = _both(monkeypatch, b"mix", run)
    assert out["native"] == out["reference"]
    outputs, proof = out["native"]
    with Workers(1, engine="reference") as ref:
        assert sh.verify(ref, rows, outputs, proof, key, FP, b"list") is None
        moved = [outputs[1], outputs[0], *outputs[2:]]
        assert sh.verify(ref, rows, moved, proof, key, FP, b"list") is not None
        bad = replace(proof, s_prime=[(proof.s_prime[0] + 1) % G.ORDER, *proof.s_prime[1:]])
        assert sh.verify(ref, rows, outputs, bad, key, FP, b"list") is not None


@pytest.mark.parametrize(("with_a", "u"), [(True, 0), (True, 777), (False, 777)])
def test_linear_and_blind_proofs_verify_on_the_reference(with_a: bool, u: int) -> None:
    inputs = _cts(40, 4)
    a, b, proof = bp.prove_linear(99, u, inputs, with_a, FP, b"ctx", "native")
    z_pub, u_pub = G.mul_base(99), G.mul_base(u)
    assert bp.verify_linear(proof, z_pub, u_pub, inputs, a, b, FP, b"ctx", "reference")
    assert b[3] == G.sub(G.mul(inputs[3].b, 99), G.mul(inputs[3].a, u))
    forged = [*b[:5], G.add(b[5], G.GENERATOR), *b[6:]]
    assert not bp.verify_linear(proof, z_pub, u_pub, inputs, a, forged, FP, b"ctx", "reference")
    outs, proofs = bp.blind_rows(inputs, FP, b"ctx", 7, "native")
    assert bp.verify_blind_rows(inputs, outs, proofs, FP, b"ctx", 7, "reference") == []
    swapped = [outs[1], outs[0], *outs[2:]]
    assert bp.verify_blind_rows(inputs, swapped, proofs, FP, b"ctx", 7, "reference") == [7, 8]


def _linear(z: bytes, inputs: bytes, nonces: bytes) -> Any:
    return cr_prover._call("cr_prove_linear", FP, b"ctx", z, None, inputs, True, nonces)


def test_malformed_inputs_are_named_errors_without_secrets() -> None:
    z = G.scalar_to_bytes(99)
    rows = cr_prover.rows_bytes(_cts(3, 5))
    nonces = bytes(range(1, 129))
    cases = {
        "inputs[2]: not a canonical": (z, rows[:64] + b"\x01" + rows[65:], nonces),  # odd: not canonical
        "inputs: length": (z, rows[:-1], nonces),
        "z: not reduced": ((G.ORDER + 5).to_bytes(32, "little"), rows, nonces),
        "z: expected 32 bytes": (z[:31], rows, nonces),
        "nonces: expected 128 bytes": (z, rows, nonces[:127]),
        "nonces: a drawn scalar is zero": (z, rows, bytes(64) + nonces[64:]),
    }
    for expected, args in cases.items():
        with pytest.raises(native.EngineError, match=re.escape(expected)) as info:
            _linear(*args)
        assert z.hex() not in str(info.value) and nonces[:32].hex() not in str(info.value)
    with pytest.raises(native.EngineError, match="u: not reduced"):
        cr_prover._call("cr_prove_linear", FP, b"ctx", z, bytes([0xFF] * 32), rows, True, nonces)
    with pytest.raises(native.EngineError, match="inputs: not whole rows"):
        cr_prover.shuffle_rows(G.GENERATOR, 2, rows, b"", b"", (FP, b"ctx", b""), b"", b"")
    one_row = rows[
        :128
    ]  # one row of width 2, one scalar of each kind: only the generators' indices are short
    draw = cr_prover.randomness(2)
    index = cr_prover.generator_indices([1])
    with pytest.raises(native.EngineError, match="generators: not one a row") as info:
        cr_prover.shuffle_rows(
            G.GENERATOR, 2, one_row, draw, draw[:64], (FP, b"ctx", index[:7]), draw[:64], draw[:64]
        )
    assert draw[:32].hex() not in str(info.value)
    with pytest.raises(native.EngineError, match="u_prime\\[0\\]: not reduced"):
        cr_prover.shuffle_carries(bytes(range(1, 65)), bytes([0xFF] * 32), [0])


def test_a_zero_draw_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([bytes(64) + bytes(range(1, 65)), bytes(range(2, 130))])
    monkeypatch.setattr(secrets, "token_bytes", lambda n: next(draws))
    assert cr_prover.randomness(2) == bytes(range(2, 130))


def test_the_reference_engine_keeps_secrets_off_the_native_code(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def spy(name: str, *args: Any) -> Any:
        calls.append(name)
        raise AssertionError(f"native prover called: {name}")

    monkeypatch.setattr(cr_prover, "_call", spy)
    inputs = _cts(70, 6)
    rows = [(c,) for c in inputs]
    with Workers(1, engine="reference") as pool:
        bp.prove_linear(5, 6, inputs, True, FP, b"ctx", pool.engine)
        bp.blind_rows(inputs, FP, b"ctx", 0, pool.engine)
        sh.shuffle(pool, rows, G.GENERATOR, FP, b"list")
    assert calls == []
    with Workers(1, engine="native") as pool, pytest.raises(AssertionError, match="native prover called"):
        sh.shuffle(pool, rows, G.GENERATOR, FP, b"list")  # the spy is where the native engine goes


def test_public_sums_are_the_reference_and_refuse_as_it_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tally's public sums between the steps (MAC fold's ``D``, the aggregate): native calls with the native
    engine, the same elements; an invalid element gets the reference's error, not the native one."""
    macs, e1, e2 = _cts(70, 7), _cts(70, 8), _cts(70, 9)
    rows = list(zip(macs, e1, e2, strict=True))
    called: list[str] = []
    real = cr_prover._call
    monkeypatch.setattr(cr_prover, "_call", lambda name, *a: called.append(name) or real(name, *a))
    out = {}
    for engine in ENGINES:
        with Workers(1, engine=engine) as pool:
            out[engine] = (tags.fold_sum(pool, [e1, e2], macs), aggregate_rows(pool, rows, [0, 3, 69], [2]))
    assert called == ["cr_add_lists", "cr_column_sums"]  # only the native engine's run
    assert out["native"] == out["reference"]
    assert out["native"][0][5].b == G.sub(G.add(G.add(macs[5].b, e1[5].b), e2[5].b), G.GENERATOR)
    bad = [Ciphertext(macs[0].a, b"\x01" + bytes(31)), *macs[1:]]
    for engine in ENGINES:
        with Workers(1, engine=engine) as pool, pytest.raises(G.GroupError):
            tags.fold_sum(pool, [e1], bad)
