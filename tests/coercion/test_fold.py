"""The MAC fold: a valid credential keeps its plaintext, an invalid one becomes a fresh random element."""

from __future__ import annotations

from pathlib import Path

from plebiscite.coercion import tags
from plebiscite.coercion.parallel import Workers
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.verify.runner import verify_events

from .conftest import build

FP = b"\x05" * 32


def _enc(key: bytes, m: bytes) -> Ciphertext:
    r = G.random_scalar()
    return Ciphertext(G.mul_base(r), G.add(G.mul(key, r), m))


def _dec(x: int, ct: Ciphertext) -> bytes:
    return G.sub(ct.b, G.mul(ct.a, x))


def test_fold_keeps_valid_and_randomises_invalid() -> None:
    x, s = G.random_scalar(), G.random_scalar()
    key = G.mul_base(x)
    sigma = G.random_scalar()
    v = G.mul_base(pow(s + sigma, -1, G.ORDER))  # a valid MAC on sigma
    fake_sigma, fake_v = G.random_scalar(), G.hash_to_element(b"test", b"fake")
    pairs = [(v, sigma), (fake_v, fake_sigma), (fake_v, fake_sigma)]
    c1 = [_enc(key, el) for el, _ in pairs]
    c2 = [_enc(key, G.mul(el, sig)) for el, sig in pairs]
    with Workers(1) as pool:
        exp = tags.run_pass(pool, s, 0, c1, True, FP, b"exp")  # one holder of s stands in for the trustees
        d = tags.fold_sum(pool, [exp.ciphertexts()], c2)
        assert _dec(x, d[0]) == G.IDENTITY and _dec(x, d[1]) != G.IDENTITY  # zero iff the MAC is valid
        blinded, _ = tags.run_blind(pool, d, FP, b"blind")
        folded = [_dec(x, ct) for ct in tags.fold_apply(pool, c1, blinded)]
    assert folded[0] == v
    assert folded[1] != fake_v and folded[2] != fake_v
    assert folded[1] != folded[2]  # the same fake credential twice: two unrelated elements


def test_all_trustees_present(tmp_path: Path) -> None:
    """A tally set larger than the threshold (3 of a 2-of-3 election): Lagrange coefficients over all three."""
    e = build(tmp_path / "r", voters=3, coerced=(1,), absent=0)
    report = verify_events(e.events, workers=1)
    assert report.ok, report.failed()
    assert report.result is not None and report.result["ballots"] == 3
