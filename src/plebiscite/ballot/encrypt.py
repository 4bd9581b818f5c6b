"""The voter's side: encrypt choices, prove them well-formed, sign with the credential.

This runs on the voter's own device (the browser booth is a second implementation of this module). The
:class:`Opening` — plaintexts and randomness — never leaves the device unless the voter *challenges* the ballot
(Benaloh), which reveals it so anyone can check what the device encrypted; a challenged ballot is never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plebiscite import elgamal
from plebiscite.ballot.check import option_context, sum_context, weighted_sum
from plebiscite.ballot.model import Answer, Ballot
from plebiscite.hazmat import group as G
from plebiscite.proofs import range as range_proof
from plebiscite.setup.credentials import Credential
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import plaintexts


@dataclass(frozen=True)
class Opening:
    """Everything needed to open a ballot: plaintexts and randomness, per question in layout order."""

    plaintexts: tuple[tuple[int, ...], ...]
    randomness: tuple[tuple[int, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "plaintexts": [list(p) for p in self.plaintexts],
            "randomness": [[G.scalar_to_bytes(r).hex() for r in rs] for rs in self.randomness],
        }


def encrypt_answers(
    ctx: ElectionContext, binding: bytes, selections: dict[str, list[str]]
) -> tuple[tuple[Answer, ...], Opening]:
    """Encrypt and prove every answer; ``binding`` (the credential, or in coercion-resistant mode the encrypted
    credential's digest) goes into every proof's context so ciphertexts cannot be copied into another ballot."""
    unknown = set(selections) - {q.id for q in ctx.manifest.questions}
    if unknown:
        raise ValueError(f"unknown question {sorted(unknown)[0]!r}")
    fp, key = ctx.fingerprint, ctx.public_key
    answers, all_m, all_r = [], [], []
    for q_index, (question, lay) in enumerate(zip(ctx.manifest.questions, ctx.layouts, strict=True)):
        if question.id not in selections:
            raise ValueError(f"question {question.id}: no answer given")
        ms = plaintexts(question, selections[question.id])
        rs = [G.random_scalar() for _ in ms]
        cts = tuple(elgamal.encrypt(key, m, r) for m, r in zip(ms, rs, strict=True))
        proofs = tuple(
            range_proof.prove(key, ct, m, r, 0, 1, fp, option_context(binding, q_index, i))
            for i, (ct, m, r) in enumerate(zip(cts, ms, rs, strict=True))
        )
        sum_proof = None
        if lay.sum_proof:
            total = weighted_sum(cts, lay.weights)
            m_sum = sum(w * m for w, m in zip(lay.weights, ms, strict=True))
            r_sum = sum(w * r for w, r in zip(lay.weights, rs, strict=True)) % G.ORDER
            sum_proof = range_proof.prove(
                key, total, m_sum, r_sum, lay.lo, lay.hi, fp, sum_context(binding, q_index)
            )
        answers.append(Answer(cts, proofs, sum_proof))
        all_m.append(tuple(ms))
        all_r.append(tuple(rs))
    return tuple(answers), Opening(tuple(all_m), tuple(all_r))


def encrypt_ballot(
    ctx: ElectionContext, credential: Credential, selections: dict[str, list[str]]
) -> tuple[Ballot, Opening]:
    """Encrypt ``selections`` (question id → chosen option ids, or ``["blank"]``) and sign the ballot."""
    cred = credential.public_key
    answers, opening = encrypt_answers(ctx, cred, selections)
    unsigned = Ballot(ctx.fingerprint, cred, answers, b"")
    signature = credential.sign(ctx.fingerprint, unsigned.content_bytes())
    return Ballot(ctx.fingerprint, cred, answers, signature), opening
