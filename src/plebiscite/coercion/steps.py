"""One tally trustee's step of the coercion-resistant tally: compute it from its inputs and sign the event.

Shared by the one-process tally (``precompute.py``, ``tally.py``) and the trustees' own machines
(``coercion/remote.py``, which takes the inputs from its verified copy of the board via ``coercion/turns.py``), so
both post exactly the same events. Every function returns the signed payload and, where a later step of the same
trustee or the next trustee needs it, the outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plebiscite.coercion import batchproof as bp
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
    pool: Workers,
    t: TallyTrustee,
    kind: str,
    inputs: Sequence[Ciphertext],
    last: bool,
    fp: bytes,
    given: bp.Given | None = None,
) -> tuple[tags.PassOutput, dict[str, Any]]:
    """A tag pass (``cr-roll-tags``, ``cr-dedup-pass``, ``cr-match-pass``); the last trustee's keeps only ``b``.
    ``given``: its rows computed ahead (:func:`dedup_given`), then only the proofs are made."""
    stage, context = PASSES[kind]
    z, u = t.tag_keys[stage]
    out = tags.run_pass(pool, z, u, inputs, not last, fp, tags.stage_context(context, t.index), given)
    return out, t.signed(kind, {"trustee": t.index, **out.to_json()})


def fold_ahead(pool: Workers, t: TallyTrustee, lam: int, creds: Sequence[Ciphertext]) -> int:
    """While voting runs: ``E_t = (λ_t s_t)·C1`` of cast credentials not yet done, kept by the trustee
    (``t.ahead``) for its ``cr-fold-exp``; returns how many were computed. Nothing is posted: the tally's step
    proves and posts the kept ballots' rows after close (docs/native.md §7.7). A change of exponent (another
    tally set) starts afresh."""
    w = lam * t.mac_share % G.ORDER
    if w != t.ahead_exponent:
        t.ahead, t.ahead_exponent = {}, w
    return compute_missing(pool, t.ahead, w, 0, creds)


def compute_missing(
    pool: Workers, kept: dict[bytes, tuple[bytes, bytes]], z: int, u: int, creds: Sequence[Ciphertext]
) -> int:
    """The rows ``(z·a, z·b − u·a)`` of the ballots not yet in ``kept`` (keyed by the ballot's ``C1``), added to
    it; returns how many were computed."""
    todo = list({ct.a + ct.b: ct for ct in creds if ct.a + ct.b not in kept}.values())
    a, b = tags.transform_rows(pool, z, u, todo, True)
    assert a is not None
    kept.update((ct.a + ct.b, (x, y)) for ct, x, y in zip(todo, a, b, strict=True))
    return len(todo)


def _kept_rows(kept: dict[bytes, tuple[bytes, bytes]], creds: Sequence[Ciphertext], with_a: bool) -> bp.Given:
    """The kept rows of ``creds``, in their order, as a pass takes them (``a'`` only ``with_a``)."""
    rows = [kept[ct.a + ct.b] for ct in creds]
    return ([r[0] for r in rows] if with_a else None), [r[1] for r in rows]


def dedup_ahead(pool: Workers, t: TallyTrustee, creds: Sequence[Ciphertext]) -> int:
    """While voting runs, by the **first** trustee of the tally set only: its duplicate-elimination pass over the
    cast ballots not yet done, ``(z·a, z·b − u·a)`` of each ``C1`` with its ``dedup`` tag key, kept
    (``t.dedup_ahead``) for its ``cr-dedup-pass`` after close. A function of public ballots and its own key, which
    tells nobody anything before it is posted; the later trustees' passes take its outputs and are not computed
    ahead (the last one's are the tags, which would link a voter's ballots while voting runs)."""
    z, u = t.tag_keys["dedup"]
    return compute_missing(pool, t.dedup_ahead, z, u, creds)


def dedup_given(pool: Workers, t: TallyTrustee, creds: Sequence[Ciphertext], last: bool) -> bp.Given | None:
    """The first trustee's ``cr-dedup-pass`` rows from :func:`dedup_ahead` (the ballots cast since its last run
    computed now), or None when it computed none ahead."""
    if not t.dedup_ahead:
        return None
    dedup_ahead(pool, t, creds)
    return _kept_rows(t.dedup_ahead, creds, not last)


def fold_exp(
    pool: Workers, t: TallyTrustee, lam: int, creds: Sequence[Ciphertext], fp: bytes
) -> tuple[tags.PassOutput, dict[str, Any]]:
    """``cr-fold-exp``: ``E_t = (λ_t s_t)·C1`` as a linear pass with ``u = 0`` against ``W_t = λ_t·S_t``. Rows the
    trustee computed while voting ran (:func:`fold_ahead`) are only proved; the others are computed first."""
    w = lam * t.mac_share % G.ORDER
    given = None
    if t.ahead:
        fold_ahead(
            pool, t, lam, creds
        )  # the ballots cast since the last run (all of them for another tally set)
        given = _kept_rows(t.ahead, creds, True)
    out = tags.run_pass(pool, w, 0, creds, True, fp, tags.stage_context("fold-exp", t.index), given)
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
        given = dedup_given(pool, t, current, last) if kind == cev.DEDUP_PASS and n == 0 else None
        out, payload = tag_pass(pool, t, kind, current, last, fp, given)
        post(kind, payload)
        if not last:
            current = out.ciphertexts()
    if out is None:
        raise ValueError("tag passes need at least one trustee")
    return out
