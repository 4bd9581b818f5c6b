"""Exactly one encoding for every value: the strict hex decoder every reader of the protocol's data goes through.

``bytes.fromhex`` accepts upper case, mixed case and whitespace between bytes, so one value could be spelt many
ways. Wherever a spelling is hashed, signed, compared or looked up, two spellings of one value are two values: a
ballot found under one tracking code and not another, a key that matches here but not in a second implementation.
The rule (docs/protocol.md §1, docs/record.md) is therefore **lowercase hex digits, exactly twice the byte length,
nothing else**, and it is enforced on reading by checking that the decoded bytes spell the text back.
"""

from __future__ import annotations


class EncodingError(ValueError):
    """A value is not in its one canonical spelling; the message names the field and the reason."""


def hex_bytes(text: object, size: int | None, what: str) -> bytes:
    """The bytes that ``text`` spells in canonical hex, of exactly ``size`` bytes (any length when ``None``)."""
    if not isinstance(text, str):
        raise EncodingError(f"{what}: expected a hex string")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise EncodingError(f"{what}: not hexadecimal") from None
    if size is not None and len(raw) != size:
        raise EncodingError(f"{what}: expected {size} bytes ({2 * size} hex digits)")
    if raw.hex() != text:
        raise EncodingError(f"{what}: hex must be lowercase digits without spaces or separators")
    return raw


def is_hex(text: object, size: int | None = None) -> bool:
    """Whether ``text`` is canonical hex (of ``size`` bytes when given)."""
    try:
        hex_bytes(text, size, "")
    except EncodingError:
        return False
    return True
