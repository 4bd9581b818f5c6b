"""One trustee's side of the key ceremony, run on its own machine against the board.

Each function is one step of ``plebiscite trustee``: it reads the board through the trustee's verified mirror,
computes locally with the secrets from the trustee's vault, **saves the vault before posting** (so a crash after
the post never loses the polynomial or the shares the post depends on), then posts the signed step. Every step can
be run again: what is already on the board is not posted twice, and a step interrupted between saving and posting
is completed.

Who waits for whom: dealing needs every trustee's announcement (a silent trustee is left out only when the caller
says so, ``proceed_without``, after the agreed deadline); receiving needs every announced trustee's shares. The
board enforces the same order (``board/trustee_steps.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plebiscite.board.trustee_client import BoardView, TrusteeBoard, TrusteeBoardError
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony import trustee_vault
from plebiscite.keyceremony.trustee import Trustee, decode_all
from plebiscite.keyceremony.trustee_vault import TrusteeVault
from plebiscite.record import events as ev

Say = Callable[[str], None]


@dataclass
class Seat:
    """This trustee's place in one election: its index and the ceremony's parameters, from the manifest event."""

    index: int
    trustees: int
    threshold: int
    fingerprint: bytes
    election_id: str


def seat(view: BoardView, vault: TrusteeVault) -> Seat:
    """Find this trustee in the manifest event; refuse to take part when it does not name the vault's key."""
    s = view.state
    if s.manifest is None or s.manifest_payload is None:
        raise TrusteeBoardError("the board holds no manifest yet")
    mine = vault.signing_key.hex()
    if mine not in s.trustee_keys:
        raise TrusteeBoardError(
            f"the manifest event of {s.manifest.election_id!r} does not name this vault's key "
            f"({trustee_vault.fingerprint_groups(vault.signing_key)[:19]}…): do not take part; "
            "tell the organiser and the other trustees"
        )
    fp = ceremony.ceremony_fingerprint(ev.canonical_json(s.manifest_payload), s.trustees, s.threshold)
    return Seat(s.trustee_keys.index(mine) + 1, s.trustees, s.threshold, fp, s.manifest.election_id)


class Step:
    """The state a trustee command works on: the board, the vault (and its passphrase), this trustee's seat."""

    def __init__(self, board: TrusteeBoard, vault_path: Path, passphrase: str, say: Say) -> None:
        self.board, self.vault_path, self.passphrase, self.say = board, vault_path, passphrase, say
        self.vault = trustee_vault.load(vault_path, passphrase)
        self.view = board.view()
        self.seat = seat(self.view, self.vault)

    def trustee(self) -> Trustee:
        t = self.vault.trustee(self.seat.fingerprint)
        if t is None:
            raise TrusteeBoardError(
                f"this vault has not joined the ceremony of {self.seat.election_id!r}: run `plebiscite trustee join`"
            )
        return t

    def save(self, t: Trustee) -> None:
        self.vault.keep(self.seat.fingerprint, t)
        trustee_vault.save(self.vault_path, self.vault, self.passphrase)

    def announced(self) -> dict[int, ceremony.Announcement]:
        s = self.view.state
        return decode_all(s.announcements, s.threshold, self.seat.fingerprint, s.trustee_keys)


def join(step: Step, expect_trustees: int | None = None, expect_threshold: int | None = None) -> None:
    """Make this ceremony's polynomial (kept in the vault), post the signed announcement."""
    st, s = step.seat, step.view.state
    if expect_trustees is not None and expect_trustees != st.trustees:
        raise TrusteeBoardError(f"the manifest says {st.trustees} trustees, not the agreed {expect_trustees}")
    if expect_threshold is not None and expect_threshold != st.threshold:
        raise TrusteeBoardError(
            f"the manifest says threshold {st.threshold}, not the agreed {expect_threshold}"
        )
    step.say(
        f"election {st.election_id!r}: you are trustee {st.index} of {st.trustees} ({st.threshold} needed)"
    )
    if any(a["index"] == st.index for a in s.announcements):
        step.say("your announcement is already on the board")
        return
    t = step.vault.trustee(st.fingerprint)
    if t is None:
        t = Trustee.new(st.index, st.trustees, st.threshold, step.vault.signing_seed, step.vault.box_secret)
        step.save(t)
    step.board.post(ev.TRUSTEE, t.announce(st.fingerprint))
    step.say("announcement posted (commitments and proofs)")


def _missing_announcements(view: BoardView) -> list[int]:
    done = {a["index"] for a in view.state.announcements}
    return [i for i in range(1, view.state.trustees + 1) if i not in done]


def _missing_deals(view: BoardView) -> list[int]:
    dealt = {p["from"] for p in view.state.shares}
    return sorted({a["index"] for a in view.state.announcements} - dealt)


def _wait(step: Step, ready: Callable[[BoardView], list[int]], what: str, wait: float, proceed: bool) -> None:
    view, missing = step.board.wait(ready, wait)
    step.view = view
    if missing and not proceed:
        raise TrusteeBoardError(
            f"still waiting for trustee(s) {missing} to {what}; run again later (or --wait SECONDS), or, once the "
            "agreed deadline has passed, --proceed-without-missing"
        )
    if missing:
        step.say(f"proceeding without trustee(s) {missing}, who did not {what}")


def deal(step: Step, wait: float = 0.0, proceed_without_missing: bool = False) -> None:
    """Post this trustee's shares, each sealed to its recipient's box key."""
    t = step.trustee()
    if any(p["from"] == t.index for p in step.view.state.shares):
        step.say("your shares are already on the board")
        return
    _wait(step, _missing_announcements, "announce", wait, proceed_without_missing)
    step.board.post(ev.SHARES, t.deal(step.announced(), step.seat.fingerprint))
    step.say(f"shares posted to {len(step.view.state.announcements) - 1} trustee(s)")


def receive(step: Step, wait: float = 0.0, proceed_without_missing: bool = False) -> None:
    """Open and check the shares dealt to this trustee; post a complaint against each bad one."""
    t = step.trustee()
    _wait(step, _missing_deals, "deal", wait, proceed_without_missing)
    s = step.view.state
    complaints = t.receive(step.announced(), s.shares, step.seat.fingerprint)
    step.save(t)
    posted = {c["against"] for c in s.complaints if c["by"] == t.index}
    for c in complaints:
        if c["against"] not in posted:
            step.board.post(ev.COMPLAINT, c)
        step.say(f"complaint against trustee {c['against']}: its share does not match its commitments")
    step.say(f"{len(t.received) - 1} valid share(s) received, {len(complaints)} complaint(s)")


def answer(step: Step) -> None:
    """Answer each complaint against this trustee by revealing the disputed share (as the protocol says)."""
    t = step.trustee()
    s = step.view.state
    answered = {r["to"] for r in s.reveals if r["from"] == t.index}
    against = [c for c in s.complaints if c.get("against") == t.index and c["by"] not in answered]
    for c in against:
        step.board.post(ev.SHARE_REVEAL, t.answer(c, step.seat.fingerprint))
        step.say(f"answered trustee {c['by']}'s complaint by revealing its share")
    if not against:
        step.say("no complaint against you is waiting for an answer")


def finish(step: Step) -> ceremony.Outcome:
    """Combine the shares of the qualified dealers into this trustee's decryption share, and check it against the
    verification key anyone derives from the record."""
    t = step.trustee()
    s = step.view.state
    announced = step.announced()
    for reveal in s.reveals:
        t.accept_reveal(reveal, announced)
    outcome = ceremony.outcome(
        s.trustee_keys, s.threshold, step.seat.fingerprint, s.announcements, s.shares, s.complaints, s.reveals
    )
    for problem in outcome.problems:
        step.say(f"note: {problem}")
    if t.index not in outcome.qualified:
        raise TrusteeBoardError(f"trustee {t.index} is not qualified; you hold no share of the election key")
    t.finish(outcome.qualified)
    assert t.share is not None
    if G.mul_base(t.share) != outcome.verification_keys[t.index]:
        raise TrusteeBoardError(
            "your share does not match your verification key on the record; nothing saved"
        )
    step.save(t)
    step.say(
        f"qualified: {outcome.qualified}; election key {outcome.public_key.hex()}; your share is in the vault"
    )
    return outcome
