"""The group layer: canonical encodings, identity handling, hashing with domain separation."""

from __future__ import annotations

import pytest

from plebiscite import elgamal
from plebiscite.hazmat import group as G


def test_identity_is_handled_not_refused() -> None:
    assert G.mul(G.GENERATOR, 0) == G.IDENTITY
    assert G.mul(G.IDENTITY, 5) == G.IDENTITY
    assert G.mul_base(G.ORDER) == G.IDENTITY
    assert G.small_multiple_base(0) == G.IDENTITY
    assert G.add(G.GENERATOR, G.neg(G.GENERATOR)) == G.IDENTITY


def test_arithmetic_consistent() -> None:
    a, b = G.random_scalar(), G.random_scalar()
    assert G.add(G.mul_base(a), G.mul_base(b)) == G.mul_base(a + b)
    assert G.mul(G.mul_base(a), b) == G.mul_base(a * b)
    assert G.small_multiple_base(3) == G.add(G.GENERATOR, G.add(G.GENERATOR, G.GENERATOR))


def test_element_validation() -> None:
    with pytest.raises(G.GroupError, match="expected 32 bytes"):
        G.element_from_bytes(b"\x01" * 31, "ballot.x")
    with pytest.raises(G.GroupError, match=r"ballot\.x: not a canonical"):
        G.element_from_bytes(b"\xff" * 32, "ballot.x")
    with pytest.raises(G.GroupError, match="not hexadecimal"):
        G.element_from_hex("xyz", "k")
    # A non-canonical encoding of a valid point: the field element p (= 0 mod p) is rejected.
    p = 2**255 - 19
    with pytest.raises(G.GroupError):
        G.element_from_bytes(p.to_bytes(32, "little"))
    assert G.element_from_bytes(G.GENERATOR) == G.GENERATOR


def test_scalar_validation() -> None:
    assert G.scalar_from_bytes(G.scalar_to_bytes(5)) == 5
    with pytest.raises(G.GroupError, match="not reduced"):
        G.scalar_from_bytes(G.ORDER.to_bytes(32, "little"))


def test_hashes_are_domain_separated_and_length_prefixed() -> None:
    assert G.hash_to_scalar(b"a", b"bc") != G.hash_to_scalar(b"ab", b"c")
    assert G.hash_to_scalar(b"d", b"ab", b"c") != G.hash_to_scalar(b"d", b"a", b"bc")
    assert G.hash_to_element(b"d", b"x") != G.hash_to_element(b"e", b"x")
    assert G.is_valid_element(G.hash_to_element(b"d", b"x"))


def test_discrete_log() -> None:
    assert elgamal.discrete_log(G.small_multiple_base(0), 10) == 0
    assert elgamal.discrete_log(G.small_multiple_base(999), 1000) == 999
    with pytest.raises(elgamal.DiscreteLogError):
        elgamal.discrete_log(G.small_multiple_base(1001), 1000)


def test_results_stay_right_when_threads_compute_at_once() -> None:
    """Each thread has its own output buffer (ctypes releases the GIL during every libsodium call)."""
    from concurrent.futures import ThreadPoolExecutor

    inputs = [(G.mul_base(G.random_scalar()), G.random_scalar()) for _ in range(40)]
    expected = [(G.mul(p, s), G.add(p, G.GENERATOR), G.mul_base(s)) for p, s in inputs]

    def work(i: int) -> bool:
        p, s = inputs[i % len(inputs)]
        return (G.mul(p, s), G.add(p, G.GENERATOR), G.mul_base(s)) == expected[i % len(inputs)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(800)))
