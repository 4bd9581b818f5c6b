"""Combining partial decryptions: ``M = b − Σ λ_j D_j`` over any ≥ k trustees, then the counts.

Trustees that did not show up are simply absent from the sum; the Lagrange coefficients are computed for the set
that did. The result payload carries the decrypted group elements so the verifier can check each count with one
multiplication instead of a discrete-log search.
"""

from __future__ import annotations

from typing import Any

from plebiscite.elgamal import Ciphertext, discrete_log
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.polynomial import lagrange_at_zero
from plebiscite.setup.manifest import Layout, Manifest


def combine(totals: list[list[Ciphertext]], partials: dict[int, list[list[bytes]]]) -> list[list[bytes]]:
    """``m·G`` for every aggregate ciphertext, from the partial decryptions of trustees ``partials.keys()``."""
    indices = sorted(partials)
    lambdas = {j: lagrange_at_zero(j, indices) for j in indices}
    out: list[list[bytes]] = []
    for q, row in enumerate(totals):
        out.append([])
        for i, ct in enumerate(row):
            acc = G.IDENTITY
            for j in indices:
                acc = G.add(acc, G.mul(partials[j][q][i], lambdas[j]))
            out[-1].append(G.sub(ct.b, acc))
    return out


def counts(
    manifest: Manifest, layouts: list[Layout], plain: list[list[int]], ballots: int
) -> list[dict[str, Any]]:
    """Per question: option id → count (the implicit option by difference), and blanks."""
    result = []
    for question, lay, values in zip(manifest.questions, layouts, plain, strict=True):
        per_option = dict(zip(lay.encoded, values, strict=False))
        if lay.implicit is not None:
            per_option[lay.implicit] = ballots - sum(per_option.values())
        entry: dict[str, Any] = {"id": question.id, "counts": per_option}
        if lay.blank:
            entry["blank"] = values[-1]
        result.append(entry)
    return result


def result_payload(
    manifest: Manifest,
    layouts: list[Layout],
    totals: list[list[Ciphertext]],
    partials: dict[int, list[list[bytes]]],
    ballots: int,
) -> dict[str, Any]:
    """Decrypt the tally and build the ``result`` event's payload."""
    decrypted = combine(totals, partials)
    plain = [[discrete_log(m, ballots) for m in row] for row in decrypted]
    return {
        "ballots": ballots,
        "trustees": sorted(partials),
        "decrypted": [[m.hex() for m in row] for row in decrypted],
        "questions": counts(manifest, layouts, plain, ballots),
    }
