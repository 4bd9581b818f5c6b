"""The election fingerprint and the public context every later phase works in.

The fingerprint hashes everything fixed before voting: group, manifest, trustee commitments, election key and roll.
Every proof's Fiat–Shamir challenge includes it, so a proof made for one election is worthless in another, and a
ballot cannot be replayed across elections.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from plebiscite.hazmat import group as G
from plebiscite.hazmat.group import frame
from plebiscite.proofs.transcript import int_bytes
from plebiscite.record.events import canonical_json
from plebiscite.setup.manifest import Layout, Manifest, layout

FINGERPRINT_TAG = b"plebiscite/v1/fingerprint"


def fingerprint(
    manifest_payload: dict[str, Any],
    qualified_commitments: dict[int, list[bytes]],
    public_key: bytes,
    roll_digest: bytes,
) -> bytes:
    """``SHA-256(frame(tag, group, manifest, [index, C_0..C_{k-1}]…, K, roll))``."""
    parts = [G.NAME.encode(), canonical_json(manifest_payload), int_bytes(len(qualified_commitments))]
    for index in sorted(qualified_commitments):
        parts.append(int_bytes(index))
        parts.extend(qualified_commitments[index])
    parts += [public_key, roll_digest]
    return hashlib.sha256(frame(FINGERPRINT_TAG, *parts)).digest()


@dataclass(frozen=True)
class ElectionContext:
    """What a ballot is checked against and what the tally decrypts under."""

    manifest: Manifest
    trustees: int
    threshold: int
    fingerprint: bytes
    public_key: bytes
    roll: frozenset[bytes]
    verification_keys: dict[int, bytes]
    qualified: tuple[int, ...]

    @cached_property
    def _layouts(self) -> tuple[Layout, ...]:
        # Checking a ballot needs the layouts; deriving them from the manifest every time cost ~3 µs a ballot.
        return tuple(layout(q) for q in self.manifest.questions)

    @property
    def layouts(self) -> list[Layout]:
        return list(self._layouts)

    def election_payload(self, roll_digest: bytes) -> dict[str, Any]:
        """The payload of the ``election`` event."""
        return {
            "group": G.NAME,
            "trustees": self.trustees,
            "threshold": self.threshold,
            "qualified": list(self.qualified),
            "public_key": self.public_key.hex(),
            "verification_keys": {str(k): v.hex() for k, v in sorted(self.verification_keys.items())},
            "roll_hash": roll_digest.hex(),
            "fingerprint": self.fingerprint.hex(),
        }
