"""Checking one ballot against the election: the work the board does on cast and the verifier does for all.

Order matters for denial of service: cheap structural checks and the signature come before the proofs.
"""

from __future__ import annotations

from plebiscite import native
from plebiscite.ballot.model import Ballot, BallotError, ballot_from_json
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import ed25519
from plebiscite.hazmat import group as G
from plebiscite.proofs import range as range_proof
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.transcript import int_bytes
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Layout


def option_context(credential: bytes, question: int, option: int) -> bytes:
    """Fiat–Shamir context of a 0/1 proof: binds it to the voter's credential and its position (no copying)."""
    return credential + int_bytes(question) + int_bytes(option)


def sum_context(credential: bytes, question: int) -> bytes:
    return credential + int_bytes(question) + b"sum"


def branch_counts(layouts: list[Layout]) -> list[tuple[int, int | None]]:
    return [(lay.width, (lay.hi - lay.lo + 1) if lay.sum_proof else None) for lay in layouts]


def weighted_sum(choices: tuple[Ciphertext, ...], weights: tuple[int, ...]) -> Ciphertext:
    a = b = G.IDENTITY
    for ct, w in zip(choices, weights, strict=True):
        if w != 1:
            ct = ct.scale(w)
        a = G.add(a, ct.a)
        b = G.add(b, ct.b)
    return Ciphertext(a, b)


def verify_signature(ballot: Ballot, content: bytes | None = None) -> None:
    """Check the credential's signature over the ballot bytes (``content``, when the caller has them already)."""
    content = ballot.content_bytes() if content is None else content
    if not ed25519.verify(ballot.credential, content, ballot.signature):
        raise BallotError("ballot.signature: does not verify with the ballot's credential")


def verify_proofs(
    ballot: Ballot,
    public_key: bytes,
    layouts: list[Layout],
    batches: list[list[range_proof.BBatch]] | None = None,
) -> None:
    """Check every range proof; also the curve check of every element when the ballot was decoded unvalidated.

    Each ciphertext and commitment goes through a libsodium operation here, which refuses invalid encodings
    (:class:`~plebiscite.hazmat.group.GroupError`); that is reported against the proof it belongs to. A ciphertext
    whose ``a`` is the identity is refused first: its ``b`` is ``m·G``, readable by anyone, and an honest proof
    for it exists (``r = 0``).

    With ``batches`` (one per question and option: the verifier's fast path, ``verify/ballots.py``), the ``b``
    equations of the 0/1 proofs are added to those batches instead of being checked here, and only once the whole
    ballot has passed everything else, so a rejected ballot leaves the batches untouched.
    """
    fp, cred = ballot.election, ballot.credential
    deferred: list[tuple[range_proof.BBatch, range_proof.BTerms]] = []
    for q, (ans, lay) in enumerate(zip(ballot.answers, layouts, strict=True)):
        for i, (ct, proof) in enumerate(zip(ans.choices, ans.proofs, strict=True)):
            if ct.a == G.IDENTITY:  # a = r·G with r = 0: b = m·G, the vote in clear (proofs can still hold)
                raise BallotError(
                    f"ballot.answers[{q}].choices[{i}][0]: the identity (the vote would be in clear)"
                )
            try:
                if batches is None:
                    range_proof.verify(proof, public_key, ct, 0, 1, fp, option_context(cred, q, i))
                else:
                    batch = batches[q][i]
                    terms = range_proof.verify_deferring_b(
                        proof, public_key, ct, 0, 1, fp, option_context(cred, q, i), batch.fold
                    )
                    deferred.append((batch, terms))
            except ProofError as exc:
                raise BallotError(f"ballot.answers[{q}].proofs[{i}]: {exc}") from None
        if ans.sum_proof is not None:
            where = f"ballot.answers[{q}].sum_proof"
            try:
                total = weighted_sum(ans.choices, lay.weights)
                range_proof.verify(ans.sum_proof, public_key, total, lay.lo, lay.hi, fp, sum_context(cred, q))
            except ProofError as exc:
                raise BallotError(f"{where}: {exc}") from None
            except G.GroupError:
                raise BallotError(f"ballot.answers[{q}].choices: an invalid group element") from None
    for batch, terms in deferred:
        batch.add(terms)


def check_ballot(
    value: object, ctx: ElectionContext, require_roll: bool = True, engine: str | None = None
) -> Ballot:
    """Decode and fully check a ballot; raises :class:`BallotError` naming the field and the reason.

    The elements are decoded without their separate curve check: :func:`verify_proofs` passes every one of them
    through libsodium, which refuses invalid encodings, so a ballot is returned only if all were valid.

    ``engine`` (``plebiscite.native``; ``None``: the default, ``PLEBISCITE_ENGINE`` or native when built): the
    native engine checks signature and proofs first and a ballot it accepts is returned at once; one it refuses
    goes through the reference checks below, whose error is the answer (docs/native.md §1).
    """
    layouts = ctx.layouts
    counts = branch_counts(layouts)
    ballot = ballot_from_json(value, counts, validate=False)
    if ballot.election != ctx.fingerprint:
        raise BallotError("ballot.election: made for another election (fingerprint differs)")
    if require_roll and ballot.credential not in ctx.roll:
        raise BallotError("ballot.credential: not on the roll")
    if native.resolve(engine) == native.NATIVE:
        pair = [(ballot.content_bytes(), ballot.signature)]
        statuses, _ = native.check_ballots(
            ctx.fingerprint, ctx.public_key, native.layouts_for_native(layouts), pair
        )
        if statuses == b"\0":
            return ballot
    try:
        verify_signature(ballot)
        verify_proofs(ballot, ctx.public_key, layouts)
    except BallotError:
        ballot_from_json(
            value, counts
        )  # slow path, bad ballots only: name an invalid element exactly, if any
        raise
    return ballot
