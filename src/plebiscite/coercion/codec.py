"""Wire encodings, list digests and derived coefficients shared by every coercion-mode proof.

Lists with millions of entries (ballot rows, tags) enter Fiat–Shamir through :func:`list_digest`: SHA-512 over
exactly the bytes :func:`plebiscite.hazmat.group.frame` would produce, streamed so that nothing the size of the list
is ever joined in memory. Batching coefficients and shuffle challenges are expanded from a seed that binds the whole
statement (:func:`coefficients`). Decoders raise :class:`CoercionError` naming the field and the reason.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr
from plebiscite.proofs.transcript import PROTOCOL, int_bytes

Row = tuple[Ciphertext, ...]
COEFFICIENT_TAG = PROTOCOL + b"cr-coefficient"


class CoercionError(ValueError):
    """Malformed or invalid coercion-mode data; the message names the field and the reason."""


_ELEMENT_PREFIX = (32).to_bytes(8, "big")
_BLOCK = 1 << 16


def list_digest(domain: bytes, items: Iterable[bytes]) -> bytes:
    """``SHA-512(frame(PROTOCOL + domain, *items))``, streamed in blocks: a block of 32-byte items (elements,
    scalars: lists of millions) is framed by one ``join`` instead of two hash updates an item."""
    h = hashlib.sha512()
    tag = PROTOCOL + domain
    h.update(len(tag).to_bytes(8, "big"))
    h.update(tag)
    it = iter(items)
    while block := list(itertools.islice(it, _BLOCK)):
        if all(len(part) == 32 for part in block):
            h.update(_ELEMENT_PREFIX)
            h.update(_ELEMENT_PREFIX.join(block))
            continue
        for part in block:
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
    return h.digest()


def row_parts(rows: Sequence[Row]) -> Iterable[bytes]:
    """Every row's ciphertexts as ``a, b, a, b, …`` in order."""
    for row in rows:
        for ct in row:
            yield ct.a
            yield ct.b


def rows_digest(domain: bytes, rows: Sequence[Row]) -> bytes:
    """Digest of a list of rows, with its shape (count and width) in front."""
    width = len(rows[0]) if rows else 0
    return list_digest(domain, _prefixed([int_bytes(len(rows)), int_bytes(width)], row_parts(rows)))


def _prefixed(head: list[bytes], tail: Iterable[bytes]) -> Iterable[bytes]:
    yield from head
    yield from tail


def coefficients(seed: bytes, start: int, count: int) -> list[int]:
    """``e_i = H(COEFFICIENT_TAG, seed, i)`` for ``i`` in ``[start, start + count)``."""
    return [G.hash_to_scalar(COEFFICIENT_TAG, seed, int_bytes(i)) for i in range(start, start + count)]


def seed_bytes(value: int) -> bytes:
    return G.scalar_to_bytes(value)


# --- JSON decoding --------------------------------------------------------------------------------------------------


def element(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise CoercionError(f"{what}: expected a hex element")
    try:
        return G.element_from_hex(value, what)
    except G.GroupError as exc:
        raise CoercionError(str(exc)) from None


def scalar(value: object, what: str) -> int:
    if not isinstance(value, str):
        raise CoercionError(f"{what}: expected a hex scalar")
    try:
        return G.scalar_from_hex(value, what)
    except G.GroupError as exc:
        raise CoercionError(str(exc)) from None


def scalars(value: object, count: int | None, what: str) -> list[int]:
    if not isinstance(value, list) or (count is not None and len(value) != count):
        expected = "a list" if count is None else f"a list of {count}"
        raise CoercionError(f"{what}: expected {expected} hex scalars")
    fast = _scalars_joined(value)
    return fast if fast is not None else [scalar(v, f"{what}[{i}]") for i, v in enumerate(value)]


def _scalars_joined(values: list[object]) -> list[int] | None:
    """The scalars of a list of canonical hex spellings in one ``fromhex`` (a shuffle proof has two per row);
    ``None`` when anything is unusual (a non-string, non-canonical hex, a value ``≥ ℓ``): :func:`scalar` then
    decodes entry by entry and names the first bad one."""
    raw = _hex_joined(values)
    if raw is None:
        return None
    out = [int.from_bytes(raw[i : i + 32], "little") for i in range(0, len(raw), 32)]
    return out if all(v < G.ORDER for v in out) else None


def ciphertext(value: object, what: str) -> Ciphertext:
    if not isinstance(value, list) or len(value) != 2:
        raise CoercionError(f"{what}: expected a list of two hex elements")
    return Ciphertext(element(value[0], f"{what}[0]"), element(value[1], f"{what}[1]"))


def row(value: object, width: int, what: str) -> Row:
    if not isinstance(value, list) or len(value) != width:
        raise CoercionError(f"{what}: expected a row of {width} ciphertexts")
    return tuple(ciphertext(ct, f"{what}[{k}]") for k, ct in enumerate(value))


def rows(value: object, count: int, width: int, what: str) -> list[Row]:
    if not isinstance(value, list) or len(value) != count:
        raise CoercionError(f"{what}: expected {count} rows")
    return [row(r, width, f"{what}[{i}]") for i, r in enumerate(value)]


def elements(value: object, count: int, what: str, pool: Any = None, validate: bool = True) -> list[bytes]:
    """Decode and validate a list of elements; with a pool, in parallel (validation costs a libsodium call each).

    ``validate=False`` skips the curve check of entries spelled as canonical hex (anything else is still decoded
    entry by entry, which names it): only for elements that a native proof check decompresses before accepting
    (``verify_steps.StepVerifier._proved`` decodes them again with the check when it does not accept)."""
    if not isinstance(value, list) or len(value) != count:
        raise CoercionError(f"{what}: expected {count} hex elements")
    if not validate:
        raw = _hex_joined(value)
        if raw is not None:
            return [raw[i : i + 32] for i in range(0, len(raw), 32)]
    if pool is None:
        return _elements_chunk(value, what, 0)
    kernel = _elements_native if native_cr.enabled(pool.engine) else _elements_chunk
    jobs = [(value[lo:hi], what, lo) for lo, hi in pool.ranges(count, 4096)]
    return [x for part in pool.map(kernel, jobs) for x in part]


def _elements_native(values: list[object], what: str, start: int) -> list[bytes]:
    """:func:`_elements_chunk` with one native check of the whole chunk; anything unusual (a non-string, hex that
    is not canonical, an invalid element) goes through the reference, which names the entry and the reason."""
    raw = _hex_joined(values)
    if raw is not None and native_cr.valid_elements(raw):
        return [raw[i : i + 32] for i in range(0, len(raw), 32)]
    return _elements_chunk(values, what, start)


def _hex_joined(values: list[object]) -> bytes | None:
    """The bytes of a list of 32-byte values each spelled in canonical hex, read in one ``fromhex``; ``None`` when
    any entry is not a string of exactly 64 lowercase hex digits (the per-entry decoders then name it)."""
    try:
        joined = "".join(values)  # type: ignore[arg-type]  # a TypeError when an entry is not a string
    except TypeError:
        return None
    if values and set(map(len, values)) != {64}:  # type: ignore[arg-type]  # all strings here
        return None
    try:
        raw = bytes.fromhex(joined)
    except ValueError:
        return None
    return raw if len(raw) == 32 * len(values) and raw.hex() == joined else None


def _elements_chunk(values: list[object], what: str, start: int) -> list[bytes]:
    return [element(v, f"{what}[{start + i}]") for i, v in enumerate(values)]


def _flat_pairs(value: object, count: int, width: int, what: str) -> list[object]:
    """``[[[a, b], …], …]`` (count rows of width ciphertexts) flattened to ``[a, b, a, b, …]``, shape-checked."""
    if not isinstance(value, list) or len(value) != count:
        raise CoercionError(f"{what}: expected {count} rows")
    flat: list[object] = []
    for i, r in enumerate(value):
        if not isinstance(r, list) or len(r) != width:
            raise CoercionError(f"{what}[{i}]: expected a row of {width} ciphertexts")
        for k, ct in enumerate(r):
            if not isinstance(ct, list) or len(ct) != 2:
                raise CoercionError(f"{what}[{i}][{k}]: expected a list of two hex elements")
            flat += ct
    return flat


def rows_parallel(
    value: object, count: int, width: int, what: str, pool: Any, validate: bool = True
) -> list[Row]:
    """:func:`rows` with the element checks spread over ``pool`` (errors name the flat position; ``validate``:
    as in :func:`elements`)."""
    flat = elements(_flat_pairs(value, count, width, what), 2 * count * width, what, pool, validate)
    cts = [Ciphertext(flat[2 * i], flat[2 * i + 1]) for i in range(count * width)]
    return [tuple(cts[i * width : (i + 1) * width]) for i in range(count)]


def integer(value: object, what: str, lo: int = 0, hi: int = 2**62) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise CoercionError(f"{what}: expected an integer in [{lo}, {hi}]")
    return value


def row_json(r: Row) -> list[list[str]]:
    return [ct.to_json() for ct in r]


def scalar_hex(value: int) -> str:
    return G.scalar_to_bytes(value).hex()
