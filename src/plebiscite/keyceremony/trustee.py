"""A trustee's private side of the ceremony and of decryption.

Round 1 (:meth:`Trustee.announce`): publish Feldman commitments with Schnorr proofs, an Ed25519 key for signing
posts and an X25519 key for receiving shares. Round 2 (:meth:`Trustee.deal`): send ``f_i(j)`` to every other trustee,
encrypted and authenticated with NaCl ``Box``. Round 3 (:meth:`Trustee.receive`): check every share received
against its dealer's commitments and complain about bad ones; a dealer answers a complaint by revealing the share
(:meth:`Trustee.answer`). The final secret share is the sum of the shares from qualified dealers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import nacl.exceptions
import nacl.public
import nacl.signing

from plebiscite.canonical import hex_bytes
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import polynomial
from plebiscite.keyceremony.public import Announcement, coefficient_context, decode_announcement
from plebiscite.proofs import schnorr
from plebiscite.record.signing import sign


@dataclass
class Trustee:
    """Everything a trustee must keep secret, and nothing it may publish."""

    index: int
    trustees: int
    threshold: int
    signing_seed: bytes
    box_secret: bytes
    coefficients: list[int]
    received: dict[int, int] = field(default_factory=dict)
    share: int | None = None

    @staticmethod
    def new(
        index: int,
        trustees: int,
        threshold: int,
        signing_seed: bytes | None = None,
        box_secret: bytes | None = None,
    ) -> Trustee:
        """A fresh polynomial; the identity keys are drawn here unless the trustee made them earlier (``trustee
        init``, on its own machine, before the manifest named them)."""
        if not 1 <= threshold <= trustees or not 1 <= index <= trustees:
            raise ValueError("need 1 <= threshold <= trustees and 1 <= index <= trustees")
        return Trustee(
            index=index,
            trustees=trustees,
            threshold=threshold,
            signing_seed=signing_seed or bytes(nacl.signing.SigningKey.generate()),
            box_secret=box_secret or bytes(nacl.public.PrivateKey.generate()),
            coefficients=polynomial.random_polynomial(threshold - 1),
        )

    @property
    def signing_key(self) -> nacl.signing.SigningKey:
        return nacl.signing.SigningKey(self.signing_seed)

    @property
    def identity(self) -> bytes:
        """The Ed25519 public key the manifest event names for this trustee (its fingerprint is published)."""
        return self.signing_key.verify_key.encode()

    def check_named(self, named: list[str]) -> None:
        """Before the ceremony: refuse to take part unless the manifest event names this trustee's own key at
        its index (otherwise someone else — the organiser, the board — would be standing in for it)."""
        if self.index > len(named) or named[self.index - 1] != self.identity.hex():
            raise ValueError(
                f"trustee {self.index}: the manifest event does not name this trustee's key "
                f"(fingerprint {self.identity.hex()[:16]}…); do not take part"
            )

    def announce(self, fingerprint: bytes) -> dict[str, Any]:
        """Round 1 payload (event ``trustee``), signed with the key the manifest event names."""
        if (
            self.coefficients[0] % G.ORDER == 0
        ):  # its key share a_0·G would be the identity (decoders refuse it)
            raise ValueError(f"trustee {self.index}: the secret coefficient is zero")
        commitments = polynomial.commit(self.coefficients)
        signing_key = self.signing_key.verify_key.encode()
        box_key = nacl.public.PrivateKey(self.box_secret).public_key.encode()
        proofs = [
            schnorr.prove(
                a, c, fingerprint, coefficient_context(self.index, j, signing_key, box_key)
            ).to_json()
            for j, (a, c) in enumerate(zip(self.coefficients, commitments, strict=True))
        ]
        return sign(
            "trustee",
            {
                "index": self.index,
                "signing_key": signing_key.hex(),
                "box_key": box_key.hex(),
                "commitments": [c.hex() for c in commitments],
                "proofs": proofs,
            },
            self.signing_key,
        )

    def _box(self, other_box_key: str) -> nacl.public.Box:
        return nacl.public.Box(
            nacl.public.PrivateKey(self.box_secret),
            nacl.public.PublicKey(hex_bytes(other_box_key, 32, "box_key")),
        )

    def deal(self, announcements: dict[int, Announcement], fingerprint: bytes) -> dict[str, Any]:
        """Round 2 payload (event ``shares``): ``f_i(j)`` encrypted to each announced trustee ``j ≠ i``.

        ``fingerprint`` is the ceremony's: rounds 2 and 3 carry it (signed) so that a trustee who keeps its
        identity keys across elections cannot have a post of one ceremony replayed into another.
        """
        shares = []
        for j, a in sorted(announcements.items()):
            if j == self.index:
                continue
            value = G.scalar_to_bytes(polynomial.evaluate(self.coefficients, j))
            shares.append({"to": j, "box": bytes(self._box(a.box_key).encrypt(value)).hex()})
        payload = {"from": self.index, "ceremony": fingerprint.hex(), "shares": shares}
        return sign("shares", payload, self.signing_key)

    def receive(
        self, announcements: dict[int, Announcement], shares: list[dict[str, Any]], fingerprint: bytes
    ) -> list[dict[str, Any]]:
        """Round 3: decrypt and check the shares dealt to us; returns complaint payloads for bad ones."""
        complaints = []
        ceremony = fingerprint.hex()
        self.received = {self.index: polynomial.evaluate(self.coefficients, self.index)}
        for payload in shares:
            dealer = payload.get("from")
            if dealer == self.index or dealer not in announcements or payload.get("ceremony") != ceremony:
                continue  # another ceremony's post counts as no deal (the dealer is disqualified publicly)
            mine = [s for s in payload.get("shares", []) if isinstance(s, dict) and s.get("to") == self.index]
            value = None
            if len(mine) == 1:
                try:
                    plain = self._box(announcements[dealer].box_key).decrypt(
                        hex_bytes(mine[0]["box"], None, "box")
                    )
                    value = G.scalar_from_bytes(plain)
                except (nacl.exceptions.CryptoError, ValueError, KeyError, TypeError):
                    value = None
            if value is None or not polynomial.share_matches(
                value, announcements[dealer].commitments, self.index
            ):
                complaint = {"by": self.index, "against": dealer, "ceremony": ceremony}
                complaints.append(sign("complaint", complaint, self.signing_key))
                continue
            self.received[dealer] = value
        return complaints

    def accept_reveal(self, payload: dict[str, Any], announcements: dict[int, Announcement]) -> None:
        """Use a share revealed publicly in answer to our complaint, if it matches the commitments."""
        if payload.get("to") != self.index:
            return
        dealer = payload["from"]
        value = G.scalar_from_hex(payload["share"], "share-reveal.share")
        if polynomial.share_matches(value, announcements[dealer].commitments, self.index):
            self.received[dealer] = value

    def answer(self, complaint: dict[str, Any], fingerprint: bytes) -> dict[str, Any]:
        """Reveal the share a complainer says is bad (event ``share-reveal``)."""
        to = complaint["by"]
        value = polynomial.evaluate(self.coefficients, to)
        payload = {
            "from": self.index,
            "to": to,
            "ceremony": fingerprint.hex(),
            "share": G.scalar_to_bytes(value).hex(),
        }
        return sign("share-reveal", payload, self.signing_key)

    def finish(self, qualified: list[int]) -> None:
        """Combine the shares from qualified dealers into this trustee's decryption share."""
        missing = [i for i in qualified if i not in self.received]
        if missing:
            raise ValueError(f"trustee {self.index}: no valid share from trustee(s) {missing}")
        self.share = sum(self.received[i] for i in qualified) % G.ORDER

    def to_secret(self) -> dict[str, Any]:
        """Serialisable secret state (to be sealed in a vault, never written in clear)."""
        return {
            "index": self.index,
            "trustees": self.trustees,
            "threshold": self.threshold,
            "signing_seed": self.signing_seed.hex(),
            "box_secret": self.box_secret.hex(),
            "coefficients": [G.scalar_to_bytes(a).hex() for a in self.coefficients],
            "received": {str(k): G.scalar_to_bytes(v).hex() for k, v in self.received.items()},
            "share": None if self.share is None else G.scalar_to_bytes(self.share).hex(),
        }

    @staticmethod
    def from_secret(data: dict[str, Any]) -> Trustee:
        return Trustee(
            index=data["index"],
            trustees=data["trustees"],
            threshold=data["threshold"],
            signing_seed=bytes.fromhex(data["signing_seed"]),
            box_secret=bytes.fromhex(data["box_secret"]),
            coefficients=[G.scalar_from_hex(a) for a in data["coefficients"]],
            received={int(k): G.scalar_from_hex(v) for k, v in data["received"].items()},
            share=None if data["share"] is None else G.scalar_from_hex(data["share"]),
        )

    def __repr__(self) -> str:  # never print secrets
        return f"Trustee(index={self.index}, trustees={self.trustees}, threshold={self.threshold})"


def decode_all(
    payloads: list[dict[str, Any]], threshold: int, fingerprint: bytes, named: list[str]
) -> dict[int, Announcement]:
    """Announcements by index (keys, signatures and proofs checked)."""
    decoded = [decode_announcement(p, threshold, fingerprint, named) for p in payloads]
    return {a.index: a for a in decoded}
