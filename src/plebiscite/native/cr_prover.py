"""The native engine's part of the trustees' **secret** computations in the coercion-resistant tally
(docs/native.md §7.6): thin wrappers around the ``cr_prove*`` functions of ``plebiscite_native``
(``native/src/cr/prover*.rs``), which run on curve25519-dalek's constant-time operations only.

Secrets cross into Rust as bytes: a trustee's scalars (tag keys ``z, u``, the MAC share ``λ·s``) as 32 bytes, and
fresh randomness as 64 bytes a scalar from :func:`randomness` — drawn here, by ``secrets``, exactly as the reference
draws it (one ``secrets.token_bytes(64)`` a scalar, or one read for many), and reduced in Rust as the reference
reduces it (``int.from_bytes(…, "little") % ℓ``). So from the same random bytes both engines post the same bytes.
Nothing here logs, and the extension's errors name the argument, never a value.

Used only when the engine is native (:func:`enabled`); ``PLEBISCITE_ENGINE=reference`` keeps every secret
operation in libsodium.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from plebiscite import native
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr


def _call(name: str, *args: Any) -> Any:
    """The extension's ``name`` (:func:`plebiscite.native.call`); one name to spy on in the tests."""
    return native.call(name, *args)


def enabled(engine: str) -> bool:
    """Whether ``engine`` (resolved) runs the trustees' secret computations natively."""
    return native_cr.enabled(engine)


def randomness(count: int) -> bytes:
    """``64·count`` bytes from the OS CSPRNG, every 64 of which reduce to a non-zero scalar (checked in constant
    time natively; a zero, probability 2⁻²⁵⁰, means drawing all of them again)."""
    while True:
        raw = secrets.token_bytes(64 * count)
        if _call("cr_prover_nonzero", raw):
            return raw


def secret_bytes(value: int) -> bytes:
    """A trustee's secret scalar as the extension takes it (32 bytes little-endian, reduced)."""
    return G.scalar_to_bytes(value)


def rows_bytes(cts: Sequence[Any]) -> bytes:
    """Ciphertexts as ``a ‖ b`` (64 bytes each)."""
    return b"".join(ct.a + ct.b for ct in cts)


def _u_arg(u: int) -> bytes | None:
    """``u`` as the extension takes it: ``None`` for the MAC fold's ``u = 0`` (public: its ``U`` is the identity,
    decided as the reference decides it)."""
    return None if u % G.ORDER == 0 else secret_bytes(u)


def prove_linear(
    z: int,
    u: int,
    inputs: Sequence[Any],
    with_a: bool,
    fp: bytes,
    context: bytes,
    given: tuple[Sequence[bytes] | None, Sequence[bytes]] | None = None,
) -> tuple[list[bytes] | None, list[bytes], tuple[int, int, int]]:
    """One chunk of ``batchproof.prove_linear``: ``(a' or None, b', (c, s_z, s_u))``; the nonces ``w_z, w_u`` are
    drawn as the reference draws them (two scalars, in that order). ``given``: the rows computed ahead
    (:func:`transform`), then only the proof is made here."""
    nonces = randomness(2)
    joined = None if given is None else (None if given[0] is None else b"".join(given[0]), b"".join(given[1]))
    a, b, proof = _call(
        "cr_prove_linear", fp, context, secret_bytes(z), _u_arg(u), rows_bytes(inputs), with_a, nonces, joined
    )
    c, sz, su = (int.from_bytes(x, "little") for x in native.split(proof))
    return (None if a is None else native.split(a)), native.split(b), (c, sz, su)


def transform(z: int, u: int, inputs: Sequence[Any], with_a: bool) -> tuple[list[bytes] | None, list[bytes]]:
    """A linear pass's rows without a proof (``a' = z·a`` when ``with_a``, ``b' = z·b − u·a``), constant time."""
    a, b = _call("cr_prove_transform", secret_bytes(z), _u_arg(u), rows_bytes(inputs), with_a)
    return (None if a is None else native.split(a)), native.split(b)


def blind_rows(inputs: Sequence[Any], fp: bytes, context: bytes, start: int) -> tuple[bytes, bytes]:
    """One chunk of ``batchproof.blind_rows``: ``(outputs, proofs)``, 64 and 96 bytes a row (``ρ_i, w_i`` drawn
    per row, in the reference's order)."""
    return tuple(  # type: ignore[return-value]
        _call("cr_prove_blind", fp, context, start, rows_bytes(inputs), randomness(2 * len(inputs)))
    )


def shuffle_rows(
    key: bytes,
    width: int,
    inputs: bytes,
    rands: bytes,
    r: bytes,
    generators: tuple[bytes, bytes, bytes],
    w_commit: bytes,
    w_prime: bytes,
) -> tuple[bytes, bytes, bytes]:
    """One chunk of re-encrypted rows, their commitments and the chunk's share of ``Σ ω'_i·(h_i, a'_i, b'_i)``
    (the generators' term in commitment order: ``w_commit`` holds ``ω'_{ψ⁻¹(j)}``). ``generators`` is ``(fp,
    context, h_index)``: the commitments' generators ``h_{ψ⁻¹(j)}`` are hashed natively (constant time) from the
    **secret** indices ``h_index`` = ``int8(ψ⁻¹(j))`` a row (:func:`generator_indices`)."""
    return tuple(  # type: ignore[return-value]
        _call("cr_prove_shuffle_rows", key, width, inputs, rands, r, generators, w_commit, w_prime)
    )


def generator_indices(indices: Sequence[int]) -> bytes:
    """The secret indices of a chunk's commitment generators as the transcript encodes an index (8 bytes
    big-endian each, ``proofs.transcript.int_bytes``): what ``shuffle_rows`` hashes."""
    return b"".join(i.to_bytes(8, "big") for i in indices)


def shuffle_carries(r_hat: bytes, u_prime: bytes, starts: list[int]) -> list[bytes]:
    """The chain's secret state ``R ‖ U`` (64 bytes) before each chunk."""
    return native.split(_call("cr_prove_shuffle_carries", r_hat, u_prime, starts), 64)


def shuffle_chain(
    h: bytes, carry: bytes, r_hat: bytes, u_prime: bytes, w_hat: bytes, w_prime: bytes
) -> tuple[bytes, bytes]:
    """One chunk of the chain ``ĉ_i`` and its commitments ``t̂_i``."""
    return tuple(_call("cr_prove_shuffle_chain", h, carry, r_hat, u_prime, w_hat, w_prime))  # type: ignore[return-value]


def shuffle_commitments(key: bytes, width: int, parts: Sequence[bytes], nonces: bytes) -> list[bytes]:
    """``t1, t2, t3, t4a_0, t4b_0, …``."""
    return native.split(_call("cr_prove_shuffle_commitments", key, width, b"".join(parts), nonces))


def shuffle_responses(c: int, width: int, raw: bytes, nonces: bytes, u: bytes, u_prime: bytes) -> list[int]:
    """``s (3) ‖ s4 (w) ‖ ŝ (n) ‖ s' (n)`` as integers (public once posted)."""
    out = _call("cr_prove_shuffle_responses", G.scalar_to_bytes(c), width, raw, nonces, u, u_prime)
    return [int.from_bytes(x, "little") for x in native.split(out)]


def coefficients(seed: bytes, count: int) -> bytes:
    """``codec.coefficients(seed, 0, count)`` natively, 32 bytes each (public)."""
    return bytes(_call("cr_coefficients", seed, 0, count))


def add_lists(lists: Sequence[bytes], offset: bytes = b"") -> list[bytes]:
    """Element-wise sums of equal-length lists of elements (joined), plus ``offset``'s elements cyclically (public
    values only: the tally's sums between the trustees' steps)."""
    return native.split(_call("cr_add_lists", list(lists), offset))


def column_sums(rows: bytes, width: int) -> list[bytes]:
    """The column sums of rows of ``width`` elements (joined; public values only)."""
    return native.split(_call("cr_column_sums", rows, width))
