"""Proofs that a trustee transformed a list of ciphertexts correctly, one proof per chunk of rows.

*Linear batch proof.* Public ``Z = z·G`` and ``U = u·G``; for every row ``(a, b) ↦ (a', b') = (z·a, z·b − u·a)``
(``a'`` may be omitted). With coefficients ``e_i`` expanded from a seed that hashes the whole statement, the
trustee proves the single relation ``A' = z·A``, ``B' = z·B − u·A`` for ``A = Σ e_i a_i`` etc. (the small-exponent
batching argument: a wrong row survives with probability ``1/ℓ``). ``u = 0, U = identity`` is a plain
exponentiation (the MAC-key step); ``u = z·λ·x`` is one trustee's pass of the tag computation.

*Row blinding proof.* Per row, a fresh secret ``ρ`` with ``(a', b') = (ρ·a, ρ·b)``: a Chaum–Pedersen proof
``log_a a' = log_b b'`` without a public key, and ``(a', b') ≠ (0, 0)`` so that ``ρ ≠ 0``. The proof is
``(T1, T2, s)``, its commitments given (not its challenge), so that a verifier can check many rows as one random
linear combination (docs/coercion.md §5.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plebiscite import native
from plebiscite.coercion.codec import coefficients, list_digest, seed_bytes
from plebiscite.coercion.parallel import msm
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr
from plebiscite.native import cr_prover
from plebiscite.proofs.transcript import challenge, int_bytes

SEED_TAG = "cr-batch-seed"
LINEAR_TAG = "cr-batch-linear"
BLIND_TAG = "cr-row-blind"
BlindProof = tuple[bytes, bytes, int]
"""A row's blinding proof ``(T1, T2, s)``."""
CHUNK = 2048
"""Rows per linear batch proof: small enough to spread over cores and to locate a failure, large enough to be cheap."""


@dataclass(frozen=True, slots=True)
class LinearProof:
    c: int
    sz: int
    su: int


def chunk_context(context: bytes, index: int) -> bytes:
    return context + b"/chunk" + int_bytes(index)


def _seed(
    fp: bytes,
    context: bytes,
    z_pub: bytes,
    u_pub: bytes,
    inputs: Sequence[Ciphertext],
    out_a: Sequence[bytes] | None,
    out_b: Sequence[bytes],
) -> bytes:
    d_in = list_digest(b"cr-batch-inputs", (p for ct in inputs for p in (ct.a, ct.b)))
    d_out = list_digest(b"cr-batch-outputs", [*(out_a or []), *out_b])
    statement = [
        G.GENERATOR,
        z_pub,
        u_pub,
        int_bytes(len(inputs)),
        int_bytes(0 if out_a is None else 1),
        d_in,
        d_out,
    ]
    return seed_bytes(challenge(SEED_TAG, fp, context, statement, []))


Given = tuple[Sequence[bytes] | None, Sequence[bytes]]
"""A linear pass's rows computed ahead (:func:`transform`): ``(a' list or None, b' list)``."""


def transform(
    z: int, u: int, inputs: Sequence[Ciphertext], with_a: bool, engine: str = "reference"
) -> tuple[list[bytes] | None, list[bytes]]:
    """A linear pass's rows without a proof: ``a' = z·a`` (when ``with_a``), ``b' = z·b − u·a``. Constant time on
    the secrets, as in :func:`prove_linear`. A trustee computes the MAC fold's rows ahead with it, while voting
    runs (docs/native.md §7.7)."""
    if cr_prover.enabled(engine):
        return cr_prover.transform(z, u, inputs, with_a)
    out_a = [G.mul(ct.a, z) for ct in inputs] if with_a else None
    if u % G.ORDER == 0:  # a plain exponentiation (the MAC fold): no subtraction of the identity per row
        return out_a, [G.mul(ct.b, z) for ct in inputs]
    return out_a, [G.sub(G.mul(ct.b, z), G.mul(ct.a, u)) for ct in inputs]


def prove_linear(
    z: int,
    u: int,
    inputs: Sequence[Ciphertext],
    with_a: bool,
    fp: bytes,
    context: bytes,
    engine: str = "reference",
    given: Given | None = None,
) -> tuple[list[bytes] | None, list[bytes], LinearProof]:
    """Transform one chunk and prove it; returns ``(a' list or None, b' list, proof)``. ``given``: the rows
    already computed by :func:`transform` (from these inputs with these keys), so that only the proof is made.

    ``z`` and ``u`` are secrets: every operation on them is constant time — curve25519-dalek's with the native
    engine (the whole chunk in one call, docs/native.md §7.6), libsodium's with the reference engine. Only the sums
    ``A = Σ e_i a_i``, ``B = Σ e_i b_i`` — public coefficients over public input rows — are a variable-time
    multiscalar multiplication with the native engine."""
    if cr_prover.enabled(engine):
        out_a, out_b, (c, sz, su) = cr_prover.prove_linear(z, u, inputs, with_a, fp, context, given)
        return out_a, out_b, LinearProof(c, sz, su)
    z_pub, u_pub = G.mul_base(z), G.mul_base(u)
    if given is None:
        out_a, out_b = transform(z, u, inputs, with_a, engine)
    else:
        out_a = None if given[0] is None else list(given[0])
        out_b = list(given[1])
        if len(out_b) != len(inputs) or (out_a is None) == with_a or (out_a and len(out_a) != len(inputs)):
            raise ValueError("given: not one output a row")
    seed = _seed(fp, context, z_pub, u_pub, inputs, out_a, out_b)
    sums = _native_input_sums(seed, inputs) if native_cr.enabled(engine) else None
    if sums is None:
        e = coefficients(seed, 0, len(inputs))
        sums = msm(e, [ct.a for ct in inputs]), msm(e, [ct.b for ct in inputs])
    big_a, big_b = sums
    image_a = G.mul(big_a, z)
    image_b = G.sub(G.mul(big_b, z), G.mul(big_a, u))
    wz, wu = G.random_scalar(), G.random_scalar()
    commitments = [G.mul_base(wz), G.mul_base(wu)]
    if with_a:
        commitments.append(G.mul(big_a, wz))
    commitments.append(G.sub(G.mul(big_b, wz), G.mul(big_a, wu)))
    statement = [seed, big_a, big_b, *([image_a] if with_a else []), image_b]
    c = challenge(LINEAR_TAG, fp, context, statement, commitments)
    return out_a, out_b, LinearProof(c, (wz + c * z) % G.ORDER, (wu + c * u) % G.ORDER)


def verify_linear(
    proof: LinearProof,
    z_pub: bytes,
    u_pub: bytes,
    inputs: Sequence[Ciphertext],
    out_a: Sequence[bytes] | None,
    out_b: Sequence[bytes],
    fp: bytes,
    context: bytes,
    engine: str = "reference",
    fallback: bool = True,
) -> bool:
    """True when the chunk's outputs are the claimed transformation of its inputs.

    With the native engine a chunk the native check accepts is accepted; one it refuses (or cannot decode) is
    checked again here, so the answer on a bad chunk is the reference's — unless ``fallback`` is False: then the
    native answer is the answer (for elements decoded without their curve check, which libsodium must not see:
    ``verify_steps.StepVerifier._proved``)."""
    if native_cr.enabled(engine) and _native_accepts(proof, z_pub, u_pub, inputs, out_a, out_b, fp, context):
        return True
    if not fallback:
        return False
    if len(out_b) != len(inputs) or (out_a is not None and len(out_a) != len(inputs)):
        return False
    seed = _seed(fp, context, z_pub, u_pub, inputs, out_a, out_b)
    e = coefficients(seed, 0, len(inputs))
    big_a = msm(e, [ct.a for ct in inputs])
    big_b = msm(e, [ct.b for ct in inputs])
    image_b = msm(e, out_b)
    c = proof.c
    commitments = [G.sub(G.mul_base(proof.sz), G.mul(z_pub, c)), G.sub(G.mul_base(proof.su), G.mul(u_pub, c))]
    statement = [seed, big_a, big_b]
    if out_a is not None:
        image_a = msm(e, out_a)
        commitments.append(G.sub(G.mul(big_a, proof.sz), G.mul(image_a, c)))
        statement.append(image_a)
    statement.append(image_b)
    commitments.append(G.sub(G.sub(G.mul(big_b, proof.sz), G.mul(big_a, proof.su)), G.mul(image_b, c)))
    return challenge(LINEAR_TAG, fp, context, statement, commitments) == c


def _native_input_sums(seed: bytes, inputs: Sequence[Ciphertext]) -> tuple[bytes, bytes] | None:
    try:
        return native_cr.linear_input_sums(seed, inputs)
    except native.EngineError:
        return None  # an invalid element: the reference's operations refuse it with their GroupError


def _native_accepts(
    proof: LinearProof,
    z_pub: bytes,
    u_pub: bytes,
    inputs: Sequence[Ciphertext],
    out_a: Sequence[bytes] | None,
    out_b: Sequence[bytes],
    fp: bytes,
    context: bytes,
) -> bool:
    try:
        return native_cr.verify_linear(
            (proof.c, proof.sz, proof.su), z_pub, u_pub, inputs, out_a, out_b, fp, context
        )
    except native.EngineError:
        return False  # an encoding the native decoder refuses: the reference says why


def row_context(context: bytes, index: int) -> bytes:
    return context + b"/row" + int_bytes(index)


def blind_rows(
    inputs: Sequence[Ciphertext], fp: bytes, context: bytes, start: int, engine: str = "reference"
) -> tuple[list[Ciphertext], list[BlindProof]]:
    """Multiply each ciphertext by a fresh secret ``ρ`` and prove it; rows are numbered from ``start``.

    ``ρ`` and the nonce ``w`` are secrets: with the native engine the chunk is one call on curve25519-dalek's
    constant-time operations (docs/native.md §7.6), the same bytes from the same randomness."""
    if cr_prover.enabled(engine):
        raw_out, raw_proofs = cr_prover.blind_rows(inputs, fp, context, start)
        pts = native.split(raw_out)
        return (
            [Ciphertext(pts[i], pts[i + 1]) for i in range(0, len(pts), 2)],
            [
                (
                    raw_proofs[k : k + 32],
                    raw_proofs[k + 32 : k + 64],
                    int.from_bytes(raw_proofs[k + 64 : k + 96], "little"),
                )
                for k in range(0, len(raw_proofs), 96)
            ],
        )
    outputs: list[Ciphertext] = []
    proofs: list[BlindProof] = []
    for i, ct in enumerate(inputs):
        rho, w = G.random_scalar(), G.random_scalar()
        out = Ciphertext(G.mul(ct.a, rho), G.mul(ct.b, rho))
        t1, t2 = G.mul(ct.a, w), G.mul(ct.b, w)
        c = challenge(BLIND_TAG, fp, row_context(context, start + i), [ct.a, ct.b, out.a, out.b], [t1, t2])
        outputs.append(out)
        proofs.append((t1, t2, (w + c * rho) % G.ORDER))
    return outputs, proofs


def verify_blind_rows(
    inputs: Sequence[Ciphertext],
    outputs: Sequence[Ciphertext],
    proofs: Sequence[BlindProof],
    fp: bytes,
    context: bytes,
    start: int,
    engine: str = "reference",
    fallback: bool = True,
) -> list[int]:
    """Indices (numbered from ``start``) whose blinding does not verify.

    With the native engine, rows are checked natively first; if any fails (or an encoding is refused), the
    reference checks the rows again and its list is the answer — unless ``fallback`` is False (as in
    :func:`verify_linear`): then the native answer is returned, every row when an encoding is refused."""
    if native_cr.enabled(engine):
        try:
            failing = native_cr.blind_failing(inputs, outputs, proofs, fp, context, start)
        except native.EngineError:
            failing = list(range(start, start + len(inputs)))
        if not failing or not fallback:
            return failing
    bad = []
    zero = Ciphertext(G.IDENTITY, G.IDENTITY)
    for i, (ct, out, (t1, t2, s)) in enumerate(zip(inputs, outputs, proofs, strict=True)):
        if out == zero and ct != zero:
            bad.append(start + i)
            continue
        c = challenge(BLIND_TAG, fp, row_context(context, start + i), [ct.a, ct.b, out.a, out.b], [t1, t2])
        if G.sub(G.mul(ct.a, s), G.mul(out.a, c)) != t1 or G.sub(G.mul(ct.b, s), G.mul(out.b, c)) != t2:
            bad.append(start + i)
    return bad
