"""The coercion-resistant mode's event types, their place in the phase order, and their registration.

Ranks follow ``verify/setup_checks.RANK``: the registrar's MAC-key dealing and the encrypted roll belong to the
roll phase (2), ballots to voting (4), and so does the *roll precomputation* — tag keys, roll shuffles and roll
tags, which depend on the roll only and are posted while voting runs (Civitas does the same) so that they are not
part of the tally after ``close``; every other tally step belongs to the tally phase (6, before the standard
``tally`` event that closes it).
"""

from __future__ import annotations

from plebiscite.record import events as ev

MAC_KEY = "cr-mac-key"
ROLL = "cr-roll"
BALLOT = "cr-ballot"
PRECOMPUTE = "cr-precompute"
TALLY_KEYS = "cr-tally-keys"
ROLL_SHUFFLE = "cr-roll-shuffle"
ROLL_TAGS = "cr-roll-tags"
TALLY_START = "cr-tally-start"
DEDUP_PASS = "cr-dedup-pass"  # noqa: S105  (an event type, not a password)
DEDUP = "cr-dedup"
FOLD_EXP = "cr-fold-exp"
FOLD_BLIND = "cr-fold-blind"
SHUFFLE = "cr-shuffle"
MATCH_PASS = "cr-match-pass"  # noqa: S105

RANKS: dict[str, int] = {
    MAC_KEY: 2,
    ROLL: 2,
    BALLOT: 4,
    PRECOMPUTE: 4,
    TALLY_KEYS: 4,
    ROLL_SHUFFLE: 4,
    ROLL_TAGS: 4,
    TALLY_START: 6,
    DEDUP_PASS: 6,
    DEDUP: 6,
    FOLD_EXP: 6,
    FOLD_BLIND: 6,
    SHUFFLE: 6,
    MATCH_PASS: 6,
}

MODE = "coercion-resistant"
ev.register_mode(
    MODE, RANKS, removed={ev.BALLOT, ev.CHALLENGE}
)  # its own ballots; no Benaloh challenge events
