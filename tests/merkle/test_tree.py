"""RFC 9162 hashing, proof generation and verification: published vectors, a reference model, mutations."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plebiscite.merkle import (
    EMPTY_ROOT,
    MerkleError,
    MerkleProofError,
    MerkleRangeError,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_node_ids,
    root_at,
    root_of,
    verify_consistency,
    verify_inclusion,
)

from .reference import ref_mth, ref_path, ref_proof

# The Certificate Transparency reference inputs (RFC 6962 / RFC 9162 hashing is identical).
CT_DATA = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
H_0 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"  # leaf hash of 00
H_01 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
H_23 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
H_4567 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
H_4 = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
H_67 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
H_0123 = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
H_5 = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
H_EMPTY_LEAF = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"

CT_INCLUSION = [  # (index, size, path)
    (0, 8, [H_0, H_23, H_4567]),
    (5, 8, [H_4, H_67, H_0123]),
    (2, 3, [H_01]),
    (1, 5, [H_EMPTY_LEAF, H_23, H_4]),
    (0, 1, []),
]
CT_CONSISTENCY = [  # (first, second, proof)
    (1, 1, []),
    (1, 8, [H_0, H_23, H_4567]),
    (6, 8, [H_5, H_67, H_0123]),
    (2, 5, [H_23, H_4]),
    (2, 8, [H_23, H_4567]),
]

POOL = [hashlib.sha256(b"pool/%d" % i).digest() for i in range(300)]  # distinct leaves
POOL_TREE = MerkleTree(leaf_hash(d) for d in POOL)


@cache
def pool_root(n: int) -> bytes:
    return ref_mth(POOL[:n])


def ct_tree() -> MerkleTree:
    return MerkleTree(leaf_hash(d) for d in CT_DATA)


def test_primitives_match_their_definitions() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert leaf_hash(b"").hex() == H_EMPTY_LEAF
    assert leaf_hash(b"\x00").hex() == H_0
    left, right = leaf_hash(b"l"), leaf_hash(b"r")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != node_hash(right, left)
    with pytest.raises(MerkleError, match="left must be 32 bytes"):
        node_hash(left[:31], right)
    with pytest.raises(TypeError):
        leaf_hash("text")  # type: ignore[arg-type]


@pytest.mark.parametrize("n", range(9))
def test_published_roots(n: int) -> None:
    assert root_of([leaf_hash(d) for d in CT_DATA[:n]]).hex() == CT_ROOTS[n]
    assert ct_tree().root(n).hex() == CT_ROOTS[n]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_published_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    proof = ct_tree().inclusion_proof(index, size)
    assert [p.hex() for p in proof] == path
    verify_inclusion(leaf_hash(CT_DATA[index]), index, size, proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "path"), CT_CONSISTENCY)
def test_published_consistency_proofs(first: int, second: int, path: list[str]) -> None:
    proof = ct_tree().consistency_proof(first, second)
    assert [p.hex() for p in proof] == path
    verify_consistency(first, second, bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second]), proof)


def test_exhaustive_small_trees_match_the_reference() -> None:
    for n in range(65):
        assert (
            POOL_TREE.root(n)
            == pool_root(n)
            == root_of(POOL_TREE.get_nodes([(0, i) for i in range(n)]).values())
        )
        for m in range(n):
            proof = POOL_TREE.inclusion_proof(m, n)
            assert proof == ref_path(m, POOL[:n]), (m, n)
            verify_inclusion(leaf_hash(POOL[m]), m, n, proof, pool_root(n))
        for m in range(n + 1):
            proof = POOL_TREE.consistency_proof(m, n)
            assert proof == ref_proof(m, POOL[:n]), (m, n)
            verify_consistency(m, n, pool_root(m), pool_root(n), proof)


sizes = st.integers(min_value=1, max_value=len(POOL))


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return draw(st.integers(0, n - 1)), n


@st.composite
def first_and_second(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return draw(st.integers(1, n)), n


@settings(max_examples=300, deadline=None)
@given(index_and_size())
def test_every_inclusion_proof_verifies(case: tuple[int, int]) -> None:
    m, n = case
    proof = POOL_TREE.inclusion_proof(m, n)
    assert proof == ref_path(m, POOL[:n])
    verify_inclusion(leaf_hash(POOL[m]), m, n, proof, pool_root(n))


@settings(max_examples=300, deadline=None)
@given(first_and_second())
def test_every_consistency_proof_verifies(case: tuple[int, int]) -> None:
    m, n = case
    proof = POOL_TREE.consistency_proof(m, n)
    assert proof == ref_proof(m, POOL[:n])
    verify_consistency(m, n, pool_root(m), pool_root(n), proof)


def _flip(proof: list[bytes], which: int, byte: int, bit: int) -> list[bytes]:
    out = list(proof)
    target = bytearray(out[which])
    target[byte] ^= 1 << bit
    out[which] = bytes(target)
    return out


@settings(max_examples=300, deadline=None)
@given(index_and_size(), st.data())
def test_mutated_inclusion_proofs_are_rejected(case: tuple[int, int], data: st.DataObject) -> None:
    m, n = case
    leaf, root = leaf_hash(POOL[m]), pool_root(n)
    proof = POOL_TREE.inclusion_proof(m, n)
    reject = pytest.raises(MerkleProofError)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        flipped = _flip(proof, which, data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7)))
        with reject:
            verify_inclusion(leaf, m, n, flipped, root)
        with reject:
            verify_inclusion(leaf, m, n, proof[:-1], root)
    if len(proof) >= 2:
        i, j = data.draw(st.lists(st.integers(0, len(proof) - 1), min_size=2, max_size=2, unique=True))
        swapped = list(proof)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        with reject:
            verify_inclusion(leaf, m, n, swapped, root)
    with reject:
        verify_inclusion(leaf, m, n, [*proof, proof[-1] if proof else leaf], root)
    other = data.draw(st.integers(0, n - 1))
    if other != m:
        with reject:  # the right leaf claimed at another index
            verify_inclusion(leaf, other, n, proof, root)
        with reject:  # another leaf claimed at this index
            verify_inclusion(leaf_hash(POOL[other]), m, n, proof, root)
    wrong_size = data.draw(st.integers(m + 1, len(POOL)))
    if wrong_size != n:
        with reject:  # the proof and the root of another tree size
            verify_inclusion(leaf, m, wrong_size, proof, pool_root(wrong_size))
    with reject:
        verify_inclusion(leaf, m, n, proof, leaf_hash(b"another root"))
    with reject:
        verify_inclusion(leaf, n, n, proof, root)


@settings(max_examples=300, deadline=None)
@given(first_and_second(), st.data())
def test_mutated_consistency_proofs_are_rejected(case: tuple[int, int], data: st.DataObject) -> None:
    m, n = case
    r1, r2 = pool_root(m), pool_root(n)
    proof = POOL_TREE.consistency_proof(m, n)
    reject = pytest.raises(MerkleProofError)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        flipped = _flip(proof, which, data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7)))
        with reject:
            verify_consistency(m, n, r1, r2, flipped)
        with reject:
            verify_consistency(m, n, r1, r2, proof[:-1])
    if len(proof) >= 2:
        i, j = data.draw(st.lists(st.integers(0, len(proof) - 1), min_size=2, max_size=2, unique=True))
        swapped = list(proof)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assume(swapped != proof)
        with reject:
            verify_consistency(m, n, r1, r2, swapped)
    with reject:
        verify_consistency(m, n, r1, r2, [*proof, r1])
    with reject:
        verify_consistency(m, n, leaf_hash(b"x"), r2, proof)
    with reject:
        verify_consistency(m, n, r1, leaf_hash(b"x"), proof)
    other_first = data.draw(st.integers(1, n))
    if other_first != m:
        with reject:
            verify_consistency(other_first, n, pool_root(other_first), r2, proof)
    other_second = data.draw(st.integers(m, len(POOL)))
    if other_second != n:
        with reject:
            verify_consistency(m, other_second, r1, pool_root(other_second), proof)
    if m < n:
        with reject:  # sizes swapped
            verify_consistency(n, m, r2, r1, proof)


def test_degenerate_and_malformed_inputs_are_rejected_with_reasons() -> None:
    r4, r5 = pool_root(4), pool_root(5)
    verify_consistency(4, 4, r4, r4, [])
    verify_consistency(0, 5, EMPTY_ROOT, r5, [])
    cases = [
        (lambda: verify_consistency(4, 4, r4, r5, []), "two different roots"),
        (lambda: verify_consistency(4, 4, r4, r4, [r4]), "must be empty"),
        (lambda: verify_consistency(0, 5, r4, r5, []), "empty-tree root"),
        (lambda: verify_consistency(3, 5, pool_root(3), r5, []), "empty proof"),
        (lambda: verify_consistency(5, 4, r5, r4, [r4]), "larger than"),
        (lambda: verify_consistency(-1, 4, r5, r4, [r4]), "must be >= 0"),
        (lambda: verify_consistency(1, 4, r4[:31], r4, [r4]), "first root must be 32 bytes"),
        (lambda: verify_inclusion(r4, 0, 0, [], r4), "outside a tree of size 0"),
        (lambda: verify_inclusion(r4, 0, 4, [r4[:31], r4], r4), "proof element #0 must be 32 bytes"),
        (lambda: verify_inclusion(r4, 0, 4, r4, r4), "sequence of hashes"),
        (lambda: verify_inclusion(r4, True, 4, [], r4), "must be an int"),
        (lambda: verify_inclusion(r4, 0, 4, [r4], r4), "too short"),
        (lambda: verify_inclusion(r4, 0, 1, [r4], r4), "too long"),
    ]
    for call, message in cases:
        with pytest.raises(MerkleProofError, match=message):
            call()


def test_generators_refuse_impossible_requests() -> None:
    with pytest.raises(MerkleRangeError, match="outside"):
        POOL_TREE.inclusion_proof(5, 5)
    with pytest.raises(MerkleRangeError, match="larger than the tree"):
        POOL_TREE.inclusion_proof(0, len(POOL) + 1)
    with pytest.raises(MerkleRangeError, match="larger than second"):
        POOL_TREE.consistency_proof(6, 5)
    with pytest.raises(MerkleRangeError, match="not a subtree"):
        range_node_ids(1, 3)


class CountingSource:
    """A virtual tree of any size: node hashes are synthesised, and every lookup is counted."""

    def __init__(self) -> None:
        self.lookups = 0

    def get_nodes(self, ids: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        self.lookups += len(ids)
        return {i: hashlib.sha256(repr(i).encode()).digest() for i in ids}


@pytest.mark.parametrize("size", [1_000_000, 1_048_576, 1_048_577, 2**40 + 12345])
def test_proofs_of_huge_trees_need_only_logarithmic_lookups(size: int) -> None:
    bound = 2 * size.bit_length() + 2
    for index in (0, 1, size // 3, size - 2, size - 1):
        source = CountingSource()
        assert len(inclusion_proof(index, size, source)) <= size.bit_length()
        assert source.lookups <= bound, (index, source.lookups)
    for first in (1, 2, size // 2, size - 1):
        source = CountingSource()
        consistency_proof(first, size, source)
        assert source.lookups <= bound, (first, source.lookups)
    source = CountingSource()
    root_at(size, source)
    assert source.lookups == size.bit_count()
