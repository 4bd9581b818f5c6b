"""A lone ballot on the board with the native engine (docs/native.md §6.4): the crate reads the cast body itself
(``native/src/body.rs`` writes the ballot event's canonical line from it) and checks the ballot's signature and
proofs in one multiscalar multiplication over ristretto255 (``check_chunk`` of one ballot). Whatever the body, the
answer must be the reference engine's, word for word: the same receipt content for an honest ballot however it is
spelt, the same refusal (status, field, reason) for every tampering."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plebiscite import native
from plebiscite.ballot.check import accepted_bodies
from plebiscite.board import checkers
from plebiscite.board.checkers import check_bodies
from plebiscite.hazmat import group as G
from tests.board.test_check_batch import forged, resigned
from tests.native.test_ballot_signatures import EQUATIONS, RULES
from tests.service.conftest import Setup, build_setup

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="the native engine is not built (make native)")

L = G.ORDER


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The three-question referendum (yes/no; 1-of-3 with blank, sum proof; approval), 6 voters."""
    return build_setup(tmp_path_factory.mktemp("lone") / "prepared", "board-lone", 6, True)


@pytest.fixture(scope="module")
def honest(setup: Setup) -> list[dict[str, Any]]:
    return [b.json for b in setup.ballots(6, seed=61)]


def reply(body: bytes, setup: Setup, monkeypatch: pytest.MonkeyPatch, engine: str) -> bytes:
    """The worker's answer to ``body`` arriving alone, on ``engine``."""
    with monkeypatch.context() as m:
        m.setenv("PLEBISCITE_ENGINE", engine)
        [answer] = check_bodies([body], setup.ctx)
    return checkers._reply(answer)


def _scalar_hex(value: int) -> str:
    return value.to_bytes(32, "little").hex()


def tampered(
    setup: Setup, payload: dict[str, Any], how: str, other: dict[str, Any] | None = None
) -> dict[str, Any]:
    p = json.loads(json.dumps(payload))
    if how in RULES or how in EQUATIONS:
        assert other is not None
        return forged(setup, p, how, bytes.fromhex(other["signature"]))
    proof = p["answers"][0]["proofs"][0]
    if how in ("equation", "ciphertext", "signature", "bit 255", "not on the roll", "another election"):
        return forged(setup, p, how)
    if how == "challenge":  # c_0 + 1: the challenges no longer add up to the hash
        proof["c"][0] = _scalar_hex((int.from_bytes(bytes.fromhex(proof["c"][0]), "little") + 1) % L)
    elif how == "challenges shifted":  # c_0 + 1, c_1 − 1: the sum holds, both branches' equations fail
        c0, c1 = (int.from_bytes(bytes.fromhex(c), "little") for c in proof["c"])
        proof["c"] = [_scalar_hex((c0 + 1) % L), _scalar_hex((c1 - 1) % L)]
    elif how == "commitment":
        proof["A"][1] = G.mul_base(G.random_scalar()).hex()
    elif how == "z + l":  # the same point, a non-canonical scalar (the model refuses it: not signed again)
        proof["z"][0] = _scalar_hex(int.from_bytes(bytes.fromhex(proof["z"][0]), "little") + L)
        return p
    elif how == "identity a":
        p["answers"][0]["choices"][0][0] = "00" * 32
    elif how == "s bit flip":
        flipped = bytearray(bytes.fromhex(p["signature"]))
        flipped[40] ^= 1
        return dict(p, signature=flipped.hex())
    else:
        raise AssertionError(how)
    return resigned(setup, p)


READ_BY_THE_CRATE = [
    "equation",
    "challenge",
    "challenges shifted",
    "commitment",
    "ciphertext",
    "z + l",
    "identity a",
    "bit 255",
    "signature",
    "s bit flip",
    *RULES,  # R = p, odd, bit 255, the identity; s + ℓ: the equation holds read leniently
    *EQUATIONS,  # a wrong s, R or the signature of another ballot
    "not on the roll",
    "another election",
]


@pytest.mark.parametrize("how", READ_BY_THE_CRATE)
def test_a_tampered_lone_ballot_gets_the_reference_engines_refusal(
    setup: Setup, honest: list[dict[str, Any]], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(tampered(setup, honest[2], how, honest[1])).encode()
    assert accepted_bodies([body], setup.ctx) == [False]  # read in the crate, and not accepted there
    answer = reply(body, setup, monkeypatch, native.NATIVE)
    assert answer == reply(body, setup, monkeypatch, native.REFERENCE)
    assert answer[:2] == (422).to_bytes(2, "big") and answer[2:].startswith(b"ballot"), answer


@pytest.mark.parametrize(
    "how",
    [
        "uppercase hex",  # the model refuses non-canonical hex
        "a missing answer",  # another layout
        "an extra field",
        "an escape",  # the same value once parsed: Python reads it and accepts it
        "a repeated key",  # Python keeps the last one, which is right: accepted
        "not json",
    ],
)
def test_a_body_the_crate_does_not_read_gets_the_reference_engines_answer(
    setup: Setup, honest: list[dict[str, Any]], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = json.loads(json.dumps(honest[3]))
    text = json.dumps(p)
    if how == "uppercase hex":
        text = json.dumps(dict(p, signature=p["signature"].upper()))
    elif how == "a missing answer":
        text = json.dumps(dict(p, answers=p["answers"][:-1]))
    elif how == "an extra field":
        text = json.dumps(dict(p, note="hello"))
    elif how == "an escape":
        text = text.replace(
            p["credential"], "\\u00" + p["credential"][0].encode().hex() + p["credential"][1:]
        )
    elif how == "a repeated key":
        text = '{"election": "' + "00" * 32 + '", ' + text[1:]
    else:
        text = text[:-1]
    body = text.encode()
    assert accepted_bodies([body], setup.ctx) == [None]
    answer = reply(body, setup, monkeypatch, native.NATIVE)
    assert answer == reply(body, setup, monkeypatch, native.REFERENCE)
    expected = 200 if how in ("an escape", "a repeated key") else 400 if how == "not json" else 422
    assert int.from_bytes(answer[:2], "big") == expected, answer


def spelt(value: Any, rng: random.Random) -> str:
    """``value`` as JSON with its keys in a random order and random whitespace between the tokens."""
    space = lambda: rng.choice(["", "", " ", "\n", "\t", "\r\n  "])  # noqa: E731
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        members = [f"{space()}{json.dumps(k)}{space()}:{spelt(value[k], rng)}" for k in keys]
        return "{" + ",".join(members) + space() + "}"
    if isinstance(value, list):
        return "[" + ",".join(spelt(v, rng) for v in value) + space() + "]"
    return space() + json.dumps(value) + space()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, 5))
def test_any_spelling_of_an_honest_ballot_gets_the_reference_engines_receipt(
    setup: Setup, honest: list[dict[str, Any]], seed: int, which: int
) -> None:
    body = spelt(honest[which], random.Random(seed)).encode()
    [found] = accepted_bodies([body], setup.ctx)
    with pytest.MonkeyPatch.context() as m:
        m.setenv("PLEBISCITE_ENGINE", native.REFERENCE)
        [reference] = check_bodies([body], setup.ctx)
    assert isinstance(reference, checkers.Checked)
    assert found == (reference.tracking_code, reference.leaf)
    [answer] = check_bodies([body], setup.ctx)
    assert answer == reference


@pytest.mark.parametrize(
    "how", ["honest", "equation", "R identity", "wrong s", "not on the roll", "not json"]
)
def test_the_inline_path_answers_as_a_check_worker(
    setup: Setup, honest: list[dict[str, Any]], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--check-workers 0`` checks a cast body with ``check_cast``: the same answer as the reference engine's."""
    payload = honest[4] if how in ("honest", "not json") else tampered(setup, honest[4], how, honest[5])
    body = json.dumps(payload).encode()[: -1 if how == "not json" else None]
    try:
        result: Any = checkers.check_cast(body, setup.ctx)
    except Exception as exc:
        result = exc
    assert checkers._reply(result) == reply(body, setup, monkeypatch, native.REFERENCE)
    assert isinstance(result, checkers.Checked) == (how == "honest")
