"""The mixer's prover (``shuffle.shuffle``) with the native engine: the same proof, byte for byte from the same
randomness, its secret computations on curve25519-dalek's constant-time operations (docs/native.md §7.6).

What stays here, in Python, as in the reference: drawing the permutation and the randomness (``secrets``), applying
the permutation (rows, the commitments' generators ``h_{ψ⁻¹(j)}``, ``u'_i = u_{ψ(i)}``), the statement digests and
both challenges. What goes to ``native/src/cr/prover_shuffle.rs``, a chunk of rows per call on every worker:
re-encryption (tables for ``G`` and ``K``), the permutation commitments (their generators ``h_{ψ⁻¹(j)}`` hashed there
from the secret indices, not passed as points), ``Σ ω'_i·(h_i, a'_i, b'_i)`` (constant-time
Straus), the chain ``ĉ_i`` and its commitments ``t̂_i``; then, once, ``t1 … t4`` and the responses. The secrets reach
the workers as bytes through the pool's pipes, as the reference's integers do.
"""

from __future__ import annotations

from collections.abc import Sequence

from plebiscite import native
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion.codec import Row, seed_bytes
from plebiscite.coercion.parallel import Workers
from plebiscite.elgamal import Ciphertext
from plebiscite.native import cr_prover
from plebiscite.proofs.transcript import challenge


def _cut(raw: bytes, lo: int, hi: int) -> bytes:
    """Scalars ``lo … hi−1`` of ``raw`` (64 bytes each)."""
    return raw[64 * lo : 64 * hi]


def _rows(flat: bytes, width: int) -> list[Row]:
    parts = native.split(flat)
    cts = [Ciphertext(parts[i], parts[i + 1]) for i in range(0, len(parts), 2)]
    return [tuple(cts[i : i + width]) for i in range(0, len(cts), width)]


def shuffle(
    pool: Workers, inputs: Sequence[Row], key: bytes, fp: bytes, context: bytes
) -> tuple[list[Row], sh.ShuffleProof]:
    """:func:`shuffle.shuffle` natively (same arguments, same result from the same randomness)."""
    n = len(inputs)
    psi, inverse = sh.permutation(n)
    width = len(inputs[0])
    raw = cr_prover.randomness(n * (width + 4))  # rands (n·w), r, r̂, ω̂, ω' (n each): the reference's one read
    nonces = cr_prover.randomness(3 + width)  # ω1, ω2, ω3, ω4_k: the reference's next draws
    base = {name: n * (width + k) for k, name in enumerate(("r", "r_hat", "w_hat", "w_prime"))}
    h = sh.main_generator(fp, context)
    spans = pool.ranges(n)
    jobs = [
        (
            key,
            width,
            cr_prover.rows_bytes([ct for j in psi[lo:hi] for ct in inputs[j]]),
            _cut(raw, lo * width, hi * width),
            _cut(raw, base["r"] + lo, base["r"] + hi),
            (fp, context, cr_prover.generator_indices(inverse[lo:hi])),
            b"".join(
                _cut(raw, base["w_prime"] + inverse[j], base["w_prime"] + inverse[j] + 1)
                for j in range(lo, hi)
            ),
            _cut(raw, base["w_prime"] + lo, base["w_prime"] + hi),
        )
        for lo, hi in spans
    ]
    parts = pool.map(cr_prover.shuffle_rows, jobs)
    outputs = [r for p in parts for r in _rows(p[0], width)]
    commitments = [c for p in parts for c in native.split(p[1])]
    statement = sh._statement(key, h, inputs, outputs, commitments)
    u_raw = cr_prover.coefficients(seed_bytes(challenge(sh.U_TAG, fp, context, statement, [])), n)
    u = native.split(u_raw)
    u_prime = b"".join(u[j] for j in psi)
    r_hat = _cut(raw, base["r_hat"], base["r_hat"] + n)
    carries = cr_prover.shuffle_carries(r_hat, u_prime, [lo for lo, _ in spans])
    chain_jobs = [
        (
            h,
            carry,
            _cut(r_hat, lo, hi),
            u_prime[32 * lo : 32 * hi],
            _cut(raw, base["w_hat"] + lo, base["w_hat"] + hi),
            _cut(raw, base["w_prime"] + lo, base["w_prime"] + hi),
        )
        for (lo, hi), carry in zip(spans, carries, strict=True)
    ]
    linked = pool.map(cr_prover.shuffle_chain, chain_jobs)
    chain = [x for p in linked for x in native.split(p[0])]
    hats = [x for p in linked for x in native.split(p[1])]
    ts = cr_prover.shuffle_commitments(key, width, [p[2] for p in parts], nonces)
    c = sh._challenge(fp, context, statement, chain, ts, hats)
    s = cr_prover.shuffle_responses(c, width, raw, nonces, u_raw, u_prime)
    proof = sh.ShuffleProof(
        commitments,
        chain,
        c,
        (s[0], s[1], s[2]),
        s[3 : 3 + width],
        s[3 + width : 3 + width + n],
        s[3 + width + n :],
        hats,
    )
    return outputs, proof
