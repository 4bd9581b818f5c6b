"""One tally trustee's step of the coercion-resistant tally: compute it from its inputs and sign the event.

Shared by the one-process tally (``precompute.py``, ``tally.py``) and the trustees' own machines
(``coercion/remote.py``, which takes the inputs from its verified copy of the board via ``coercion/turns.py``), so
both post exactly the same events. Every function returns the signed payload and, where a later step of the same
trustee or the next trustee needs it, the outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plebiscite.coercion import events as cev
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion import tags
from plebiscite.coercion.codec import Row, row_json
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.trustees import Post, TallyTrustee, shuffle_context
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G

STAGES = ("dedup", "match")
PASSES = {  # event type → (tag key stage, proof context)
    cev.ROLL_TAGS: ("match", "match-roll"),
    cev.DEDUP_PASS: ("dedup", "dedup"),
    cev.MATCH_PASS: ("match", "match-ballots"),
}
SHUFFLES = {cev.ROLL_SHUFFLE: "roll", cev.SHUFFLE: "ballots"}


def tag_keys(t: TallyTrustee, lam: int, fp: bytes) -> dict[str, Any]:
    """``cr-tally-keys``: fresh secret tag keys for both stages (kept in ``t.tag_keys``), their public halves."""
    assert t.trustee.share is not None
    payload: dict[str, Any] = {"trustee": t.index}
    for stage in STAGES:
        z, u, pub = tags.make_tag_key(stage, t.index, t.trustee.share, lam, fp)
        t.tag_keys[stage] = (z, u)
        payload[stage] = pub.to_json()
    return t.signed(cev.TALLY_KEYS, payload)


def shuffle(
    pool: Workers, t: TallyTrustee, kind: str, rows: Sequence[Row], key: bytes, fp: bytes
) -> tuple[list[Row], dict[str, Any]]:
    """``cr-roll-shuffle`` or ``cr-shuffle``: the rows re-encrypted and permuted, with the proof of shuffle."""
    name = SHUFFLES[kind]
    out, proof = sh.shuffle(pool, list(rows), key, fp, shuffle_context(name, t.index))
    payload: dict[str, Any] = {"trustee": t.index}
    if kind == cev.SHUFFLE:
        payload["list"] = name
    payload |= {"rows": [row_json(r) for r in out], "proof": proof.to_json()}
    return out, t.signed(kind, payload)


def tag_pass(
    pool: Workers, t: TallyTrustee, kind: str, inputs: Sequence[Ciphertext], last: bool, fp: bytes
) -> tuple[tags.PassOutput, dict[str, Any]]:
    """A tag pass (``cr-roll-tags``, ``cr-dedup-pass``, ``cr-match-pass``); the last trustee's keeps only ``b``."""
    stage, context = PASSES[kind]
    z, u = t.tag_keys[stage]
    out = tags.run_pass(pool, z, u, inputs, not last, fp, tags.stage_context(context, t.index))
    return out, t.signed(kind, {"trustee": t.index, **out.to_json()})


def fold_exp(
    pool: Workers, t: TallyTrustee, lam: int, creds: Sequence[Ciphertext], fp: bytes
) -> tuple[tags.PassOutput, dict[str, Any]]:
    """``cr-fold-exp``: ``E_t = (λ_t s_t)·C1`` as a linear pass with ``u = 0`` against ``W_t = λ_t·S_t``."""
    w = lam * t.mac_share % G.ORDER
    out = tags.run_pass(pool, w, 0, creds, True, fp, tags.stage_context("fold-exp", t.index))
    return out, t.signed(cev.FOLD_EXP, {"trustee": t.index, **out.to_json()})


def fold_blind(
    pool: Workers, t: TallyTrustee, current: Sequence[Ciphertext], fp: bytes
) -> tuple[list[Ciphertext], dict[str, Any]]:
    """``cr-fold-blind``: every ``D`` multiplied by a fresh secret, with a per-row proof."""
    out, proofs = tags.run_blind(pool, current, fp, tags.stage_context("fold-blind", t.index))
    return out, t.signed(cev.FOLD_BLIND, {"trustee": t.index, **tags.blind_json(out, proofs)})


def tag_passes(
    pool: Workers,
    order: Sequence[TallyTrustee],
    kind: str,
    inputs: Sequence[Ciphertext],
    fp: bytes,
    post: Post,
) -> tags.PassOutput:
    """Every trustee's pass of ``kind`` in turn over ``inputs`` (one process holding the whole tally set), each
    posted; the last pass's output holds the blinded tags (``.b``)."""
    out: tags.PassOutput | None = None
    current = list(inputs)
    for n, t in enumerate(order):
        last = n == len(order) - 1
        out, payload = tag_pass(pool, t, kind, current, last, fp)
        post(kind, payload)
        if not last:
            current = out.ciphertexts()
    if out is None:
        raise ValueError("tag passes need at least one trustee")
    return out
