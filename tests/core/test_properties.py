"""Property tests: the homomorphism, and k-of-n threshold decryption (any k decrypt, k−1 cannot)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from plebiscite import elgamal
from plebiscite.decrypt.combine import combine
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony.trustee import Trustee, decode_all

scalars = st.integers(min_value=1, max_value=G.ORDER - 1)
FP = b"\x07" * 32


@settings(max_examples=30, deadline=None)
@given(m1=st.integers(0, 500), m2=st.integers(0, 500), r1=scalars, r2=scalars, x=scalars)
def test_encryption_is_additively_homomorphic(m1: int, m2: int, r1: int, r2: int, x: int) -> None:
    key = G.mul_base(x)
    total = elgamal.encrypt(key, m1, r1) + elgamal.encrypt(key, m2, r2)
    assert total == elgamal.encrypt(key, m1 + m2, r1 + r2)
    plain = G.sub(total.b, G.mul(total.a, x))
    assert elgamal.discrete_log(plain, 1000) == m1 + m2


def run_dkg(n: int, k: int) -> tuple[list[Trustee], ceremony.Outcome]:
    trustees = [Trustee.new(i, n, k) for i in range(1, n + 1)]
    named = [t.identity.hex() for t in trustees]
    announcements = [t.announce(FP) for t in trustees]
    decoded = decode_all(announcements, k, FP, named)
    shares = [t.deal(decoded, FP) for t in trustees]
    for t in trustees:
        assert t.receive(decoded, shares, FP) == []
    outcome = ceremony.outcome(named, k, FP, announcements, shares, [], [])
    for t in trustees:
        t.finish(outcome.qualified)
    return trustees, outcome


@settings(max_examples=8, deadline=None)
@given(data=st.data(), n=st.integers(1, 5), m=st.integers(0, 50))
def test_any_k_of_n_decrypt_and_k_minus_1_cannot(data: st.DataObject, n: int, m: int) -> None:
    k = data.draw(st.integers(1, n))
    trustees, outcome = run_dkg(n, k)
    assert outcome.qualified == list(range(1, n + 1))
    ct = elgamal.encrypt(outcome.public_key, m, G.random_scalar())
    by_index = {t.index: t for t in trustees}
    for subset in itertools.combinations(range(1, n + 1), k):
        partials = {j: [[G.mul(ct.a, by_index[j].share)]] for j in subset}
        assert combine([[ct]], partials)[0][0] == G.small_multiple_base(m)
    if k > 1:
        subset = data.draw(st.sampled_from(list(itertools.combinations(range(1, n + 1), k - 1))))
        partials = {j: [[G.mul(ct.a, by_index[j].share)]] for j in subset}
        assert combine([[ct]], partials)[0][0] != G.small_multiple_base(m)


def test_bad_share_is_complained_about_and_answered() -> None:
    n, k = 3, 2
    trustees = [Trustee.new(i, n, k) for i in range(1, n + 1)]
    named = [t.identity.hex() for t in trustees]
    announcements = [t.announce(FP) for t in trustees]
    decoded = decode_all(announcements, k, FP, named)
    shares = [t.deal(decoded, FP) for t in trustees]
    # Trustee 1 sends garbage to trustee 2 (re-signed so only the content is wrong).
    from plebiscite.record.signing import sign

    bad = dict(shares[0])
    bad["shares"] = [dict(s) for s in bad["shares"]]
    bad["shares"][0]["box"] = "00" * 72
    shares[0] = sign("shares", {k_: v for k_, v in bad.items() if k_ != "signature"}, trustees[0].signing_key)
    complaints = trustees[1].receive(decoded, shares, FP)
    assert [c["against"] for c in complaints] == [1]
    # Unanswered: trustee 1 is disqualified.
    out = ceremony.outcome(named, k, FP, announcements, shares, complaints, [])
    assert out.qualified == [2, 3]
    # Answered with the true share: trustee 1 stays, and trustee 2 uses the revealed share.
    reveal = trustees[0].answer(complaints[0], FP)
    out = ceremony.outcome(named, k, FP, announcements, shares, complaints, [reveal])
    assert out.qualified == [1, 2, 3]
    trustees[1].accept_reveal(reveal, decoded)
    trustees[1].finish(out.qualified)
    # A reveal that does not match the commitments does not save the dealer.
    forged = sign(
        "share-reveal",
        {"from": 1, "to": 2, "ceremony": FP.hex(), "share": "01" + "00" * 31},
        trustees[0].signing_key,
    )
    assert ceremony.outcome(named, k, FP, announcements, shares, complaints, [forged]).qualified == [2, 3]


def test_commitment_without_proof_of_knowledge_is_rejected() -> None:
    from plebiscite.record.signing import sign

    t = Trustee.new(1, 2, 2)
    a = t.announce(FP)
    a["commitments"][1] = G.mul_base(5).hex()  # a commitment whose secret the proof does not cover
    a = sign("trustee", {key: v for key, v in a.items() if key != "signature"}, t.signing_key)  # signed by t
    out = ceremony.outcome([t.identity.hex(), "11" * 32], 2, FP, [a], [], [], [])
    assert out.qualified == [] and any("proofs[1]" in p for p in out.problems)
