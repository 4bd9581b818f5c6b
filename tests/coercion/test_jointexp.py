"""The MAC fold's exponent shares under one seed: honest proofs verify, every alteration is caught per trustee."""

from __future__ import annotations

from plebiscite import elgamal
from plebiscite.coercion import batchproof as bp
from plebiscite.coercion import jointexp
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.tags import PassOutput
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G

FP = bytes(range(32))


def _outputs(shares: list[tuple[int, int]], inputs: list[Ciphertext]) -> list[PassOutput]:
    """Each trustee's raised ciphertexts and proofs, as the tally posts them."""
    with Workers(1) as pool:
        parts = jointexp.run(pool, shares, inputs, FP)
    return [
        PassOutput([c.a for c in cts], [c.b for c in cts], [bp.LinearProof(c, s, 0) for c, s in proofs])
        for cts, proofs in parts
    ]


def _setup(
    n: int,
) -> tuple[list[Ciphertext], list[tuple[int, int]], list[PassOutput], list[tuple[int, bytes]]]:
    key = G.mul_base(G.random_scalar())
    inputs = [elgamal.encrypt(key, i % 2, G.random_scalar()) for i in range(n)]
    shares = [(2, G.random_scalar()), (3, G.random_scalar())]
    return inputs, shares, _outputs(shares, inputs), [(j, G.mul_base(w)) for j, w in shares]


def _check(inputs: list[Ciphertext], outs: list[PassOutput], keys: list[tuple[int, bytes]]) -> list:
    with Workers(1) as pool:
        return jointexp.check(pool, keys, inputs, outs, FP)


def test_honest_shares_verify_and_are_the_exponentiations() -> None:
    inputs, shares, outs, keys = _setup(bp.CHUNK + 3)  # two chunks
    assert _check(inputs, outs, keys) == []
    for (_, w), out in zip(shares, outs, strict=True):
        assert out.a is not None
        assert out.a[5] == G.mul(inputs[5].a, w) and out.b[-1] == G.mul(inputs[-1].b, w)


def test_altered_row_fails_its_chunk_for_the_whole_tally_set() -> None:
    inputs, _, outs, keys = _setup(9)
    assert outs[1].a is not None
    outs[1].a[4] = G.GENERATOR  # one row of trustee 3: the shared seed changes, so both chunk proofs fail
    assert _check(inputs, outs, keys) == [(2, 0), (3, 0)]


def test_forged_response_fails_that_trustee_and_a_wrong_key_the_seed() -> None:
    inputs, _, outs, keys = _setup(9)
    p = outs[0].proofs[0]
    outs[0].proofs[0] = bp.LinearProof(p.c, p.sz + 1, 0)
    assert _check(inputs, outs, keys) == [(2, 0)]
    inputs, _, outs, keys = _setup(9)
    keys[1] = (3, G.mul_base(G.random_scalar()))  # the keys are in the seed: every proof of the chunk fails
    assert _check(inputs, outs, keys) == [(2, 0), (3, 0)]


def test_consistent_but_wrong_exponent_fails() -> None:
    """Outputs made with another exponent than the published key, proof made honestly for that exponent."""
    inputs, _, _, _ = _setup(6)
    shares = [(2, G.random_scalar()), (3, G.random_scalar())]
    outs = _outputs(shares, inputs)
    keys = [(2, G.mul_base(shares[0][1])), (3, G.mul_base(shares[1][1] + 1))]
    assert (3, 0) in _check(inputs, outs, keys)


def test_json_round_trip() -> None:
    _, _, outs, _ = _setup(5)
    out = outs[0]
    assert out.a is not None
    value = jointexp.to_json(
        [Ciphertext(a, b) for a, b in zip(out.a, out.b, strict=True)], [(p.c, p.sz) for p in out.proofs]
    )
    back = jointexp.decode(value, 5, "fold")
    assert back == out
