"""One trustee's part of the coercion-resistant tally, on its own machine, against the board.

``run_steps`` loops: mirror the board (signed heads checked), walk the record with the verifier's checks from where
this trustee last verified (``coercion/turns.py``: a record that does not verify stops the trustee before it builds
on it), and when it is this trustee's turn compute the step from the walk's inputs and its secrets — its key share
(vault), its MAC share (opened from ``cr-mac-key`` with its box key) and its tag keys (made at ``cr-tally-keys``,
kept in the vault **before** that post) — then post it signed. It stops when no step of the phase remains for it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from plebiscite.board.trustee_client import TrusteeBoardError
from plebiscite.coercion import events as cev
from plebiscite.coercion import steps, turns
from plebiscite.coercion.credentials import trustee_mac_share
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.setup_posts import mac_key_of
from plebiscite.coercion.trustees import TallyTrustee
from plebiscite.conduct import Conduct
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import trustee_vault
from plebiscite.keyceremony.remote import Step
from plebiscite.record import events as ev
from plebiscite.record.state import ElectionState

PHASES = {"precompute": turns.PRECOMPUTE_KINDS, "tally": turns.TALLY_KINDS}
VERIFIED_FILE = "cr-verified.json"
TAG_KEYS = "cr_tag_keys"


class _Discard:
    def append(self, event: ev.Event) -> None:
        pass


def _verified(step: Step, size: int) -> int:
    """How many events this trustee has verified already (0 when unknown or the mirror is shorter)."""
    try:
        n = json.loads((step.view.mirror / VERIFIED_FILE).read_text())["events"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    return n if isinstance(n, int) and 0 <= n <= size else 0


def _remember(step: Step, size: int) -> None:
    (step.view.mirror / VERIFIED_FILE).write_text(json.dumps({"events": size}))


def _tally_trustee(step: Step, events: list[ev.Event]) -> TallyTrustee:
    t = step.trustee()
    if t.share is None:
        raise TrusteeBoardError("this vault holds no share yet: run `plebiscite trustee finish` first")
    state = ElectionState.from_events(events)
    mac = mac_key_of(Conduct(state, _Discard()), events)
    payload = next((e.payload for e in events if e.type == cev.MAC_KEY), None)
    if mac is None or payload is None:
        raise TrusteeBoardError("the registrar's MAC key is not on the board")
    share = trustee_mac_share(payload, mac, t.index, t.box_secret)
    kept = step.vault.extras.get(step.seat.fingerprint.hex(), {}).get(TAG_KEYS, {})
    keys = {stage: (G.scalar_from_hex(z), G.scalar_from_hex(u)) for stage, (z, u) in kept.items()}
    return TallyTrustee(t, share, keys)


def _keep_tag_keys(step: Step, tt: TallyTrustee) -> None:
    entry = step.vault.extras.setdefault(step.seat.fingerprint.hex(), {})
    entry[TAG_KEYS] = {
        s: [G.scalar_to_bytes(z).hex(), G.scalar_to_bytes(u).hex()] for s, (z, u) in tt.tag_keys.items()
    }
    trustee_vault.save(step.vault_path, step.vault, step.passphrase)


def _compute(
    pool: Workers, step: Step, tt: TallyTrustee, walk: turns.Walk, events: list[ev.Event]
) -> dict[str, Any]:
    turn = walk.turn
    assert turn is not None
    ctx = ElectionState.from_events(events).context
    assert ctx is not None
    fp, key, kind = ctx.fingerprint, ctx.public_key, turn.kind
    if kind == cev.TALLY_KEYS:
        payload = steps.tag_keys(tt, walk.lam(tt.index), fp)
        _keep_tag_keys(step, tt)  # the secret halves are needed later: saved before the public halves go out
        return payload
    if kind in steps.SHUFFLES:
        return steps.shuffle(pool, tt, kind, turn.inputs, key, fp)[1]
    if kind in steps.PASSES:
        return steps.tag_pass(pool, tt, kind, turn.inputs, turn.last, fp)[1]
    if kind == cev.FOLD_EXP:
        return steps.fold_exp(pool, tt, walk.lam(tt.index), turn.inputs, fp)[1]
    if kind == cev.FOLD_BLIND:
        return steps.fold_blind(pool, tt, turn.inputs, fp)[1]
    raise TrusteeBoardError(f"{kind}: not a trustee's step")


def _mine_done(events: list[ev.Event], me: int, kinds: frozenset[str]) -> bool:
    mine = {e.type for e in events if e.type in kinds and e.payload.get("trustee") == me}
    return mine >= (kinds & turns.TRUSTEE_KINDS)


def run_steps(
    step: Step, phase: str, wait: float = 0.0, workers: int | None = None, poll: float = 2.0
) -> int:
    """Post every step of ``phase`` (``precompute`` or ``tally``) that falls to this trustee; returns how many."""
    kinds = PHASES[phase]
    me = step.seat.index
    deadline = time.monotonic() + wait
    posted = 0
    with Workers(workers) as pool:
        while True:
            events = step.view.events
            try:
                walk = turns.walk(events, check_from=_verified(step, len(events)), workers=workers)
            except ValueError as exc:
                raise TrusteeBoardError(f"no {phase} yet: {exc}") from None
            if walk.failures:
                raise TrusteeBoardError(f"the record does not verify, not taking part: {walk.failures[0]}")
            _remember(step, len(events))
            turn = walk.turn
            if walk.order and me not in walk.order:
                raise TrusteeBoardError(f"trustee {me} is not in the tally set {walk.order}")
            if _mine_done(events, me, kinds) or turn is None or turn.kind not in kinds:
                step.say(f"{phase}: nothing left for trustee {me} ({posted} step(s) posted now)")
                return posted
            if turn.trustee == me:
                payload = _compute(pool, step, _tally_trustee(step, events), walk, events)
                step.board.post(turn.kind, payload)
                step.say(f"{turn.kind} posted")
                posted += 1
            elif time.monotonic() >= deadline:
                who = "the administrator" if turn.trustee is None else f"trustee {turn.trustee}"
                raise TrusteeBoardError(
                    f"waiting for {who} ({turn.kind}); run again later or pass --wait SECONDS"
                )
            else:
                time.sleep(poll)
            step.view = step.board.view()
