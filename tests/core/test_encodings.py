"""One encoding per value (docs/protocol.md §1): every decoder refuses every other spelling, and round-trips.

The accept/refuse table is ``tests/vectors/encodings.json`` (made by ``make_vectors.py``); the booth's decoders read
the same file (``tests/booth/js/encodings.test.mjs``). Hypothesis then draws points, scalars and byte strings and
builds the non-canonical variants itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plebiscite.ballot import model as ballot_model
from plebiscite.canonical import EncodingError, hex_bytes
from plebiscite.coercion import codec
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.proofs.common import elements_from_json, scalars_from_json

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "encodings.json").read_text())
FIELD_P = 2**255 - 19
REFUSED = (ValueError, TypeError)  # GroupError, BallotError, ProofError, CoercionError are ValueErrors


def _then_used(element: bytes) -> bytes:
    """What an unvalidated decoding's caller does next: a libsodium operation, which refuses an invalid point."""
    G.add(element, G.GENERATOR)
    return element


def _fast_ballot_element(text: str) -> bytes:
    return _then_used(ballot_model._element(text))


ELEMENT_DECODERS: dict[str, Callable[[str], Any]] = {
    "group.element_from_hex": G.element_from_hex,
    "group.element_from_hex(validate=False) + use": lambda t: _then_used(G.element_from_hex(t, "x", False)),
    "ballot fast decoder (checked)": ballot_model._checked_element,
    "ballot fast decoder (deferred) + use": _fast_ballot_element,
    "coercion codec.element": lambda t: codec.element(t, "x"),
    "Ciphertext.from_json": lambda t: Ciphertext.from_json([t, G.GENERATOR.hex()]).a,
    "Ciphertext.from_json(validate=False) + use": lambda t: _then_used(
        Ciphertext.from_json([t, G.GENERATOR.hex()], "x", False).a
    ),
    "proofs elements_from_json": lambda t: elements_from_json([t], 1, "x")[0],
}
SCALAR_DECODERS: dict[str, Callable[[str], int]] = {
    "group.scalar_from_hex": G.scalar_from_hex,
    "ballot fast decoder": ballot_model._scalar,
    "coercion codec.scalar": lambda t: codec.scalar(t, "x"),
    "proofs scalars_from_json": lambda t: scalars_from_json([t], 1, "x")[0],
}


@pytest.mark.parametrize("decoder", list(ELEMENT_DECODERS))
def test_element_vectors(decoder: str) -> None:
    decode = ELEMENT_DECODERS[decoder]
    for v in VECTORS["elements"]:
        if v["valid"]:
            assert decode(v["hex"]).hex() == v["hex"], v
        else:
            with pytest.raises(REFUSED):
                decode(v["hex"])
                pytest.fail(f"{decoder} accepted {v['why']}: {v['hex']!r}")


@pytest.mark.parametrize("decoder", list(SCALAR_DECODERS))
def test_scalar_vectors(decoder: str) -> None:
    decode = SCALAR_DECODERS[decoder]
    for v in VECTORS["scalars"]:
        if v["valid"]:
            assert G.scalar_to_bytes(decode(v["hex"])).hex() == v["hex"], v
        else:
            with pytest.raises(REFUSED):
                decode(v["hex"])
                pytest.fail(f"{decoder} accepted {v['why']}: {v['hex']!r}")


def test_libsodium_alone_accepts_the_top_bit() -> None:
    """Why the explicit check exists: Debian's libsodium 1.0.18 masks bit 255 (RFC 9496 says refuse). If a newer
    libsodium refuses it too, this test says so and the explicit check is merely redundant."""
    flipped = bytearray(G.GENERATOR)
    flipped[31] |= 0x80
    if G._valid_c(bytes(flipped)) != 1:
        pytest.skip("this libsodium refuses bit 255 itself")
    assert not G.is_valid_element(bytes(flipped))
    assert G.add(bytes(flipped), G.IDENTITY) == G.GENERATOR  # the operations would take it as G


def _variants(encoding: bytes) -> list[bytes]:
    s = int.from_bytes(encoding, "little")
    out = [(s | 1 << 255).to_bytes(32, "little"), (s + FIELD_P).to_bytes(32, "little")]
    if s:
        out.append((FIELD_P - s).to_bytes(32, "little"))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=G.ORDER - 1))
def test_every_noncanonical_variant_of_a_point_is_refused(k: int) -> None:
    point = G.mul_base(k)
    assert G.element_from_hex(point.hex()) == point
    for raw in _variants(point):
        assert not G.is_valid_element(raw)
        for decode in ELEMENT_DECODERS.values():
            with pytest.raises(REFUSED):
                decode(raw.hex())


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**256 - 1))
def test_scalars_below_the_order_only(value: int) -> None:
    text = value.to_bytes(32, "little").hex()
    for decode in SCALAR_DECODERS.values():
        if value < G.ORDER:
            assert decode(text) == value
            with pytest.raises(REFUSED):
                decode(text.upper() if text != text.upper() else " " + text)
        else:
            with pytest.raises(REFUSED):
                decode(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_whatever_decodes_encodes_back_to_itself(raw: bytes) -> None:
    """encode(decode(x)) == x for every accepted input: no second spelling of any element can get through."""
    for decode in ELEMENT_DECODERS.values():
        try:
            element = decode(raw.hex())
        except REFUSED:
            continue
        assert element.hex() == raw.hex()
        assert G.is_valid_element(element) and raw[31] < 0x80


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEF \n", min_size=0, max_size=70))
def test_hex_has_one_spelling(text: str) -> None:
    try:
        raw = hex_bytes(text, None, "x")
    except EncodingError as exc:
        assert str(exc).startswith("x: ")
        assert text != bytes.fromhex(text).hex() if _is_hex(text) else True
        return
    assert raw.hex() == text


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True
