"""Jointly computed deterministic tags, and the MAC fold, as parallel trustee passes with proofs.

*Tag keys.* For each tagging stage (duplicate elimination; matching) every tally trustee ``j`` picks a secret
``z_j`` and publishes ``Z_j = z_j·G`` and ``U_j = z_j·(λ_j·X_j)``, with a Chaum–Pedersen proof that both have the
same logarithm (``X_j`` its verification key, ``λ_j`` its Lagrange coefficient for the tally set).

*Pass.* Trustee ``j`` maps every ``(a, b)`` to ``(z_j·a, z_j·b − u_j·a)`` with ``u_j = z_j·λ_j·x_j`` (a linear
batch proof per chunk): it removes its share of the decryption key and blinds. After the last trustee of the
tally set, ``b = (Π z_j)·M`` where ``M`` is the plaintext: the tag. Nobody learns ``Π z_j``; a coalition short of
the whole tally set can neither decrypt nor compute tags.

*MAC fold.* For ballot credentials ``C1 = Enc(V)``, ``C2 = Enc(σ·V)``: each trustee publishes ``E_j = (λ_j s_j)·C1``
(a linear batch pass with ``u = 0`` against ``W_j = λ_j·S_j``, each trustee's own), anyone forms
``D = Σ E_j + C2 − (0, G)`` — an encryption of ``(s + σ)·V − G``, zero exactly when the MAC is valid — then every
trustee multiplies each ``D`` by a fresh secret ``ρ`` (row blinding proofs) and anyone forms ``C1* = C1 + D*``:
``Enc(V)`` for a valid credential, the encryption of a uniformly random element otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from plebiscite import native
from plebiscite.coercion import batchproof as bp
from plebiscite.coercion.codec import CoercionError, elements, scalars
from plebiscite.coercion.parallel import Workers
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr
from plebiscite.native import cr_prover
from plebiscite.proofs import dleq
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.transcript import int_bytes


def stage_context(stage: str, trustee: int) -> bytes:
    return b"cr-" + stage.encode() + b"/" + int_bytes(trustee)


@dataclass(frozen=True)
class TagKey:
    """A trustee's public tag key for one stage."""

    z: bytes
    u: bytes
    proof: dleq.DleqProof

    def to_json(self) -> dict[str, Any]:
        return {"z": self.z.hex(), "u": self.u.hex(), "proof": self.proof.to_json()}


def make_tag_key(stage: str, trustee: int, share: int, lam: int, fp: bytes) -> tuple[int, int, TagKey]:
    """Secret ``(z, u)`` and the public key for ``stage``."""
    z = G.random_scalar()
    u = z * lam % G.ORDER * share % G.ORDER
    base = G.mul_base(lam * share % G.ORDER)  # λ_j·X_j, computed from the share
    key = TagKey(
        G.mul_base(z),
        G.mul_base(u),
        dleq.prove(z, base, G.mul_base(z), G.mul_base(u), fp, stage_context("tag-key/" + stage, trustee)),
    )
    return z, u, key


def check_tag_key(
    value: object,
    stage: str,
    trustee: int,
    verification_key: bytes,
    lam: int,
    fp: bytes,
    what: str,
    verify: bool = True,
    engine: str = "reference",
) -> TagKey:
    """Decode a trustee's public tag key and check its proof (``verify=False``: checked already, decode only).

    With the native engine the Chaum–Pedersen proof is checked natively first; one it does not accept is checked
    again by the reference, whose error is the answer (docs/native.md §7.3)."""
    if not isinstance(value, dict) or set(value) != {"z", "u", "proof"}:
        raise CoercionError(f"{what}: expected keys z, u, proof")
    z_pub, u_pub = elements([value["z"], value["u"]], 2, what)
    try:
        proof = dleq.DleqProof.from_json(value["proof"], f"{what}.proof")
        if verify:
            base = G.mul(verification_key, lam)
            context = stage_context("tag-key/" + stage, trustee)
            if not (
                native_cr.enabled(engine) and native_cr.dleq_holds(proof, base, z_pub, u_pub, fp, context)
            ):
                dleq.verify(proof, base, z_pub, u_pub, fp, context)
    except ProofError as exc:
        raise CoercionError(f"{what}: {exc}") from None
    if z_pub == G.IDENTITY:
        raise CoercionError(f"{what}.z: must not be the identity")
    return TagKey(z_pub, u_pub, proof)


# --- linear passes ---------------------------------------------------------------------------------------------------


@dataclass
class PassOutput:
    a: list[bytes] | None
    b: list[bytes]
    proofs: list[bp.LinearProof]

    def to_json(self) -> dict[str, Any]:
        return {
            "a": None if self.a is None else [x.hex() for x in self.a],
            "b": [x.hex() for x in self.b],
            "proofs": [[G.scalar_to_bytes(v).hex() for v in (p.c, p.sz, p.su)] for p in self.proofs],
        }

    def ciphertexts(self) -> list[Ciphertext]:
        assert self.a is not None
        return [Ciphertext(a, b) for a, b in zip(self.a, self.b, strict=True)]


def decode_pass(
    value: object, n: int, with_a: bool, what: str, pool: Workers | None = None, validate: bool = True
) -> PassOutput:
    """A pass's payload; ``validate=False``: its elements without their curve check (``codec.elements``)."""
    if not isinstance(value, dict) or set(value) != {"a", "b", "proofs"}:
        raise CoercionError(f"{what}: expected keys a, b, proofs")
    if with_a == (value["a"] is None):
        raise CoercionError(f"{what}.a: {'required' if with_a else 'must be null'} here")
    a = elements(value["a"], n, f"{what}.a", pool, validate) if with_a else None
    b = elements(value["b"], n, f"{what}.b", pool, validate)
    chunks = -(-n // bp.CHUNK)
    raw = value["proofs"]
    if not isinstance(raw, list) or len(raw) != chunks:
        raise CoercionError(f"{what}.proofs: expected {chunks} chunk proofs")
    proofs = [bp.LinearProof(*scalars(p, 3, f"{what}.proofs[{i}]")) for i, p in enumerate(raw)]
    return PassOutput(a, b, proofs)


def _prove_chunks(
    z: int,
    u: int,
    with_a: bool,
    fp: bytes,
    context: bytes,
    chunks: list[tuple[int, list[Ciphertext], bp.Given | None]],
    engine: str,
) -> list[tuple[list[bytes] | None, list[bytes], bp.LinearProof]]:
    return [
        bp.prove_linear(z, u, inputs, with_a, fp, bp.chunk_context(context, i), engine, given)
        for i, inputs, given in chunks
    ]


def _transform_chunk(
    z: int, u: int, with_a: bool, inputs: list[Ciphertext], engine: str
) -> tuple[list[bytes] | None, list[bytes]]:
    return bp.transform(z, u, inputs, with_a, engine)


def transform_rows(
    pool: Workers, z: int, u: int, inputs: Sequence[Ciphertext], with_a: bool
) -> tuple[list[bytes] | None, list[bytes]]:
    """A pass's rows without proofs (:func:`batchproof.transform`), over the workers."""
    jobs = [(z, u, with_a, list(inputs[lo:hi]), pool.engine) for lo, hi in pool.ranges(len(inputs), 1024)]
    parts = pool.map(_transform_chunk, jobs)
    a = [x for p in parts for x in (p[0] or [])] if with_a else None
    return a, [x for p in parts for x in p[1]]


def _verify_chunks(
    z_pub: bytes,
    u_pub: bytes,
    fp: bytes,
    context: bytes,
    chunks: list[tuple[int, list[Ciphertext], list[bytes] | None, list[bytes], bp.LinearProof]],
    engine: str,
    fallback: bool,
) -> list[int]:
    return [
        i
        for i, inputs, a, b, proof in chunks
        if not bp.verify_linear(
            proof, z_pub, u_pub, inputs, a, b, fp, bp.chunk_context(context, i), engine, fallback
        )
    ]


def _jobs(pool: Workers, count: int) -> list[list[int]]:
    """Chunk indices in ``4 × workers`` contiguous groups whose sizes differ by at most one, so that the cores
    finish together even when one is slowed down (groups of ``⌈count / 2w⌉`` left the last one short)."""
    groups = min(count, pool.count * 4)
    if groups <= 1:
        return [list(range(count))] if count else []
    base, extra = divmod(count, groups)
    out, lo = [], 0
    for g in range(groups):
        hi = lo + base + (1 if g < extra else 0)
        out.append(list(range(lo, hi)))
        lo = hi
    return out


def run_pass(
    pool: Workers,
    z: int,
    u: int,
    inputs: Sequence[Ciphertext],
    with_a: bool,
    fp: bytes,
    context: bytes,
    given: bp.Given | None = None,
) -> PassOutput:
    """One trustee's pass over ``inputs`` (see the module docstring), chunk proofs computed in parallel; with
    ``given`` (the rows computed ahead by :func:`transform_rows`, aligned with ``inputs``) only the proofs."""
    count = -(-len(inputs) // bp.CHUNK)

    def rows(i: int) -> bp.Given | None:
        if given is None:
            return None
        lo, hi = i * bp.CHUNK, (i + 1) * bp.CHUNK
        return (None if given[0] is None else list(given[0][lo:hi])), list(given[1][lo:hi])

    spans = [(i, list(inputs[i * bp.CHUNK : (i + 1) * bp.CHUNK]), rows(i)) for i in range(count)]
    jobs = [
        (z, u, with_a, fp, context, [spans[i] for i in group], pool.engine) for group in _jobs(pool, count)
    ]
    results = [r for part in pool.map(_prove_chunks, jobs) for r in part]
    a = [x for r in results for x in (r[0] or [])] if with_a else None
    return PassOutput(a, [x for r in results for x in r[1]], [r[2] for r in results])


def check_pass(
    pool: Workers,
    key_z: bytes,
    key_u: bytes,
    inputs: Sequence[Ciphertext],
    out: PassOutput,
    fp: bytes,
    context: bytes,
    fallback: bool = True,
) -> list[int]:
    """Indices of chunks whose proof fails (``fallback``: as in ``batchproof.verify_linear``)."""
    count = -(-len(inputs) // bp.CHUNK)

    def span(i: int) -> tuple[int, list[Ciphertext], list[bytes] | None, list[bytes], bp.LinearProof]:
        lo, hi = i * bp.CHUNK, (i + 1) * bp.CHUNK
        return (i, list(inputs[lo:hi]), None if out.a is None else out.a[lo:hi], out.b[lo:hi], out.proofs[i])

    jobs = [
        (key_z, key_u, fp, context, [span(i) for i in group], pool.engine, fallback)
        for group in _jobs(pool, count)
    ]
    return [i for part in pool.map(_verify_chunks, jobs) for i in part]


# --- the MAC fold --------------------------------------------------------------------------------------------------


def _fold_sum_chunk(macs: list[Ciphertext], *exps: list[Ciphertext]) -> list[Ciphertext]:
    out = []
    for i, c2 in enumerate(macs):
        a, b = c2.a, G.sub(c2.b, G.GENERATOR)
        for e in exps:
            a, b = G.add(a, e[i].a), G.add(b, e[i].b)
        out.append(Ciphertext(a, b))
    return out


_MINUS_G = G.IDENTITY + G.neg(G.GENERATOR)  # the ciphertext (0, −G), added to every D


def _native_sums(lists: Sequence[Sequence[Ciphertext]], offset: bytes = b"") -> list[Ciphertext] | None:
    """Element-wise sums of ciphertext lists plus ``offset`` in one native call (public elements: each decoded
    once, each sum encoded once); ``None`` when the native decoder refuses an element (the caller's reference
    kernel then gives the error)."""
    try:
        flat = cr_prover.add_lists([cr_prover.rows_bytes(x) for x in lists], offset)
    except native.EngineError:
        return None
    return [Ciphertext(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def _fold_sum_native(macs: list[Ciphertext], *exps: list[Ciphertext]) -> list[Ciphertext]:
    """:func:`_fold_sum_chunk` natively (:func:`_native_sums`)."""
    sums = _native_sums((macs, *exps), _MINUS_G)
    return _fold_sum_chunk(macs, *exps) if sums is None else sums


def fold_sum(
    pool: Workers, exps: Sequence[Sequence[Ciphertext]], macs: Sequence[Ciphertext]
) -> list[Ciphertext]:
    """``D_i = Σ_j E_{j,i} + C2_i − (0, G)`` (natively with the native engine)."""
    kernel = _fold_sum_native if cr_prover.enabled(pool.engine) else _fold_sum_chunk
    jobs = [(list(macs[lo:hi]), *[list(e[lo:hi]) for e in exps]) for lo, hi in pool.ranges(len(macs), 1024)]
    return [x for part in pool.map(kernel, jobs) for x in part]


def _add_chunk(xs: list[Ciphertext], ys: list[Ciphertext]) -> list[Ciphertext]:
    return [Ciphertext(G.add(c.a, d.a), G.add(c.b, d.b)) for c, d in zip(xs, ys, strict=True)]


def _add_native(xs: list[Ciphertext], ys: list[Ciphertext]) -> list[Ciphertext]:
    """:func:`_add_chunk` natively (:func:`_native_sums`)."""
    sums = _native_sums((xs, ys))
    return _add_chunk(xs, ys) if sums is None else sums


def fold_apply(
    pool: Workers, credentials: Sequence[Ciphertext], blinded: Sequence[Ciphertext]
) -> list[Ciphertext]:
    """``C1*_i = C1_i + D*_i``."""
    if len(credentials) != len(blinded):
        raise CoercionError("fold: as many blinded ciphertexts as credentials are needed")
    jobs = [
        (list(credentials[lo:hi]), list(blinded[lo:hi])) for lo, hi in pool.ranges(len(credentials), 1024)
    ]
    kernel = _add_native if cr_prover.enabled(pool.engine) else _add_chunk
    return [x for part in pool.map(kernel, jobs) for x in part]


def _blind_chunk(
    fp: bytes, context: bytes, start: int, inputs: list[Ciphertext], engine: str
) -> tuple[list[Ciphertext], list[bp.BlindProof]]:
    return bp.blind_rows(inputs, fp, context, start, engine)


def _check_blind_chunk(
    fp: bytes,
    context: bytes,
    start: int,
    inputs: list[Ciphertext],
    outputs: list[Ciphertext],
    proofs: list[bp.BlindProof],
    engine: str,
    fallback: bool,
) -> list[int]:
    return bp.verify_blind_rows(inputs, outputs, proofs, fp, context, start, engine, fallback)


def run_blind(
    pool: Workers, inputs: Sequence[Ciphertext], fp: bytes, context: bytes
) -> tuple[list[Ciphertext], list[bp.BlindProof]]:
    jobs = [(fp, context, lo, list(inputs[lo:hi]), pool.engine) for lo, hi in pool.ranges(len(inputs))]
    parts = pool.map(_blind_chunk, jobs)
    return [x for p in parts for x in p[0]], [x for p in parts for x in p[1]]


def check_blind(
    pool: Workers,
    inputs: Sequence[Ciphertext],
    outputs: Sequence[Ciphertext],
    proofs: Sequence[bp.BlindProof],
    fp: bytes,
    context: bytes,
    fallback: bool = True,
) -> list[int]:
    """Rows whose blinding proof fails (``fallback``: as in ``batchproof.verify_blind_rows``)."""
    jobs = [
        (
            fp,
            context,
            lo,
            list(inputs[lo:hi]),
            list(outputs[lo:hi]),
            list(proofs[lo:hi]),
            pool.engine,
            fallback,
        )
        for lo, hi in pool.ranges(len(inputs))
    ]
    return [i for part in pool.map(_check_blind_chunk, jobs) for i in part]


def blind_json(outputs: Sequence[Ciphertext], proofs: Sequence[bp.BlindProof]) -> dict[str, Any]:
    return {
        "outputs": [ct.to_json() for ct in outputs],
        "proofs": [[t1.hex(), t2.hex(), G.scalar_to_bytes(s).hex()] for t1, t2, s in proofs],
    }


# --- matching ---------------------------------------------------------------------------------------------------------


def last_per_tag(tags: Sequence[bytes]) -> list[int]:
    """Positions of the last occurrence of every tag, in order: the last ballot per credential counts."""
    last: dict[bytes, int] = {}
    for i, t in enumerate(tags):
        last[t] = i
    return sorted(last.values())


def match(ballot_tags: Sequence[bytes], roll_tags: Sequence[bytes]) -> list[int]:
    """Positions of mixed ballots whose tag is a roll tag, each roll tag used at most once: one hash table, O(n)."""
    available = set(roll_tags)
    counted = []
    for i, t in enumerate(ballot_tags):
        if t in available:
            available.discard(t)
            counted.append(i)
    return counted
