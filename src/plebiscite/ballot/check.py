"""Checking one ballot against the election: the work the board does on cast and the verifier does for all.

Order matters for denial of service: cheap structural checks and the signature come before the proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plebiscite import native
from plebiscite.ballot.model import Ballot, BallotError, ballot_from_json
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.proofs import ballot_signature
from plebiscite.proofs import range as range_proof
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.transcript import int_bytes
from plebiscite.record.events import BALLOT, canonical_json
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
    reason = ballot_signature.refusal(ballot.credential, ballot.election, content, ballot.signature)
    if reason is not None:
        raise BallotError(f"ballot.signature: {reason}")


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
    ballot = _admitted(value, ctx, require_roll)
    if (
        native.resolve(engine) == native.NATIVE
        and _native_statuses([(ballot.content_bytes(), ballot.signature)], ctx) == b"\0"
    ):
        return ballot
    try:
        verify_signature(ballot)
        verify_proofs(ballot, ctx.public_key, ctx.layouts)
    except BallotError:
        ballot_from_json(
            value, branch_counts(ctx.layouts)
        )  # slow path, bad ballots only: name an invalid element exactly, if any
        raise
    return ballot


def accepted_together(
    values: Sequence[object], ctx: ElectionContext, require_roll: bool = True, engine: str | None = None
) -> list[tuple[str, bytes] | None]:
    """For ballots that arrived together (the board's check workers), those the native engine accepts in **one**
    call: per value, ``(tracking code, the ballot event's canonical bytes)`` — exactly what :func:`check_ballot`
    gives for it (``Ballot.tracking_code()``, ``make_event(…, ballot.to_json()).raw``) — or ``None``, and the caller
    checks that value alone with :func:`check_ballot`, whose answer (a refusal word for word, or an acceptance) is
    its answer. So no ballot's answer depends on the others'; only the cost is shared.

    Each value's canonical event line goes to the crate's reader (``native.read_ballot_lines``), which accepts
    only the one canonical spelling of a well-formed ballot of this layout and returns its ballot bytes, signature,
    election, credential and tracking code (docs/native.md §1; anything else is ``None`` here). Those made for
    this election by a credential on the roll are checked in one ``native.check_ballots`` call: decoding, the
    signature's rules and the challenges per ballot, the signatures' and proofs' equations as one batch, bisected
    if it fails (§3). All ``None`` on the
    reference engine, or if the extension refuses the call. A lone ballot takes this path too: reading its line in
    the crate is cheaper than decoding it in Python; only a ballot that is refused pays for a second check.
    """
    if native.resolve(engine) != native.NATIVE or not values:
        return [None] * len(values)
    lines: list[bytes] = []
    for value in values:
        try:
            lines.append(canonical_json({"type": BALLOT, "payload": value}))
        except ValueError:  # no canonical form (a lone surrogate, NaN): the single check names the fault
            lines.append(b"")
    try:
        read = native.read_ballot_lines(lines, branch_counts(ctx.layouts))
    except native.EngineError:
        return [None] * len(values)
    eligible = [
        (k, r)
        for k, r in enumerate(read)
        if r is not None and r[2] == ctx.fingerprint and (not require_roll or r[3] in ctx.roll)
    ]
    try:
        statuses = _native_statuses([(r[0], r[1]) for _, r in eligible], ctx)
    except native.EngineError:  # the extension refused the call: each ballot alone says what it gets
        return [None] * len(values)
    out: list[tuple[str, bytes] | None] = [None] * len(values)
    for (k, r), status in zip(eligible, statuses, strict=True):
        if status == 0:
            out[k] = (r[4].hex(), lines[k])
    return out


def accepted_bodies(
    bodies: Sequence[bytes], ctx: ElectionContext, require_roll: bool = True, engine: str | None = None
) -> list[tuple[str, bytes] | bool | None]:
    """For cast request bodies that arrived together (one, or several: the board's check workers), what the native
    engine makes of them in **one** call, straight from the bytes: per body ``(tracking code, the ballot event's
    canonical bytes)`` — exactly what :func:`check_ballot` and the event give for ``json.loads(body)`` — if it
    accepts the ballot; ``False`` if it reads the ballot but does not accept it (the caller checks that body alone,
    whose answer is its answer); ``None`` if it does not read the body (the caller parses it in Python, as
    :func:`accepted_together` does). All ``None`` on the reference engine, or if the extension refuses the call.

    The crate writes the canonical line from the body itself (``native/src/body.rs``: a body of plain JSON — keys in
    any order, whitespace, no escapes — gives exactly Python's ``canonical_json``; any other is not read), reads it
    as :func:`accepted_together` does, checks the election and the roll, and checks the ballots: a lone one with
    its signature and proofs in one multiscalar multiplication, several as one batch (docs/native.md §3, §6.4).
    """
    if native.resolve(engine) != native.NATIVE or not bodies:
        return [None] * len(bodies)
    try:
        return native.check_ballot_bodies(
            _body_checker(ctx), list(bodies), ctx.roll if require_roll else None
        )
    except native.EngineError:
        return [None] * len(bodies)


_LAYOUTS: list[tuple[list[Layout], list[tuple[list[int], int, int, bool]]]] = []
_CHECKER: list[tuple[ElectionContext, Any]] = []


def _native_layouts(ctx: ElectionContext) -> list[tuple[list[int], int, int, bool]]:
    """``native.layouts_for_native(ctx.layouts)``, kept for the last context's layouts (a worker checks one
    election)."""
    if not _LAYOUTS or _LAYOUTS[0][0] is not ctx.layouts:
        _LAYOUTS[:] = [(ctx.layouts, native.layouts_for_native(ctx.layouts))]
    return _LAYOUTS[0][1]


def _body_checker(ctx: ElectionContext) -> Any:
    """The extension's ``BodyChecker`` for this context, kept for the last one (a worker checks one election)."""
    if not _CHECKER or _CHECKER[0][0] is not ctx:
        _CHECKER[:] = [(ctx, native.body_checker(ctx.fingerprint, ctx.public_key, _native_layouts(ctx)))]
    return _CHECKER[0][1]


def _admitted(value: object, ctx: ElectionContext, require_roll: bool) -> Ballot:
    """The ballot decoded (elements unvalidated), for this election, its credential on the roll."""
    ballot = ballot_from_json(value, branch_counts(ctx.layouts), validate=False)
    if ballot.election != ctx.fingerprint:
        raise BallotError("ballot.election: made for another election (fingerprint differs)")
    if require_roll and ballot.credential not in ctx.roll:
        raise BallotError("ballot.credential: not on the roll")
    return ballot


def _native_statuses(pairs: list[tuple[bytes, bytes]], ctx: ElectionContext) -> bytes:
    """The native engine's status byte for each ``(ballot bytes, signature)``, all in one call (0: accepted)."""
    statuses, _ = native.check_ballots(ctx.fingerprint, ctx.public_key, _native_layouts(ctx), pairs)
    return statuses
