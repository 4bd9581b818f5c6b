"""The native engine's part of the coercion-resistant mode (docs/native.md, "Coercion-resistant mode").

Thin wrappers around the ``cr_*`` functions of ``plebiscite_native`` (``native/src/cr/``). Every one of them is
variable time and takes **public** values only — elements and proofs from the record, coefficients and challenges
derived from them. The callers in ``coercion/`` never pass a secret here: a prover uses these for sums over public
rows with public coefficients only. Its secrets (tag keys, shares, permutations, re-encryption and blinding
randomness) go to :mod:`plebiscite.native.cr_prover` — curve25519-dalek's constant-time operations — with the native
engine, and stay in libsodium's with the reference engine (docs/native.md §7.6).

As for standard ballots, the native engine only *accepts* on its own: a proof it refuses (or an input it cannot
decode) is checked again by the reference, whose answer — and message — is the one reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plebiscite import native
from plebiscite.hazmat import group as G


def _call(name: str, *args: Any) -> Any:
    """The extension's ``name`` (:func:`plebiscite.native.call`); one name to spy on in the tests."""
    return native.call(name, *args)


def enabled(engine: str) -> bool:
    """Whether ``engine`` (an already resolved engine name) runs these proofs natively."""
    return engine == native.NATIVE and native.AVAILABLE


def _scalars(values: Sequence[int]) -> bytes:
    """``G.scalar_to_bytes`` of each, joined (inlined: a shuffle proof packs two scalars a row)."""
    order = G.ORDER
    return b"".join([(v % order).to_bytes(32, "little") for v in values])


def msm_columns(scalars: Sequence[int], columns: Sequence[Sequence[bytes]]) -> list[bytes]:
    """``[Σ s_i·column[i] for column in columns]`` — variable time: public scalars and elements only."""
    return list(_call("cr_msm_columns", _scalars(scalars), [b"".join(c) for c in columns]))


def point_sum(points: Sequence[bytes]) -> bytes:
    return bytes(_call("cr_sum", b"".join(points)))


def generators(fp: bytes, context: bytes, lo: int, hi: int) -> list[bytes]:
    """The shuffle's generators ``h_lo … h_{hi−1}`` (``shuffle._generators``)."""
    return native.split(_call("cr_generators", fp, context, lo, hi))


def generator_sums(fp: bytes, context: bytes, lo: int, s: Sequence[int]) -> tuple[bytes, bytes]:
    """``(Σ h_i, Σ s_i·h_i)`` over the shuffle's generators ``h_lo … h_{lo+len(s)−1}``."""
    total, weighted = _call("cr_generator_sums", fp, context, lo, lo + len(s), _scalars(s))
    return bytes(total), bytes(weighted)


def hats_hold(
    c: int,
    s_hat: Sequence[int],
    s_prime: Sequence[int],
    first_prev: bytes,
    chain: Sequence[bytes],
    hats: Sequence[bytes],
) -> bool:
    """Whether ``t̂_i = ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i`` for every row (``ĉ_{i−1}`` = ``first_prev`` for the first),
    checked as one random linear combination (≤ 2^-128 for a false row)."""
    return bool(
        _call(
            "cr_hats_hold",
            G.scalar_to_bytes(c),
            _scalars(s_hat),
            _scalars(s_prime),
            first_prev,
            b"".join(chain),
            b"".join(hats),
        )
    )


def valid_elements(raw: bytes) -> bool:
    """Whether every 32 bytes of ``raw`` are a canonical ristretto255 encoding (the identity included)."""
    return bool(_call("cr_valid_elements", raw))


def _rows(inputs: Sequence[Any]) -> bytes:
    return b"".join(ct.a + ct.b for ct in inputs)


def linear_input_sums(seed: bytes, inputs: Sequence[Any]) -> tuple[bytes, bytes]:
    """``(Σ e_i a_i, Σ e_i b_i)``, ``e_i = coef(seed, i)``: a prover's sums over its public input rows."""
    a, b = _call("cr_linear_input_sums", seed, _rows(inputs))
    return bytes(a), bytes(b)


def verify_linear(
    proof: tuple[int, int, int],
    z_pub: bytes,
    u_pub: bytes,
    inputs: Sequence[Any],
    out_a: Sequence[bytes] | None,
    out_b: Sequence[bytes],
    fp: bytes,
    context: bytes,
) -> bool:
    """One chunk's linear batch proof (``batchproof.verify_linear``)."""
    return bool(
        _call(
            "cr_verify_linear",
            fp,
            context,
            z_pub,
            u_pub,
            _rows(inputs),
            None if out_a is None else b"".join(out_a),
            b"".join(out_b),
            _scalars(proof),
        )
    )


def blind_failing(
    inputs: Sequence[Any],
    outputs: Sequence[Any],
    proofs: Sequence[tuple[bytes, bytes, int]],
    fp: bytes,
    context: bytes,
    start: int,
) -> list[int]:
    """Rows (numbered from ``start``) whose blinding proof fails (``batchproof.verify_blind_rows``): the rows'
    equations as one random linear combination, then row by row only if it fails."""
    flat = b"".join(t1 + t2 + G.scalar_to_bytes(s) for t1, t2, s in proofs)
    return list(_call("cr_blind_failing", fp, context, start, _rows(inputs), _rows(outputs), flat))


def credential_proofs(
    fp: bytes, public_key: bytes, ballots: Sequence[Any], contents: Sequence[bytes] | None = None
) -> bytes:
    """Per ``CrBallot``: 1 when its credential proof holds, 0 when it does not, 2 when an encoding is refused
    (``contents``: each ballot's ``content_bytes()``, when the caller has them)."""
    if contents is None:
        contents = [b.content_bytes() for b in ballots]
    items = [
        (b.credential.a + b.credential.b + b.mac.a + b.mac.b, content, _scalars(b.proof))
        for b, content in zip(ballots, contents, strict=True)
    ]
    return bytes(_call("cr_credential_proofs", fp, public_key, items))


def _branches(proof: Any) -> bytes:
    return b"".join(
        a + b + G.scalar_to_bytes(c) + G.scalar_to_bytes(z)
        for a, b, c, z in zip(proof.commit_a, proof.commit_b, proof.challenges, proof.responses, strict=True)
    )


def _vote_proofs(ballot: Any, layouts: Sequence[Any]) -> list[tuple[bytes, bytes, bytes, int, int, bytes]]:
    from plebiscite.ballot.check import option_context, sum_context, weighted_sum

    binding, out = ballot.binding, []
    for q, (ans, lay) in enumerate(zip(ballot.answers, layouts, strict=True)):
        for i, (ct, proof) in enumerate(zip(ans.choices, ans.proofs, strict=True)):
            out.append((option_context(binding, q, i), ct.a, ct.b, 0, 1, _branches(proof)))
        if ans.sum_proof is not None:
            total = weighted_sum(ans.choices, lay.weights)
            out.append((sum_context(binding, q), total.a, total.b, lay.lo, lay.hi, _branches(ans.sum_proof)))
    return out


def vote_proofs(fp: bytes, public_key: bytes, ballots: Sequence[Any], layouts: Sequence[Any]) -> bytes:
    """Per ``CrBallot``: 1 when all its 0/1 and sum proofs hold natively, else 0 (the reference then decides)."""
    return bytes(_call("cr_vote_proofs", fp, public_key, [_vote_proofs(b, layouts) for b in ballots]))


def _proof(c: int, z: int) -> bytes:
    return G.scalar_to_bytes(c) + G.scalar_to_bytes(z)


def schnorr_holds(proof: Any, public: bytes, fp: bytes, context: bytes) -> bool:
    """Whether a Schnorr proof (``proofs/schnorr.verify``) holds natively; False also when an encoding is refused
    (the reference then checks it and names the reason)."""
    try:
        return bool(_call("cr_schnorr", fp, context, public, _proof(proof.c, proof.z)))
    except native.EngineError:
        return False


def dleq_holds(proof: Any, base: bytes, public: bytes, image: bytes, fp: bytes, context: bytes) -> bool:
    """Whether a Chaum–Pedersen proof with ``g = G`` (``proofs/dleq.verify``) holds natively; False also when an
    encoding is refused (the reference then checks it and names the reason)."""
    try:
        return bool(_call("cr_dleq", fp, context, base, public, image, _proof(proof.c, proof.z)))
    except native.EngineError:
        return False


def challenge(tag: str, fp: bytes, context: bytes, statement: list[bytes], commitments: list[bytes]) -> int:
    """``transcript.challenge`` computed natively (the cross-check tests compare it with the Python one)."""
    raw = _call("cr_challenge", tag.encode(), fp, context, statement, commitments)
    return int.from_bytes(raw, "little")


def coefficients(seed: bytes, start: int, count: int) -> list[int]:
    """``codec.coefficients`` computed natively (the shuffle verifier's ``u_j``; the cross-check tests)."""
    return [int.from_bytes(x, "little") for x in native.split(_call("cr_coefficients", seed, start, count))]


def linear_seed(
    fp: bytes,
    context: bytes,
    z_pub: bytes,
    u_pub: bytes,
    inputs: Sequence[Any],
    out_a: Sequence[bytes] | None,
    out_b: Sequence[bytes],
) -> bytes:
    """``batchproof._seed`` computed natively (for the cross-check tests)."""
    a = None if out_a is None else b"".join(out_a)
    return bytes(_call("cr_linear_seed", fp, context, z_pub, u_pub, _rows(inputs), a, b"".join(out_b)))
