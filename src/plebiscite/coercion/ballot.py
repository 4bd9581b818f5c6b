"""The coercion-resistant ballot: an encrypted credential, its encrypted MAC tag, the votes, and a proof binding them.

``C1 = Enc_K(V; t1)`` and ``C2 = Enc_K(σ·V; t2)``. The credential proof shows knowledge of ``t1``, ``σ`` and
``t' = t2 − σ·t1`` with ``C1.a = t1·G``, ``C2.a = σ·C1.a + t'·G``, ``C2.b = σ·C1.b + t'·K`` — so whoever made the
ballot knows the plaintext of ``C1`` and ``σ``; its Fiat–Shamir challenge hashes the whole ballot (votes and their
proofs), so neither part can be lifted into another ballot. The votes are the standard ballot's answers (0/1 and
sum proofs) whose proofs are bound to ``binding = SHA-256(C1, C2)``.

The board accepts every ballot that passes these checks: whether the credential is real is not publicly decidable.
It refuses a ballot whose ``C1`` it has already seen (a replay of a voter's earlier ballot after their revote).
"""

from __future__ import annotations

import copyreg
import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from plebiscite import native
from plebiscite.ballot.check import branch_counts, verify_proofs
from plebiscite.ballot.encrypt import Opening, encrypt_answers
from plebiscite.ballot.model import Answer, Ballot, BallotError, ballot_from_json, shape_of
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.hazmat.group import frame
from plebiscite.native import cr as native_cr
from plebiscite.proofs.common import ProofError, scalars_from_json, scalars_to_json
from plebiscite.proofs.transcript import challenge
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Layout

__all__ = [
    "REPLAY",
    "BallotError",
    "CrBallot",
    "TallyView",
    "check_ballot",
    "cr_tracking_code_of",
    "decode_ballot",
    "encrypt_ballot",
    "tally_view",
    "tally_views",
]

BINDING_TAG = b"plebiscite/v1/cr-ballot-binding"
BALLOT_TAG = b"plebiscite/v1/cr-ballot"
TRACKING_TAG = b"plebiscite/v1/cr-tracking-code"
PROOF_TAG = "cr-ballot-credential"
REPLAY = "ballot.credential: this credential ciphertext was already cast (replay)"
_KEYS = {"election", "credential", "mac", "answers", "proof"}


@dataclass(frozen=True, slots=True)
class CrBallot:
    election: bytes
    credential: Ciphertext
    mac: Ciphertext
    answers: tuple[Answer, ...]
    proof: tuple[int, int, int, int]  # c, z_t1, z_σ, z_t'

    @property
    def binding(self) -> bytes:
        c1, c2 = self.credential, self.mac
        return hashlib.sha256(frame(BINDING_TAG, c1.a, c1.b, c2.a, c2.b)).digest()

    def votes(self) -> Ballot:
        """The answers as a standard (unsigned) ballot whose 'credential' is the binding: for the 0/1 proofs."""
        return Ballot(self.election, self.binding, self.answers, b"")

    def content_bytes(self) -> bytes:
        """Everything but the credential proof, length-prefixed: what that proof's challenge hashes."""
        c1, c2 = self.credential, self.mac
        return frame(BALLOT_TAG, self.election, c1.a, c1.b, c2.a, c2.b, self.votes().content_bytes())

    def tracking_code(self, content: bytes | None = None) -> str:
        """``content``: :meth:`content_bytes`, when the caller has it already (the verifier hashes it twice)."""
        content = self.content_bytes() if content is None else content
        return hashlib.sha256(frame(TRACKING_TAG, content, *map(G.scalar_to_bytes, self.proof))).hexdigest()

    def vote_ciphertexts(self) -> tuple[Ciphertext, ...]:
        return tuple(ct for ans in self.answers for ct in ans.choices)

    def view(self) -> TallyView:
        return TallyView(self.credential, self.mac, self.vote_ciphertexts())

    def to_json(self) -> dict[str, Any]:
        votes = self.votes().to_json()
        return {
            "election": self.election.hex(),
            "credential": self.credential.to_json(),
            "mac": self.mac.to_json(),
            "answers": votes["answers"],
            "proof": scalars_to_json(list(self.proof)),
        }


@dataclass(frozen=True, slots=True)
class TallyView:
    """What the tally uses of a ballot: ``C1``, ``C2`` and the vote ciphertexts in question/layout order.

    Small on purpose: lists of views cross process boundaries (pickled) at every tally and verification step.
    """

    credential: Ciphertext
    mac: Ciphertext
    votes: tuple[Ciphertext, ...]


def _rebuild_view(credential: Ciphertext, mac: Ciphertext, votes: tuple[Ciphertext, ...]) -> TallyView:
    return TallyView(credential, mac, votes)


# cheap pickling to and from the verifier's workers (see coercion/parallel.py for Ciphertext)
copyreg.pickle(TallyView, lambda v: (_rebuild_view, (v.credential, v.mac, v.votes)))


def _ct(pair: list[str]) -> Ciphertext:
    # canonical hex and no top bit; libsodium's operations then refuse any other invalid encoding
    return Ciphertext(
        G.element_from_hex(pair[0], "ballot", False), G.element_from_hex(pair[1], "ballot", False)
    )


def tally_view(payload: dict[str, Any]) -> TallyView:
    """The view of a ballot the board accepted (:func:`check_ballot` ran when it was cast), decoded without
    validating its elements a second time: the tally feeds every one of them to a libsodium operation (``C1`` to a
    multiplication, ``C2`` and the votes to additions), which refuses a non-canonical or invalid encoding, so a
    corrupted record stops the tally with a :class:`plebiscite.hazmat.group.GroupError` instead of going through.
    The independent verifier does not use this: it decodes and checks every ballot itself."""
    votes = tuple(_ct(ct) for ans in payload["answers"] for ct in ans["choices"])
    return TallyView(_ct(payload["credential"]), _ct(payload["mac"]), votes)


def _hex_parts(payload: dict[str, Any], out: list[str]) -> int:
    """Append a ballot's element hex in :func:`tally_view`'s order (``C1``, ``C2``, the votes); the vote count."""
    cred, mac = payload["credential"], payload["mac"]
    out += (cred[0], cred[1], mac[0], mac[1])
    votes = 0
    for ans in payload["answers"]:
        for ct in ans["choices"]:
            out += (ct[0], ct[1])
            votes += 1
    return votes


def tally_views(payloads: list[dict[str, Any]]) -> list[TallyView]:
    """``[tally_view(p) for p in payloads]``, the hex of every element decoded in one ``bytes.fromhex`` and checked
    in bulk as :func:`tally_view` checks it (64 lowercase hex digits, bit 255 clear); anything irregular — a
    missing field, a wrong type, a bad spelling — sends the whole list through :func:`tally_view`, whose error is
    the answer. The tally's main process decodes every cast ballot this way (1.2 M elements at 100 k voters)."""
    texts: list[str] = []
    try:
        counts = [_hex_parts(p, texts) for p in payloads]
        joined = "".join(texts)
        raw = bytes.fromhex(joined)
        canonical = raw.hex() == joined and all(len(t) == 64 for t in texts)
        if canonical and (not raw or max(raw[31::32]) < 0x80):
            elements = [raw[i : i + 32] for i in range(0, len(raw), 32)]
            cts = [Ciphertext(elements[i], elements[i + 1]) for i in range(0, len(elements), 2)]
            views, pos = [], 0
            for votes in counts:
                views.append(TallyView(cts[pos], cts[pos + 1], tuple(cts[pos + 2 : pos + 2 + votes])))
                pos += 2 + votes
            return views
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    return [tally_view(p) for p in payloads]


def _statement(ballot: CrBallot, public_key: bytes) -> list[bytes]:
    c1, c2 = ballot.credential, ballot.mac
    return [G.GENERATOR, public_key, c1.a, c1.b, c2.a, c2.b, ballot.content_bytes()]


def _proof_commitments(ballot: CrBallot, public_key: bytes, c: int, z1: int, zs: int, zt: int) -> list[bytes]:
    c1, c2 = ballot.credential, ballot.mac
    return [
        G.sub(G.mul_base(z1), G.mul(c1.a, c)),
        G.sub(G.add(G.mul(c1.a, zs), G.mul_base(zt)), G.mul(c2.a, c)),
        G.sub(G.add(G.mul(c1.b, zs), G.mul(public_key, zt)), G.mul(c2.b, c)),
    ]


def verify_credential_proof(ballot: CrBallot, public_key: bytes) -> None:
    # a = identity would publish the credential (b = V) or its MAC in clear: anyone could link the voter's ballots
    for name, ct in (("credential", ballot.credential), ("mac", ballot.mac)):
        if ct.a == G.IDENTITY:
            raise BallotError(f"ballot.{name}[0]: the identity (the credential would be in clear)")
    c, z1, zs, zt = ballot.proof
    commitments = _proof_commitments(ballot, public_key, c, z1, zs, zt)
    if challenge(PROOF_TAG, ballot.election, b"cr-ballot", _statement(ballot, public_key), commitments) != c:
        raise BallotError("ballot.proof: the credential proof does not verify")


def verify_vote_proofs(ballot: CrBallot, public_key: bytes, layouts: list[Layout]) -> None:
    verify_proofs(ballot.votes(), public_key, layouts)


def decode_ballot(value: object, counts: list[tuple[int, int | None]], validate: bool = True) -> CrBallot:
    """Decode a ``cr-ballot`` payload; every element is validated and every error names the field.

    ``validate=False`` leaves the elements' curve check to proofs that decode every element (the verifier's
    native credential and vote proofs; a ballot they do not accept is decoded again with it)."""
    if not isinstance(value, dict):
        raise BallotError("ballot: expected a JSON object")
    if set(value) != _KEYS:
        raise BallotError(f"ballot: expected exactly the fields {', '.join(sorted(_KEYS))}")
    synthetic = {
        "election": value["election"],
        "credential": "00" * 32,
        "answers": value["answers"],
        "signature": "00" * 64,
    }
    votes = ballot_from_json(synthetic, counts, validate)
    try:
        c1 = Ciphertext.from_json(value["credential"], "ballot.credential", validate)
        c2 = Ciphertext.from_json(value["mac"], "ballot.mac", validate)
        c, z1, zs, zt = scalars_from_json(value["proof"], 4, "ballot.proof")
    except (G.GroupError, ProofError) as exc:
        raise BallotError(str(exc)) from None
    return CrBallot(votes.election, c1, c2, votes.answers, (c, z1, zs, zt))


def cr_tracking_code_of(value: object) -> str:
    """The tracking code of a ``cr-ballot`` payload without its election's layout (the shape is read from the
    ballot itself, every value decoded strictly): for binding a receipt to its ballot (``board/client.py``), as
    :func:`plebiscite.ballot.model.tracking_code_of` does for standard ballots — not for deciding validity."""
    return decode_ballot(value, shape_of(value)).tracking_code()


def check_ballot(value: object, ctx: ElectionContext, engine: str | None = None) -> CrBallot:
    """Everything the board checks before accepting a ballot (cheap checks first).

    ``engine`` (``None``: the default, ``PLEBISCITE_ENGINE`` or native when built): a ballot whose credential
    and vote proofs the native engine accepts is accepted at once; any other goes through the reference checks
    below, whose error is the answer (docs/native.md)."""
    ballot = decode_ballot(value, branch_counts(ctx.layouts))
    if ballot.election != ctx.fingerprint:
        raise BallotError("ballot.election: made for another election (fingerprint differs)")
    if native_cr.enabled(native.resolve(engine)) and _native_accepts(ballot, ctx):
        return ballot
    verify_credential_proof(ballot, ctx.public_key)
    verify_vote_proofs(ballot, ctx.public_key, ctx.layouts)
    return ballot


def _native_accepts(ballot: CrBallot, ctx: ElectionContext) -> bool:
    try:
        return (
            native_cr.credential_proofs(ctx.fingerprint, ctx.public_key, [ballot]) == b"\x01"
            and native_cr.vote_proofs(ctx.fingerprint, ctx.public_key, [ballot], ctx.layouts) == b"\x01"
        )
    except (native.EngineError, G.GroupError):
        return False  # the reference names what is wrong


class CastingCredential(Protocol):
    """What casting needs of a credential (a device file's ``Credential`` or a sheet's ``SheetCredential``)."""

    @property
    def element(self) -> bytes: ...

    @property
    def sigma(self) -> int: ...


def encrypt_ballot(
    ctx: ElectionContext, credential: CastingCredential, selections: dict[str, list[str]]
) -> tuple[CrBallot, Opening]:
    """The voter's device: encrypt the credential and the choices, prove everything (no signature is needed)."""
    key, fp = ctx.public_key, ctx.fingerprint
    t1, t2 = G.random_scalar(), G.random_scalar()
    c1 = Ciphertext(G.mul_base(t1), G.add(G.mul(key, t1), credential.element))
    c2 = Ciphertext(G.mul_base(t2), G.add(G.mul(key, t2), G.mul(credential.element, credential.sigma)))
    binding = CrBallot(fp, c1, c2, (), (0, 0, 0, 0)).binding
    answers, opening = encrypt_answers(ctx, binding, selections)
    draft = CrBallot(fp, c1, c2, answers, (0, 0, 0, 0))
    sigma, t_prime = credential.sigma, (t2 - credential.sigma * t1) % G.ORDER
    w1, ws, wt = G.random_scalar(), G.random_scalar(), G.random_scalar()
    commitments = [
        G.mul_base(w1),
        G.add(G.mul(c1.a, ws), G.mul_base(wt)),
        G.add(G.mul(c1.b, ws), G.mul(key, wt)),
    ]
    c = challenge(PROOF_TAG, fp, b"cr-ballot", _statement(draft, key), commitments)
    proof = (c, (w1 + c * t1) % G.ORDER, (ws + c * sigma) % G.ORDER, (wt + c * t_prime) % G.ORDER)
    return CrBallot(fp, c1, c2, answers, proof), opening
