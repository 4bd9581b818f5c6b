"""The typed and printed form of a coercion-resistant credential: the in-person *credential sheet*.

A voter without a safe device of their own registers at the registrar's station and leaves with a sheet of paper:
a QR code and the same content as a typed code of 80 letters and digits. The code carries only what casting needs —
a 16-byte seed from which ``σ`` is derived, and ``V`` — so that it stays short enough to type. A *fake* sheet is a
random seed and a random element ``V'`` (whose logarithm nobody knows, as for a real ``V``): the two are drawn from
the same distributions, so nobody without the MAC secret ``s`` or the election key can tell them apart, and anyone
(the voter, the station, the booth) can make fakes without any secret at all.

Code bytes (50): ``seed (16) ‖ V (32) ‖ check (2)`` with
``check = SHA-256(frame("plebiscite/v1/cr-sheet-check", election_id, seed, V))[:2]``; text: RFC 4648 base32 without
padding (80 characters), shown in 16 groups of five separated by ``-``; the QR code holds the same text.
``σ = H_s("plebiscite/v1/cr-sheet-sigma", election_id, seed)`` (``hash_to_scalar``, docs/coercion.md §3.5).
Reading a code ignores case, spaces, dashes and the look-alike characters the booth maps (Cyrillic homoglyphs,
``0 1 8``); the checksum binds the election, so a sheet of another election is refused as mistyped.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from plebiscite.coercion.codec import CoercionError
from plebiscite.hazmat import group as G
from plebiscite.hazmat.group import frame

SEED_BYTES = 16
CODE_CHARS = 80
CHECK_TAG = b"plebiscite/v1/cr-sheet-check"
SIGMA_TAG = b"plebiscite/v1/cr-sheet-sigma"
FAKE_TAG = b"plebiscite/v1/cr-fake"

# The booth's look-alikes (booth/static/js/credential.js): only ever widen what is accepted; the checksum decides.
LOOKALIKES = str.maketrans(
    {"А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
     "І": "I", "0": "O", "1": "I", "8": "B"}
)  # fmt: skip


def sheet_sigma(election_id: str, seed: bytes) -> int:
    """``σ`` of a sheet credential, derived from its seed (so the code need not carry 32 bytes of it)."""
    return G.hash_to_scalar(SIGMA_TAG, election_id.encode(), seed)


def _check(election_id: str, seed: bytes, element: bytes) -> bytes:
    return hashlib.sha256(frame(CHECK_TAG, election_id.encode(), seed, element)).digest()[:2]


@dataclass(frozen=True)
class SheetCredential:
    """What a credential sheet holds: the seed of ``σ`` and ``V`` (real or fake: the same shape)."""

    election_id: str
    seed: bytes
    element: bytes

    @property
    def sigma(self) -> int:
        return sheet_sigma(self.election_id, self.seed)

    @staticmethod
    def fake(election_id: str) -> SheetCredential:
        """A fake sheet: a random seed and a random element, exactly as a real sheet's are distributed."""
        element = G.hash_to_element(FAKE_TAG, secrets.token_bytes(32))
        return SheetCredential(election_id, secrets.token_bytes(SEED_BYTES), element)

    def code(self) -> str:
        """``XXXXX-XXXXX-…``: 16 groups of five (what is typed, and what the QR code holds)."""
        raw = self.seed + self.element + _check(self.election_id, self.seed, self.element)
        text = base64.b32encode(raw).decode()
        return "-".join(text[i : i + 5] for i in range(0, CODE_CHARS, 5))

    @staticmethod
    def from_code(election_id: str, code: str) -> SheetCredential:
        """Read a typed or scanned code; raises CoercionError naming what is wrong (never the code itself)."""
        text = "".join(ch for ch in code.upper().translate(LOOKALIKES) if ch.isalnum())
        if not text:
            raise CoercionError("credential code: empty")
        if len(text) != CODE_CHARS:
            raise CoercionError(f"credential code: expected {CODE_CHARS} letters and digits, got {len(text)}")
        try:
            raw = base64.b32decode(text)
        except ValueError:
            raise CoercionError("credential code: not base32 (letters A–Z and digits 2–7)") from None
        seed, element, check = raw[:SEED_BYTES], raw[SEED_BYTES:48], raw[48:]
        if not secrets.compare_digest(_check(election_id, seed, element), check):
            raise CoercionError(
                "credential code: checksum does not match (typing error, or another election)"
            )
        if not G.is_valid_element(element) or element == G.IDENTITY:
            raise CoercionError("credential code: not a credential (typing error?)")
        return SheetCredential(election_id, seed, element)

    def __repr__(self) -> str:  # never print the seed or V
        return f"SheetCredential(election_id={self.election_id!r})"


def sheet_sigma_for(election_id: str, mac_secret: int) -> tuple[bytes, int]:
    """The registrar's draw for a sheet: a fresh seed whose ``σ`` satisfies ``s + σ ≠ 0`` (re-drawn otherwise)."""
    while True:
        seed = secrets.token_bytes(SEED_BYTES)
        sigma = sheet_sigma(election_id, seed)
        if (mac_secret + sigma) % G.ORDER:
            return seed, sigma
