"""Verifiable re-encryption shuffle of rows of ciphertexts: Terelius–Wikström, as in Haenni, Locher, Koenig and
Dubuis, "Pseudo-code algorithms for verifiable re-encryption mix-nets" (FC 2017), in additive notation, for rows of
``w`` ciphertexts re-encrypted with independent randomness. The proof gives the challenge, the responses and the
per-row commitments ``t̂_i`` (``hats``): the verifier recomputes the few commitments ``t1 … t4`` and checks the ``N``
rows' relation 5 against the given ``t̂_i``, which the native engine does as one random linear combination.

Output row ``i`` is input row ``ψ(i)`` plus ``Enc(0; r'_{i,k})`` in each column ``k``. Notation (docs/coercion.md,
"Shuffle"): ``h, h_1..h_N`` independent generators hashed from the election; ``c_j = r_j·G + h_{ψ⁻¹(j)}`` the
permutation commitment; ``u_j`` challenges from a seed hashing the whole statement; ``u'_i = u_{ψ(i)}``; the chain
``ĉ_0 = h``, ``ĉ_i = r̂_i·G + u'_i·ĉ_{i−1}``. The prover shows, with responses ``s = ω + c·witness``:

1. ``Σ c_j − Σ h_i = r̄·G``                                 (``t1 = s1·G − c·c̄``)
2. ``ĉ_N − (Π u_j)·h = r̂·G``                               (``t2 = s2·G − c·ĉ``)
3. ``Σ u_j c_j = r̃·G + Σ u'_i h_i``                         (``t3 = s3·G + Σ s'_i h_i − c·c̃``)
4. per column ``k``: ``Σ u_j e_{j,k} = Σ u'_i e'_{i,k} − Enc(0; r''_k)``
   (``t4a_k = Σ s'_i a'_{i,k} − s4_k·G − c·ã_k``, ``t4b_k = Σ s'_i b'_{i,k} − s4_k·K − c·b̃_k``)
5. ``ĉ_i = r̂_i·G + u'_i·ĉ_{i−1}``                           (``t̂_i = ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i``)

The chain is computed from scalars (``ĉ_i = R_i·G + U_i·h``) so that every step is parallel over rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from plebiscite.coercion.codec import (
    CoercionError,
    Row,
    coefficients,
    elements,
    list_digest,
    rows_digest,
    scalar,
    scalar_hex,
    scalars,
    seed_bytes,
)
from plebiscite.coercion.parallel import Workers, parallel_msm, parallel_sum, public_msm
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr
from plebiscite.native import cr_prover
from plebiscite.proofs.transcript import challenge, int_bytes

GENERATOR_TAG = b"plebiscite/v1/cr-shuffle-generator"
U_TAG = "cr-shuffle-u"
TAG = "cr-shuffle"
NOT_ACCEPTED = "the proof of shuffle does not verify"


@dataclass(frozen=True)
class ShuffleProof:
    commitments: list[bytes]
    chain: list[bytes]
    c: int
    s: tuple[int, int, int]
    s4: list[int]
    s_hat: list[int]
    s_prime: list[int]
    hats: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "commitments": [x.hex() for x in self.commitments],
            "chain": [x.hex() for x in self.chain],
            "c": scalar_hex(self.c),
            "s": [scalar_hex(x) for x in self.s],
            "s4": [scalar_hex(x) for x in self.s4],
            "s_hat": [scalar_hex(x) for x in self.s_hat],
            "s_prime": [scalar_hex(x) for x in self.s_prime],
            "hats": [x.hex() for x in self.hats],
        }

    @staticmethod
    def from_json(
        value: object, n: int, width: int, what: str, pool: Workers | None = None, validate: bool = True
    ) -> ShuffleProof:
        """The proof; ``validate=False``: its elements without their curve check (``codec.elements``)."""
        keys = {"commitments", "chain", "c", "s", "s4", "s_hat", "s_prime", "hats"}
        if not isinstance(value, dict) or set(value) != keys:
            raise CoercionError(f"{what}: expected keys {', '.join(sorted(keys))}")
        s1, s2, s3 = scalars(value["s"], 3, f"{what}.s")
        return ShuffleProof(
            elements(value["commitments"], n, f"{what}.commitments", pool, validate),
            elements(value["chain"], n, f"{what}.chain", pool, validate),
            scalar(value["c"], f"{what}.c"),
            (s1, s2, s3),
            scalars(value["s4"], width, f"{what}.s4"),
            scalars(value["s_hat"], n, f"{what}.s_hat"),
            scalars(value["s_prime"], n, f"{what}.s_prime"),
            elements(value["hats"], n, f"{what}.hats", pool, validate),
        )


# --- kernels (top level, so that worker processes can run them) ----------------------------------------------------


def _generators(fp: bytes, context: bytes, lo: int, hi: int) -> list[bytes]:
    return [G.hash_to_element(GENERATOR_TAG, fp, context, int_bytes(i)) for i in range(lo, hi)]


def _reencrypt(key: bytes, rows: list[Row], rands: list[list[int]]) -> list[Row]:
    return [
        tuple(
            Ciphertext(G.add(ct.a, G.mul_base(r)), G.add(ct.b, G.mul(key, r)))
            for ct, r in zip(row, rs, strict=True)
        )
        for row, rs in zip(rows, rands, strict=True)
    ]


def _commit(rs: list[int], hs: list[bytes]) -> list[bytes]:
    return [G.add(G.mul_base(r), h) for r, h in zip(rs, hs, strict=True)]


def _chain(h: bytes, big_r: list[int], big_u: list[int]) -> list[bytes]:
    return [G.add(G.mul_base(r), G.mul(h, u)) for r, u in zip(big_r, big_u, strict=True)]


def _hat_prove(first: list[int], second: list[int], prev: list[bytes]) -> list[bytes]:
    """``t̂_i = ω̂_i·G + ω'_i·ĉ_{i−1}``."""
    return [G.add(G.mul_base(x), G.mul(p, y)) for x, y, p in zip(first, second, prev, strict=True)]


def _hats_hold(
    c: int, first: list[int], second: list[int], prev: list[bytes], cur: list[bytes], hats: list[bytes]
) -> list[bool]:
    """Whether ``t̂_i = ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i`` for every row of the chunk (one answer a chunk)."""
    return [
        all(
            G.sub(G.add(G.mul_base(x), G.mul(p, y)), G.mul(k, c)) == t
            for x, y, p, k, t in zip(first, second, prev, cur, hats, strict=True)
        )
    ]


def _columns(rows: Sequence[Row], width: int) -> list[list[bytes]]:
    cols: list[list[bytes]] = []
    for k in range(width):
        cols.append([r[k].a for r in rows])
        cols.append([r[k].b for r in rows])
    return cols


def _pmap(pool: Workers, fn: Any, n: int, *lists: Sequence[Any], extra: tuple[Any, ...] = ()) -> list[Any]:
    """Apply a row kernel over chunks of ``lists`` and concatenate."""
    jobs = [(*extra, *[list(x[lo:hi]) for x in lists]) for lo, hi in pool.ranges(n)]
    return [item for part in pool.map(fn, jobs) for item in part]


def generators(
    pool: Workers, fp: bytes, context: bytes, n: int, native: bool | None = None
) -> tuple[bytes, list[bytes]]:
    """``h`` and ``h_0 … h_{n−1}``: public (hashed from the election), so natively with the native engine
    (``native``: whether to, instead of the pool's engine)."""
    h = main_generator(fp, context)
    native = native_cr.enabled(pool.engine) if native is None else native
    kernel = native_cr.generators if native else _generators
    jobs = [(fp, context, lo, hi) for lo, hi in pool.ranges(n)]
    return h, [g for part in pool.map(kernel, jobs) for g in part]


def _generator_sums(pool: Workers, fp: bytes, context: bytes, s: Sequence[int]) -> tuple[bytes, bytes]:
    """``(Σ h_i, Σ s_i·h_i)`` natively, over chunks of generators on the workers (public values)."""
    jobs = [(fp, context, lo, list(s[lo:hi])) for lo, hi in pool.ranges(len(s))]
    parts = pool.map(native_cr.generator_sums, jobs)
    return native_cr.point_sum([p[0] for p in parts]), native_cr.point_sum([p[1] for p in parts])


def main_generator(fp: bytes, context: bytes) -> bytes:
    """``h``, the chain's generator (hashed from the election)."""
    return G.hash_to_element(GENERATOR_TAG, fp, context, b"h")


def _native_hats_hold(
    c: int, s_hat: list[int], s_prime: list[int], prev: list[bytes], cur: list[bytes], hats: list[bytes]
) -> list[bool]:
    """:func:`_hats_hold` natively, one batch a chunk (``prev[i]`` is ``cur[i − 1]``: only its first is passed)."""
    return [native_cr.hats_hold(c, s_hat, s_prime, prev[0], cur, hats)]


def _statement(
    key: bytes, h: bytes, inputs: Sequence[Row], outputs: Sequence[Row], commitments: Sequence[bytes]
) -> list[bytes]:
    """``[G, K, h, d_in, d_out, d_c]``: hashed once and shared by both challenges (lists of millions of rows)."""
    return [
        G.GENERATOR,
        key,
        h,
        rows_digest(b"cr-shuffle-in", inputs),
        rows_digest(b"cr-shuffle-out", outputs),
        list_digest(b"cr-shuffle-commitments", commitments),
    ]


def _u_values(fp: bytes, context: bytes, statement: list[bytes], n: int, native: bool = False) -> list[int]:
    """``u_0 … u_{n−1}`` (``native``: hashed by the extension, the same values)."""
    seed = seed_bytes(challenge(U_TAG, fp, context, statement, []))
    return native_cr.coefficients(seed, 0, n) if native else coefficients(seed, 0, n)


def _challenge(
    fp: bytes,
    context: bytes,
    statement: list[bytes],
    chain: Sequence[bytes],
    ts: list[bytes],
    hats: Sequence[bytes],
) -> int:
    full = [*statement, list_digest(b"cr-shuffle-chain", chain)]
    return challenge(TAG, fp, context, full, [*ts, list_digest(b"cr-shuffle-hats", hats)])


def _random_scalars(n: int) -> list[int]:
    """``n`` uniformly random non-zero scalars from one OS CSPRNG read (64 bytes each, reduced: bias < 2^-250);
    one read instead of ``n`` keeps the main process — which the workers wait for — out of the way."""
    pool = secrets.token_bytes(64 * n)
    out = [int.from_bytes(pool[64 * i : 64 * i + 64], "little") % G.ORDER for i in range(n)]
    return [x or G.random_scalar() for x in out]


def permutation(n: int) -> tuple[list[int], list[int]]:
    """The mixer's secret permutation ``ψ`` of ``n ≥ 2`` rows (``secrets``) and its inverse; both provers draw it
    here, so from the same randomness they permute alike."""
    if n < 2:
        raise CoercionError("shuffle: needs at least two rows")
    psi = list(range(n))
    secrets.SystemRandom().shuffle(psi)
    inverse = [0] * n
    for i, j in enumerate(psi):
        inverse[j] = i
    return psi, inverse


def shuffle(
    pool: Workers, inputs: Sequence[Row], key: bytes, fp: bytes, context: bytes
) -> tuple[list[Row], ShuffleProof]:
    """Permute and re-encrypt ``inputs``; prove it. ``context`` names the list (and the mixer).

    With the native engine the same proof is made by ``shuffle_native`` on curve25519-dalek's constant-time
    operations (docs/native.md §7.6); ``PLEBISCITE_ENGINE=reference`` keeps it on libsodium, below."""
    if cr_prover.enabled(pool.engine):
        from plebiscite.coercion import shuffle_native  # it builds on this module

        return shuffle_native.shuffle(pool, inputs, key, fp, context)
    n = len(inputs)
    psi, inverse = permutation(n)
    width = len(inputs[0])
    q = G.ORDER
    flat = _random_scalars(n * (width + 4))
    rands = [flat[i * width : (i + 1) * width] for i in range(n)]
    r, r_hat, w_hat, w_p = (flat[n * (width + k) : n * (width + k + 1)] for k in range(4))
    outputs = _pmap(pool, _reencrypt, n, [inputs[j] for j in psi], rands, extra=(key,))
    h, hs = generators(pool, fp, context, n)
    commitments = _pmap(pool, _commit, n, r, [hs[inverse[j]] for j in range(n)])
    statement = _statement(key, h, inputs, outputs, commitments)
    u = _u_values(fp, context, statement, n)
    u_p = [u[j] for j in psi]
    big_r, big_u, acc_r, acc_u = [], [], 0, 1
    for i in range(n):
        acc_r = (r_hat[i] + u_p[i] * acc_r) % q
        acc_u = u_p[i] * acc_u % q
        big_r.append(acc_r)
        big_u.append(acc_u)
    chain = _pmap(pool, _chain, n, big_r, big_u, extra=(h,))
    w1, w2, w3 = G.random_scalar(), G.random_scalar(), G.random_scalar()
    w4 = [G.random_scalar() for _ in range(width)]
    sums = parallel_msm(pool, w_p, [hs, *_columns(outputs, width)])
    ts = [G.mul_base(w1), G.mul_base(w2), G.add(G.mul_base(w3), sums[0])]
    for k in range(width):
        ts.append(G.sub(sums[1 + 2 * k], G.mul_base(w4[k])))
        ts.append(G.sub(sums[2 + 2 * k], G.mul(key, w4[k])))
    hats = _pmap(pool, _hat_prove, n, w_hat, w_p, [h, *chain[:-1]])
    c = _challenge(fp, context, statement, chain, ts, hats)
    r_bar = sum(r) % q
    r_tilde = sum(x * y for x, y in zip(r, u, strict=True)) % q
    r_pp = [sum(u_p[i] * rands[i][k] for i in range(n)) % q for k in range(width)]
    proof = ShuffleProof(
        commitments,
        chain,
        c,
        ((w1 + c * r_bar) % q, (w2 + c * big_r[-1]) % q, (w3 + c * r_tilde) % q),
        [(w4[k] + c * r_pp[k]) % q for k in range(width)],
        [(w_hat[i] + c * r_hat[i]) % q for i in range(n)],
        [(w_p[i] + c * u_p[i]) % q for i in range(n)],
        hats,
    )
    return outputs, proof


def verify(
    pool: Workers,
    inputs: Sequence[Row],
    outputs: Sequence[Row],
    proof: ShuffleProof,
    key: bytes,
    fp: bytes,
    context: bytes,
    fallback: bool = True,
) -> str | None:
    """None when the proof shows ``outputs`` is a re-encrypted permutation of ``inputs``, else the reason.

    With the native engine the verifier's sums, multiscalar multiplications (public ``u`` and ``s'``) and chain
    relation are computed natively, decoding every element of ``outputs`` and the proof; a proof that then fails
    is checked again on the reference, whose answer is the one given (the native engine only accepts on its
    own) — unless ``fallback`` is False (``batchproof.verify_linear`` says when)."""
    if native_cr.enabled(pool.engine):
        try:
            reason = _verify(pool, inputs, outputs, proof, key, fp, context, True)
        except native_cr.native.EngineError:
            reason = NOT_ACCEPTED  # an encoding the native decoder refuses: the reference says why
        if reason is None or not fallback:
            return reason
    return _verify(pool, inputs, outputs, proof, key, fp, context, False)


def _verify(
    pool: Workers,
    inputs: Sequence[Row],
    outputs: Sequence[Row],
    proof: ShuffleProof,
    key: bytes,
    fp: bytes,
    context: bytes,
    native: bool,
) -> str | None:
    n = len(inputs)
    if n < 2 or len(outputs) != n:
        return "the output does not have as many rows as the input"
    width = len(inputs[0])
    if any(len(r) != width for r in outputs):
        return "output rows do not have the input's width"
    h = main_generator(fp, context)
    statement = _statement(key, h, inputs, outputs, proof.commitments)
    u = _u_values(fp, context, statement, n, native)
    q = G.ORDER
    u_prod = 1
    for x in u:
        u_prod = u_prod * x % q
    c = proof.c
    msm = public_msm if native else parallel_msm  # u and s' are public: the verifier's sums
    by_u = msm(pool, u, [proof.commitments, *_columns(inputs, width)])
    if native:  # Σ h_i and Σ s'_i·h_i straight from the hashed generators
        sum_h, by_h = _generator_sums(pool, fp, context, proof.s_prime)
        by_s = [by_h, *msm(pool, proof.s_prime, _columns(outputs, width))]
    else:
        hs = generators(pool, fp, context, n, native=False)[1]
        sum_h = parallel_sum(pool, hs, native=False)
        by_s = msm(pool, proof.s_prime, [hs, *_columns(outputs, width)])
    c_bar = G.sub(parallel_sum(pool, proof.commitments, native), sum_h)
    c_hat = G.sub(proof.chain[-1], G.mul(h, u_prod))
    s1, s2, s3 = proof.s
    ts = [
        G.sub(G.mul_base(s1), G.mul(c_bar, c)),
        G.sub(G.mul_base(s2), G.mul(c_hat, c)),
        G.sub(G.add(G.mul_base(s3), by_s[0]), G.mul(by_u[0], c)),
    ]
    for k in range(width):
        ts.append(G.sub(G.sub(by_s[1 + 2 * k], G.mul_base(proof.s4[k])), G.mul(by_u[1 + 2 * k], c)))
        ts.append(G.sub(G.sub(by_s[2 + 2 * k], G.mul(key, proof.s4[k])), G.mul(by_u[2 + 2 * k], c)))
    if len(proof.hats) != n or _challenge(fp, context, statement, proof.chain, ts, proof.hats) != c:
        return NOT_ACCEPTED
    rows_hold = _pmap(
        pool,
        _native_hats_hold if native else _hats_hold,
        n,
        proof.s_hat,
        proof.s_prime,
        [h, *proof.chain[:-1]],
        proof.chain,
        proof.hats,
        extra=(c,),
    )
    if not all(rows_hold):
        return NOT_ACCEPTED
    return None
