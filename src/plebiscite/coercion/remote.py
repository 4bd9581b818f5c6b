"""One trustee's part of the coercion-resistant tally, on its own machine, against the board.

``run_steps`` loops: mirror the board (signed heads checked), walk the record with the verifier's checks from where
this trustee last verified, its own posts excepted (``coercion/turns.py``: a record that does not verify stops the
trustee before it builds on it), and when it is this trustee's turn compute the step from the walk's inputs and its
secrets — its key share (vault), its MAC share (opened from ``cr-mac-key`` with its box key) and its tag keys (made
at ``cr-tally-keys``, kept in the vault **before** that post) — then post it signed. It stops when no step of the
phase remains for it. Its ``cr-fold-exp`` and (the first trustee's) first ``cr-dedup-pass`` take the rows that
``plebiscite trustee ahead`` kept while voting ran (``coercion/ahead.py``, ``rows_store.py``), computing the rest,
and only prove them; the rows are removed once its tally steps are all on the record.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from plebiscite.board.client import BoardClientError
from plebiscite.board.follow import Follower
from plebiscite.board.trustee_client import TrusteeBoardError
from plebiscite.coercion import events as cev
from plebiscite.coercion import rows_store, steps, turns
from plebiscite.coercion.credentials import trustee_mac_share
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.trustees import TallyTrustee
from plebiscite.coercion.verify_steps import Memo
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import trustee_vault
from plebiscite.keyceremony.remote import Step
from plebiscite.record import events as ev

PHASES = {"precompute": turns.PRECOMPUTE_KINDS, "tally": turns.TALLY_KINDS}
VERIFIED_FILE = "cr-verified.json"
TAG_KEYS = "cr_tag_keys"


def verified_so_far(step: Step) -> int:
    """How many events this trustee has verified already (0 when unknown or the mirror is shorter)."""
    size = len(step.view.events)
    try:
        n = json.loads((step.view.mirror / VERIFIED_FILE).read_text())["events"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    return n if isinstance(n, int) and 0 <= n <= size else 0


def remember(step: Step, size: int) -> None:
    (step.view.mirror / VERIFIED_FILE).write_text(json.dumps({"events": size}))


def tally_trustee(step: Step, events: list[ev.Event], walk: turns.Walk) -> TallyTrustee:
    t = step.trustee()
    if t.share is None:
        raise TrusteeBoardError("this vault holds no share yet: run `plebiscite trustee finish` first")
    payload = next(e.payload for e in events if e.type == cev.MAC_KEY)  # the walk decoded it already
    share = trustee_mac_share(payload, walk.mac, t.index, t.box_secret)
    kept = step.vault.extras.get(step.seat.fingerprint.hex(), {}).get(TAG_KEYS, {})
    keys = {stage: (G.scalar_from_hex(z), G.scalar_from_hex(u)) for stage, (z, u) in kept.items()}
    return TallyTrustee(t, share, keys)


def _keep_tag_keys(step: Step, tt: TallyTrustee) -> None:
    entry = step.vault.extras.setdefault(step.seat.fingerprint.hex(), {})
    entry[TAG_KEYS] = {
        s: [G.scalar_to_bytes(z).hex(), G.scalar_to_bytes(u).hex()] for s, (z, u) in tt.tag_keys.items()
    }
    trustee_vault.save(step.vault_path, step.vault, step.passphrase)


def _compute(pool: Workers, step: Step, tt: TallyTrustee, walk: turns.Walk) -> dict[str, Any]:
    turn = walk.turn
    assert turn is not None
    fp, key, kind = walk.ctx.fingerprint, walk.ctx.public_key, turn.kind
    if kind == cev.TALLY_KEYS:
        payload = steps.tag_keys(tt, walk.lam(tt.index), fp)
        _keep_tag_keys(step, tt)  # the secret halves are needed later: saved before the public halves go out
        return payload
    if kind in steps.SHUFFLES:
        return steps.shuffle(pool, tt, kind, turn.inputs, key, fp)[1]
    if kind in steps.PASSES:
        given = None
        if kind == cev.DEDUP_PASS and walk.order[0] == tt.index:  # the first pass: its rows may be kept
            rows_store.load_rows(step, tt, walk, "dedup")
            given = steps.dedup_given(pool, tt, turn.inputs, turn.last)
        return steps.tag_pass(pool, tt, kind, turn.inputs, turn.last, fp, given)[1]
    if kind == cev.FOLD_EXP:
        rows_store.load_rows(step, tt, walk, "fold")  # rows kept by `trustee ahead`, if any: then only proved
        return steps.fold_exp(pool, tt, walk.lam(tt.index), turn.inputs, fp)[1]
    if kind == cev.FOLD_BLIND:
        return steps.fold_blind(pool, tt, turn.inputs, fp)[1]
    raise TrusteeBoardError(f"{kind}: not a trustee's step")


def _mine_done(events: list[ev.Event], me: int, kinds: frozenset[str]) -> bool:
    mine = {e.type for e in events if e.type in kinds and e.payload.get("trustee") == me}
    return mine >= (kinds & turns.TRUSTEE_KINDS)


def _wait_for_news(follower: Follower, size: int, deadline: float, poll: float, turn: turns.Turn) -> None:
    """Poll the board's head (cheap, over the follower's kept connection) until the log grows past ``size``; then
    the caller takes the new entries, checked."""
    while True:
        if time.monotonic() >= deadline:
            who = "the administrator" if turn.trustee is None else f"trustee {turn.trustee}"
            raise TrusteeBoardError(
                f"waiting for {who} ({turn.kind}); run again later or pass --wait SECONDS"
            )
        time.sleep(poll)
        try:
            if follower.size() > size:
                return
        except (BoardClientError, ValueError, KeyError, TypeError):
            continue  # unreachable for a moment: keep waiting until the deadline


def run_steps(
    step: Step, phase: str, wait: float = 0.0, workers: int | None = None, poll: float = 0.5
) -> int:
    """Post every step of ``phase`` (``precompute`` or ``tally``) that falls to this trustee; returns how many.

    Before each turn it checks every event after the point it last verified (``cr-verified.json``) except its
    own posts, found on the record byte for byte; the walk's decodings carry over from turn to turn (``Memo``).
    Once all of its steps of the phase are on the record it stops without checking later events: it builds
    nothing on them (the verifier checks them)."""
    kinds = PHASES[phase]
    me = step.seat.index
    deadline = time.monotonic() + wait
    posted = 0
    memo = Memo()
    own: set[bytes] = set()  # the canonical bytes of the events this run posted
    spent = dict.fromkeys(("mirroring", "checking", "computing", "posting", "waiting"), 0.0)
    clock = _Clock(spent)
    board = step.board
    verified = verified_so_far(step)
    with (
        Workers(workers) as pool,
        Follower(board.url, board.mirror_dir, step.view.events, board.timeout) as follower,
    ):
        while True:
            events = follower.events
            if _mine_done(events, me, kinds):
                if phase == "tally":
                    rows_store.discard_rows(step)
                break
            check_from = verified
            mine = frozenset(e.index for e in events[check_from:] if e.raw in own)
            try:
                with clock("checking"):
                    walk = turns.walk(events, check_from, memo=memo, pool=pool, own=mine)
            except ValueError as exc:
                raise TrusteeBoardError(f"no {phase} yet: {exc}") from None
            if walk.failures:
                raise TrusteeBoardError(f"the record does not verify, not taking part: {walk.failures[0]}")
            verified = len(events)
            turn = walk.turn
            if walk.order and me not in walk.order:
                raise TrusteeBoardError(f"trustee {me} is not in the tally set {walk.order}")
            if turn is None or turn.kind not in kinds:
                break
            if turn.trustee == me:
                before = spent["computing"]
                with clock("computing"):
                    payload = _compute(pool, step, tally_trustee(step, events, walk), walk)
                with clock("posting"):
                    step.board.post(turn.kind, payload)
                    own.add(ev.make_event(0, turn.kind, payload).raw)
                step.say(f"{turn.kind} posted (computed in {spent['computing'] - before:.2f} s)")
                posted += 1
            else:
                with clock("waiting"):
                    _wait_for_news(follower, len(events), deadline, poll, turn)
            with clock("mirroring"):
                _refresh(follower)
    step.view = board.view()  # the mirror on disk brought up to date, then what this run verified noted in it
    remember(step, min(verified, len(step.view.events)))
    times = ", ".join(f"{k} {v:.1f} s" for k, v in spent.items())
    step.say(f"{phase}: nothing left for trustee {me} ({posted} step(s) posted now; {times})")
    return posted


def _refresh(follower: Follower) -> None:
    try:
        follower.refresh()
    except BoardClientError as exc:
        raise TrusteeBoardError(str(exc)) from None


class _Clock:
    """Adds the time spent in each ``with clock(name):`` block to ``spent[name]`` (what the trustee reports)."""

    def __init__(self, spent: dict[str, float]) -> None:
        self.spent = spent

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.spent[name] += time.monotonic() - t0
