"""The MAC fold's exponent shares, proved with one batching seed for the whole tally set.

Every tally trustee ``j`` maps the *same* inputs ``C1_i = (a_i, b_i)`` to ``E_{j,i} = w_j·C1_i`` with
``w_j = λ_j·s_j`` and public key ``W_j = λ_j·S_j``. With one seed per trustee, provers and verifier formed the input
combinations ``A = Σ e_i a_i`` and ``B = Σ e_i b_i`` once per trustee — two multiplications per row each time. The
seed here hashes the inputs and the outputs of *every* trustee, so ``A`` and ``B`` are formed once per chunk and
shared; each trustee still proves its own relation with its own challenge. Soundness is the same small-exponent
argument as for :mod:`batchproof`: the seed is fixed after all outputs are, so a wrong row of any trustee survives
with probability ``1/ℓ``. (Run by one organiser process, all trustees' chunks of one job go to the same worker, as
for every other pass; the trustees' secrets never leave the pool's pipes.)

Per chunk ``m`` of :data:`batchproof.CHUNK` rows, ``k = |T|``:
``seed = FS("cr-batch-seed", fp, "cr-fold-exp/chunk"‖int8(m), [G, int8(n), int8(k), W_1…W_k,
LD("cr-batch-inputs", a_1, b_1, …), LD("cr-batch-outputs", a'_{1,1}…a'_{1,n}, b'_{1,1}…b'_{1,n}, a'_{2,1}…)], [])``,
``e_i = coef(seed, i)``, ``A'_j = Σ e_i a'_{j,i}``, ``B'_j = Σ e_i b'_{j,i}``; trustee ``j``'s proof ``[c, s]``:
``T1 = s·G − c·W_j``, ``T2 = s·A − c·A'_j``, ``T3 = s·B − c·B'_j``,
``c = FS("cr-batch-linear", fp, ctx("fold-exp", j)‖"/chunk"‖int8(m), [seed, A, B, A'_j, B'_j], [T1, T2, T3])``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plebiscite.coercion import batchproof as bp
from plebiscite.coercion.codec import CoercionError, coefficients, elements, list_digest, scalars, seed_bytes
from plebiscite.coercion.parallel import Workers, msm
from plebiscite.coercion.tags import PassOutput, _jobs, stage_context
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.proofs.transcript import challenge, int_bytes

SEED_CONTEXT = b"cr-fold-exp"

Chunk = tuple[list[bytes], list[bytes]]  # one trustee's (a', b') for one chunk


def _seed(
    fp: bytes, m: int, keys: Sequence[bytes], inputs: Sequence[Ciphertext], outs: Sequence[Chunk]
) -> tuple[bytes, list[int]]:
    d_in = list_digest(b"cr-batch-inputs", (p for ct in inputs for p in (ct.a, ct.b)))
    d_out = list_digest(b"cr-batch-outputs", (x for a, b in outs for x in (*a, *b)))
    statement = [G.GENERATOR, int_bytes(len(inputs)), int_bytes(len(keys)), *keys, d_in, d_out]
    seed = seed_bytes(challenge(bp.SEED_TAG, fp, bp.chunk_context(SEED_CONTEXT, m), statement, []))
    return seed, coefficients(seed, 0, len(inputs))


def _challenge(
    fp: bytes, who: int, m: int, seed: bytes, images: list[bytes], commitments: list[bytes]
) -> int:
    context = bp.chunk_context(stage_context("fold-exp", who), m)
    return challenge(bp.LINEAR_TAG, fp, context, [seed, *images], commitments)


def _prove_chunks(
    shares: list[tuple[int, int]], fp: bytes, chunks: list[tuple[int, list[Ciphertext]]]
) -> list[list[tuple[Chunk, tuple[int, int]]]]:
    """For each chunk, every trustee's outputs and proof (``shares`` = ``[(trustee, w_j)]``)."""
    out = []
    for m, inputs in chunks:
        outs = [([G.mul(ct.a, w) for ct in inputs], [G.mul(ct.b, w) for ct in inputs]) for _, w in shares]
        keys = [G.mul_base(w) for _, w in shares]
        seed, e = _seed(fp, m, keys, inputs, outs)
        big_a, big_b = msm(e, [ct.a for ct in inputs]), msm(e, [ct.b for ct in inputs])
        row = []
        for (who, w), o in zip(shares, outs, strict=True):
            nonce = G.random_scalar()
            images = [big_a, big_b, G.mul(big_a, w), G.mul(big_b, w)]
            commitments = [G.mul_base(nonce), G.mul(big_a, nonce), G.mul(big_b, nonce)]
            c = _challenge(fp, who, m, seed, images, commitments)
            row.append((o, (c, (nonce + c * w) % G.ORDER)))
        out.append(row)
    return out


def run(
    pool: Workers, shares: Sequence[tuple[int, int]], inputs: Sequence[Ciphertext], fp: bytes
) -> list[tuple[list[Ciphertext], list[tuple[int, int]]]]:
    """Every trustee's ``E_j`` and chunk proofs ``[(c, s)]``, in ``shares`` order."""
    count = -(-len(inputs) // bp.CHUNK)
    spans = [(m, list(inputs[m * bp.CHUNK : (m + 1) * bp.CHUNK])) for m in range(count)]
    jobs = [(list(shares), fp, [spans[m] for m in group]) for group in _jobs(pool, count)]
    chunks = [c for part in pool.map(_prove_chunks, jobs) for c in part]
    result = []
    for j in range(len(shares)):
        cts = [Ciphertext(a, b) for row in chunks for a, b in zip(*row[j][0], strict=True)]
        result.append((cts, [row[j][1] for row in chunks]))
    return result


def to_json(outputs: Sequence[Ciphertext], proofs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    return {
        "a": [ct.a.hex() for ct in outputs],
        "b": [ct.b.hex() for ct in outputs],
        "proofs": [[G.scalar_to_bytes(c).hex(), G.scalar_to_bytes(s).hex()] for c, s in proofs],
    }


def decode(value: object, n: int, what: str, pool: Workers | None = None) -> PassOutput:
    """A ``cr-fold-exp`` payload's ``a``, ``b`` and ``[c, s]`` chunk proofs (kept as ``LinearProof(c, s, 0)``)."""
    if not isinstance(value, dict) or set(value) != {"a", "b", "proofs"}:
        raise CoercionError(f"{what}: expected keys a, b, proofs")
    a = elements(value["a"], n, f"{what}.a", pool)
    b = elements(value["b"], n, f"{what}.b", pool)
    raw = value["proofs"]
    chunks = -(-n // bp.CHUNK)
    if not isinstance(raw, list) or len(raw) != chunks:
        raise CoercionError(f"{what}.proofs: expected {chunks} chunk proofs")
    proofs = []
    for i, p in enumerate(raw):
        c, s = scalars(p, 2, f"{what}.proofs[{i}]")
        proofs.append(bp.LinearProof(c, s, 0))
    return PassOutput(a, b, proofs)


def _check_chunks(
    keys: list[tuple[int, bytes]],
    fp: bytes,
    chunks: list[tuple[int, list[Ciphertext], list[Chunk], list[tuple[int, int]]]],
) -> list[tuple[int, int]]:
    bad = []
    for m, inputs, outs, proofs in chunks:
        seed, e = _seed(fp, m, [k for _, k in keys], inputs, outs)
        big_a, big_b = msm(e, [ct.a for ct in inputs]), msm(e, [ct.b for ct in inputs])
        for (who, key), (a, b), (c, s) in zip(keys, outs, proofs, strict=True):
            image_a, image_b = msm(e, a), msm(e, b)
            commitments = [
                G.sub(G.mul_base(s), G.mul(key, c)),
                G.sub(G.mul(big_a, s), G.mul(image_a, c)),
                G.sub(G.mul(big_b, s), G.mul(image_b, c)),
            ]
            if _challenge(fp, who, m, seed, [big_a, big_b, image_a, image_b], commitments) != c:
                bad.append((who, m))
    return bad


def check(
    pool: Workers,
    keys: Sequence[tuple[int, bytes]],
    inputs: Sequence[Ciphertext],
    outs: Sequence[PassOutput],
    fp: bytes,
) -> list[tuple[int, int]]:
    """``(trustee, chunk)`` of every failing proof; ``keys`` = ``[(trustee, W_j)]`` in the order of ``outs``."""
    count = -(-len(inputs) // bp.CHUNK)

    def span(m: int) -> tuple[int, list[Ciphertext], list[Chunk], list[tuple[int, int]]]:
        lo, hi = m * bp.CHUNK, (m + 1) * bp.CHUNK
        parts = [((o.a or [])[lo:hi], o.b[lo:hi]) for o in outs]
        return m, list(inputs[lo:hi]), parts, [(o.proofs[m].c, o.proofs[m].sz) for o in outs]

    jobs = [(list(keys), fp, [span(m) for m in group]) for group in _jobs(pool, count)]
    return [x for part in pool.map(_check_chunks, jobs) for x in part]
