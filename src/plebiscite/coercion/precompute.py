"""The roll precomputation: every tally step that depends on the roll only, done and posted while voting runs.

Civitas mixes the roll and computes its tags when registration closes; so does this mode, so that the tally after
``close`` only handles the ballots. Once the election is open, the trustees who will tally (the *tally set*, fixed
from here on) post, in this order (docs/coercion.md § 5.0–5.1, all rank 4 = voting phase):

* ``cr-precompute`` ``{trustees: T, roll: n}``;
* ``cr-tally-keys`` ×|T|: each trustee's duplicate-elimination and matching tag keys with their proofs;
* ``cr-roll-shuffle`` ×|T|: the roll ``(R)`` shuffled by each trustee in turn, with a proof of shuffle;
* ``cr-roll-tags`` ×|T|: each trustee's matching pass over the mixed roll; the last one's ``b`` are the roll tags.

Nothing here depends on a ballot, and nothing is decrypted: the roll tags are ``(Π z_j)·V`` of mixed entries,
unlinkable to voters (one honest mixer) and useless without ballot tags, which only the tally after ``close``
computes with the same matching keys. The cost: the tally set cannot change after this point without redoing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from plebiscite.coercion import events as cev
from plebiscite.coercion import steps
from plebiscite.coercion.codec import CoercionError, Row, elements
from plebiscite.coercion.parallel import Workers, without_cycle_collector
from plebiscite.coercion.steps import tag_passes
from plebiscite.coercion.trustees import Post, TallyTrustee, tally_set
from plebiscite.elgamal import Ciphertext
from plebiscite.record import events as ev
from plebiscite.setup.election import ElectionContext

STAGES = steps.STAGES


@dataclass(frozen=True)
class Precomputed:
    """What the tally after close takes from the precomputation: the tally set and the roll tags."""

    trustees: list[int]
    roll_tags: list[bytes]


@without_cycle_collector
def run_precompute(
    post: Post,
    ctx: ElectionContext,
    roll: Sequence[Ciphertext],
    present: Sequence[TallyTrustee],
    pool: Workers,
    say: Callable[[str], None] = lambda _m: None,
) -> Precomputed:
    """Post every precomputation event; the trustees keep their secret tag keys (``TallyTrustee.tag_keys``)."""
    fp, key = ctx.fingerprint, ctx.public_key
    order, lam = tally_set(ctx, present)
    indices = [t.index for t in order]
    if len(roll) < 2:
        raise ValueError("tally: a coercion-resistant tally needs at least two roll entries")
    post(cev.PRECOMPUTE, {"trustees": indices, "roll": len(roll)})
    for t in order:
        post(cev.TALLY_KEYS, steps.tag_keys(t, lam[t.index], fp))

    rows: list[Row] = [(ct,) for ct in roll]
    for t in order:
        rows, payload = steps.shuffle(pool, t, cev.ROLL_SHUFFLE, rows, key, fp)
        post(cev.ROLL_SHUFFLE, payload)
    say(f"roll mixed by trustees {indices}")

    out = tag_passes(pool, order, cev.ROLL_TAGS, [r[0] for r in rows], fp, post)
    say("roll tags computed")
    return Precomputed(indices, out.b)


def from_events(events: Sequence[ev.Event]) -> Precomputed | None:
    """The precomputation recorded in ``events`` (for a tally run from a record on disk), or None."""
    start = [e.payload for e in events if e.type == cev.PRECOMPUTE]
    if not start:
        return None
    trustees = start[0]["trustees"]
    tagged = [e.payload for e in events if e.type == cev.ROLL_TAGS]
    if len(tagged) != len(trustees):
        raise CoercionError("cr-roll-tags: the precomputation is incomplete")
    roll_tags = tagged[-1]["b"]  # compared as bytes when matching, so decoded canonically
    count = len(roll_tags) if isinstance(roll_tags, list) else 0
    return Precomputed(list(trustees), elements(roll_tags, count, "cr-roll-tags.b"))
