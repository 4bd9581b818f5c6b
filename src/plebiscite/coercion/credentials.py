"""Registration in coercion-resistant mode: the registrar's MAC key, credentials, fakes and the encrypted roll.

A credential is a scalar ``σ`` with its MAC ``V = (s + σ)⁻¹·G`` under the registrar's secret ``s`` (a weak
Boneh–Boyen MAC). The roll lists, per voter, the voter's public key ``Y`` and ``Enc_K(V)``. Why a MAC and not just
the roll: deterministic tags are linear, so a coercer who could put ``2·V'`` in a ballot would find the pair
``(T, 2T)`` among the tags and learn whether ``V'`` is on the roll. The tally folds the MAC check into the
credential ciphertext so that an invalid credential becomes the encryption of a fresh random element before it is
tagged (docs/coercion.md, "Why the MAC"). The registrar deals ``s`` to the trustees with Feldman's scheme and
then forgets it; like JCJ's registrar it must not collude with coercers.

A fake credential is a random ``σ'`` with a random element ``V'`` (nobody knows its logarithm, as for a real
``V``), the voter's real roll entry and a designated-verifier proof the voter simulates with their own key.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.public
import nacl.signing

from plebiscite import elgamal
from plebiscite.canonical import hex_bytes
from plebiscite.coercion import dvproof
from plebiscite.coercion.codec import CoercionError, ciphertext, element, elements, scalar
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.hazmat.group import frame
from plebiscite.keyceremony import polynomial
from plebiscite.keyceremony.public import Announcement
from plebiscite.native import cr as native_cr
from plebiscite.proofs import schnorr
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.transcript import int_bytes
from plebiscite.record.signing import SignatureError, sign, verify

CREDENTIAL_FORMAT = "plebiscite-cr-credential/1"
MAC_DIGEST_TAG = b"plebiscite/v1/cr-mac-key"
ENTRY_DIGEST_TAG = b"plebiscite/v1/cr-roll-entry"
VOTER_KEY_CONTEXT = b"cr-voter-key"


def mac_context(j: int) -> bytes:
    return b"cr-mac-coefficient" + int_bytes(j)


# --- the registrar's MAC key --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MacKey:
    """The public side of the MAC key: Feldman commitments; ``P = F_0``; trustee ``j``'s key ``Σ j^l F_l``."""

    commitments: tuple[bytes, ...]
    registrar_signing_key: str
    registrar_box_key: str

    @property
    def public(self) -> bytes:
        return self.commitments[0]

    def verification_key(self, trustee: int) -> bytes:
        return polynomial.commitment_at(self.commitments, trustee)

    def digest(self) -> bytes:
        return hashlib.sha256(frame(MAC_DIGEST_TAG, *self.commitments)).digest()


def decode_mac_key(
    payload: dict[str, Any],
    threshold: int,
    qualified: tuple[int, ...],
    fingerprint: bytes,
    engine: str = "reference",
) -> MacKey:
    """Check the ``cr-mac-key`` event: k commitments with Schnorr proofs, a share for each qualified trustee, signed.

    With the native engine each Schnorr proof is checked natively first; one it does not accept is checked again
    by the reference, whose error is the answer (docs/native.md §7.3)."""
    reg = payload.get("registrar")
    if not isinstance(reg, dict) or not all(isinstance(reg.get(k), str) for k in ("signing_key", "box_key")):
        raise CoercionError("cr-mac-key.registrar: needs signing_key and box_key")
    commitments = elements(payload.get("commitments"), threshold, "cr-mac-key.commitments")
    proofs = payload.get("proofs")
    if not isinstance(proofs, list) or len(proofs) != threshold:
        raise CoercionError(f"cr-mac-key.proofs: expected {threshold} proofs")
    for j, (c, p) in enumerate(zip(commitments, proofs, strict=True)):
        try:
            proof = schnorr.SchnorrProof.from_json(p)
            if not (
                native_cr.enabled(engine) and native_cr.schnorr_holds(proof, c, fingerprint, mac_context(j))
            ):
                schnorr.verify(proof, c, fingerprint, mac_context(j))
        except ProofError as exc:
            raise CoercionError(f"cr-mac-key.proofs[{j}]: {exc}") from None
    if commitments[0] == G.IDENTITY:
        raise CoercionError("cr-mac-key.commitments[0]: the MAC key must not be the identity")
    shares = payload.get("shares")
    dealt = (
        {s.get("to") for s in shares if isinstance(s, dict) and type(s.get("to")) is int}
        if isinstance(shares, list)
        else set()
    )
    if not set(qualified) <= dealt:
        raise CoercionError("cr-mac-key.shares: no share for every qualified trustee")
    try:
        verify("cr-mac-key", payload, reg["signing_key"])
    except SignatureError as exc:
        raise CoercionError(f"cr-mac-key.signature: {exc}") from None
    return MacKey(tuple(commitments), reg["signing_key"], reg["box_key"])


def trustee_mac_share(payload: dict[str, Any], key: MacKey, trustee: int, box_secret: bytes) -> int:
    """A trustee opens its share of ``s`` and checks it against the commitments (else it cannot tally)."""
    mine = [s for s in payload.get("shares", []) if isinstance(s, dict) and s.get("to") == trustee]
    try:
        box = nacl.public.Box(
            nacl.public.PrivateKey(box_secret),
            nacl.public.PublicKey(hex_bytes(key.registrar_box_key, 32, "registrar box key")),
        )
        value = G.scalar_from_bytes(box.decrypt(hex_bytes(mine[0]["box"], None, "box")))
    except (IndexError, KeyError, ValueError, TypeError, nacl.exceptions.CryptoError):
        raise CoercionError(f"cr-mac-key: trustee {trustee} cannot open its share") from None
    if not polynomial.share_matches(value, key.commitments, trustee):
        raise CoercionError(f"cr-mac-key: trustee {trustee}'s share does not match the commitments")
    return value


@dataclass
class Registrar:
    """The credential authority's secrets: the MAC polynomial (``f(0) = s``), a signing and a box key."""

    threshold: int
    coefficients: list[int]
    signing_seed: bytes
    box_secret: bytes

    @staticmethod
    def new(threshold: int) -> Registrar:
        return Registrar(
            threshold,
            polynomial.random_polynomial(threshold - 1),
            bytes(nacl.signing.SigningKey.generate()),
            bytes(nacl.public.PrivateKey.generate()),
        )

    @property
    def mac_secret(self) -> int:
        return self.coefficients[0]

    def deal(
        self, announcements: dict[int, Announcement], qualified: tuple[int, ...], fingerprint: bytes
    ) -> dict[str, Any]:
        """Payload of ``cr-mac-key``: commitments, proofs, and ``f(j)`` boxed to every qualified trustee."""
        commitments = polynomial.commit(self.coefficients)
        proofs = [
            schnorr.prove(a, c, fingerprint, mac_context(j)).to_json()
            for j, (a, c) in enumerate(zip(self.coefficients, commitments, strict=True))
        ]
        me = nacl.public.PrivateKey(self.box_secret)
        shares = []
        for j in qualified:
            box = nacl.public.Box(
                me, nacl.public.PublicKey(hex_bytes(announcements[j].box_key, 32, "box_key"))
            )
            value = G.scalar_to_bytes(polynomial.evaluate(self.coefficients, j))
            shares.append({"to": j, "box": bytes(box.encrypt(value)).hex()})
        payload = {
            "registrar": {
                "signing_key": nacl.signing.SigningKey(self.signing_seed).verify_key.encode().hex(),
                "box_key": me.public_key.encode().hex(),
            },
            "commitments": [c.hex() for c in commitments],
            "proofs": proofs,
            "shares": shares,
        }
        return sign("cr-mac-key", payload, nacl.signing.SigningKey(self.signing_seed))

    def issue(
        self, request: VoterKeyRequest, election_key: bytes, fingerprint: bytes, sigma: int | None = None
    ) -> Credential:
        """Check the voter's proof of key, make ``σ``, ``V``, the roll entry and the designated-verifier proof.

        ``sigma`` is given for a credential sheet (derived from the sheet's seed, ``sheet_code.sheet_sigma_for``);
        otherwise it is drawn here.
        """
        request.check(fingerprint)
        s = self.mac_secret
        if sigma is not None:
            if not (s + sigma) % G.ORDER:
                raise CoercionError("credential: s + σ = 0; draw another seed")
        else:
            while True:
                sigma = G.random_scalar()
                if (s + sigma) % G.ORDER:
                    break
        v = G.mul_base(pow(s + sigma, -1, G.ORDER))
        rho = G.random_scalar()
        entry = elgamal.Ciphertext(G.mul_base(rho), G.add(G.mul(election_key, rho), v))
        st = dvproof.Statement(election_key, G.mul_base(s), request.voter_key, entry, v, sigma)
        return Credential(
            request.election_id, request.voter_key, entry, sigma, v, dvproof.prove(st, rho, s, fingerprint)
        )

    def __repr__(self) -> str:  # never print secrets
        return f"Registrar(threshold={self.threshold})"


# --- voters ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoterKeyRequest:
    """What a voter brings to registration: ``Y = y·G`` and a Schnorr proof that they know ``y``."""

    election_id: str
    voter_key: bytes
    proof: schnorr.SchnorrProof

    def check(self, fingerprint: bytes) -> None:
        try:
            schnorr.verify(self.proof, self.voter_key, fingerprint, VOTER_KEY_CONTEXT)
        except ProofError as exc:
            raise CoercionError(f"voter key: {exc}") from None


@dataclass(frozen=True)
class VoterKey:
    """The voter's own key pair, made on their device; ``y`` is what lets them fake credential proofs."""

    election_id: str
    secret: int

    @staticmethod
    def generate(election_id: str) -> VoterKey:
        return VoterKey(election_id, G.random_scalar())

    @property
    def public(self) -> bytes:
        return G.mul_base(self.secret)

    def request(self, fingerprint: bytes) -> VoterKeyRequest:
        proof = schnorr.prove(self.secret, self.public, fingerprint, VOTER_KEY_CONTEXT)
        return VoterKeyRequest(self.election_id, self.public, proof)

    def __repr__(self) -> str:
        return f"VoterKey(public={self.public.hex()[:16]}…)"


@dataclass(frozen=True)
class Credential:
    """What a voter holds (real or fake: the same shape, and nothing in it tells them apart)."""

    election_id: str
    voter_key: bytes
    entry: Ciphertext
    sigma: int
    element: bytes
    proof: dvproof.DvProof

    def statement(self, election_key: bytes, mac_key: bytes) -> dvproof.Statement:
        return dvproof.Statement(election_key, mac_key, self.voter_key, self.entry, self.element, self.sigma)

    def check(self, election_key: bytes, mac_key: bytes, fingerprint: bytes) -> None:
        """Every check anyone can run on a credential: the designated-verifier proof (raises CoercionError)."""
        try:
            dvproof.verify(self.proof, self.statement(election_key, mac_key), fingerprint)
        except ProofError as exc:
            raise CoercionError(str(exc)) from None

    def fake(self, voter: VoterKey, election_key: bytes, mac_key: bytes, fingerprint: bytes) -> Credential:
        """A fresh fake credential for the same roll entry, with a simulated proof (needs the voter's ``y``)."""
        if voter.public != self.voter_key:
            raise CoercionError("fake credential: the voter key does not match the credential")
        sigma = G.random_scalar()
        v = G.hash_to_element(b"plebiscite/v1/cr-fake", secrets.token_bytes(32))
        st = dvproof.Statement(election_key, mac_key, self.voter_key, self.entry, v, sigma)
        return Credential(
            self.election_id,
            self.voter_key,
            self.entry,
            sigma,
            v,
            dvproof.simulate(st, voter.secret, fingerprint),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CREDENTIAL_FORMAT,
            "election_id": self.election_id,
            "voter_key": self.voter_key.hex(),
            "roll_entry": self.entry.to_json(),
            "sigma": G.scalar_to_bytes(self.sigma).hex(),
            "credential": self.element.hex(),
            "proof": self.proof.to_json(),
        }

    @staticmethod
    def from_json(value: object) -> Credential:
        if not isinstance(value, dict) or value.get("format") != CREDENTIAL_FORMAT:
            raise CoercionError(f"credential file: format must be {CREDENTIAL_FORMAT!r}")
        eid = value.get("election_id")
        if not isinstance(eid, str):
            raise CoercionError("credential file.election_id: expected a string")
        try:
            proof = dvproof.DvProof.from_json(value.get("proof"), "credential file.proof")
        except ProofError as exc:
            raise CoercionError(str(exc)) from None
        return Credential(
            eid,
            element(value.get("voter_key"), "credential file.voter_key"),
            ciphertext(value.get("roll_entry"), "credential file.roll_entry"),
            scalar(value.get("sigma"), "credential file.sigma"),
            element(value.get("credential"), "credential file.credential"),
            proof,
        )

    def __repr__(self) -> str:  # never print σ
        return f"Credential(voter_key={self.voter_key.hex()[:16]}…)"


# --- the encrypted roll ------------------------------------------------------------------------------------------


def entry_digest(mac_digest: bytes, voter_key: bytes, entry: Ciphertext) -> bytes:
    """What the standard ``roll`` event lists for this entry, so that the fingerprint binds the encrypted roll."""
    return hashlib.sha256(frame(ENTRY_DIGEST_TAG, mac_digest, voter_key, entry.a, entry.b)).digest()


def roll_payloads(key: MacKey, entries: list[tuple[bytes, Ciphertext]]) -> tuple[dict[str, Any], list[bytes]]:
    """The ``cr-roll`` payload (entries sorted by digest) and the digests for the standard ``roll`` event."""
    mac_digest = key.digest()
    keyed = sorted((entry_digest(mac_digest, y, ct), y, ct) for y, ct in entries)
    if len({y for _, y, _ in keyed}) != len(keyed):
        raise CoercionError("roll: a voter key appears twice")
    payload = {
        "mac_key": mac_digest.hex(),
        "entries": [{"voter_key": y.hex(), "credential": ct.to_json()} for _, y, ct in keyed],
    }
    return payload, [d for d, _, _ in keyed]


def decode_roll(payload: dict[str, Any], key: MacKey) -> tuple[list[bytes], list[Ciphertext], list[bytes]]:
    """Voter keys, encrypted credentials (roll order) and entry digests; raises CoercionError naming the entry."""
    if payload.get("mac_key") != key.digest().hex():
        raise CoercionError("cr-roll.mac_key: not the digest of the registrar's MAC key commitments")
    raw = payload.get("entries")
    if not isinstance(raw, list) or not raw:
        raise CoercionError("cr-roll.entries: expected a non-empty list")
    keys, cts, digests = [], [], []
    for i, e in enumerate(raw):
        if not isinstance(e, dict) or set(e) != {"voter_key", "credential"}:
            raise CoercionError(f"cr-roll.entries[{i}]: expected keys voter_key and credential")
        y = element(e["voter_key"], f"cr-roll.entries[{i}].voter_key")
        ct = ciphertext(e["credential"], f"cr-roll.entries[{i}].credential")
        keys.append(y)
        cts.append(ct)
        digests.append(entry_digest(key.digest(), y, ct))
    return keys, cts, digests
