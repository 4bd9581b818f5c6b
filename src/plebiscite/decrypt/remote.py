"""A trustee's partial decryption, made on its own machine and posted to the board.

Before it computes anything the trustee verifies the record up to the tally with the verifier's own checks (from
its own mirror), so it never decrypts an aggregate the record does not justify (ballots that should not count, a
tally that is not the sum). The payload is then checked exactly as the board and the verifier will check it
(:meth:`Conduct.post_partial`, against a throw-away copy of the state), so a share that would be refused — a vault
of another election, a wrong share — is refused here, **before anything is posted**.
"""

from __future__ import annotations

from plebiscite.board.trustee_client import TrusteeBoardError
from plebiscite.conduct import Conduct, DiscardSink
from plebiscite.decrypt.partial import partial_decrypt
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.remote import Step
from plebiscite.record import events as ev
from plebiscite.verify.runner import verify_record

AFTER_THE_TALLY = frozenset({"partial decryptions", "combination", "result"})
"""Checks that cannot pass before the trustees decrypt; no other check may fail, and the aggregation must have run
(a mode's own checks replace the standard ballot checks, which then do not run)."""


def decrypt(step: Step, workers: int = 0) -> None:
    """Verify the record up to the tally, then make, check and post this trustee's partial decryption."""
    s = step.view.state
    if s.phase != "tallied":
        raise TrusteeBoardError(f"nothing to decrypt: the election is in phase {s.phase!r} (needs 'tallied')")
    t = step.trustee()
    if t.index in s.partials:
        step.say("your partial decryption is already on the board")
        return
    report = verify_record(step.view.mirror, workers=workers)
    bad = [f"{c.name}: {c.failures[0]}" for c in report.checks if c.name not in AFTER_THE_TALLY and not c.ok]
    bad += [f"{c.name}: did not run" for c in report.checks if c.name == "aggregation" and not c.ran]
    if bad:
        raise TrusteeBoardError(
            "the record does not verify up to the tally; not decrypting: " + "; ".join(bad)
        )
    step.say("the record verifies up to the tally")
    ctx = s.context
    assert ctx is not None
    if t.index not in ctx.qualified:
        raise TrusteeBoardError(f"trustee {t.index} is not qualified in this election; nothing posted")
    announced = step.announced()
    for reveal in s.reveals:
        t.accept_reveal(reveal, announced)
    t.finish(list(ctx.qualified))  # the qualified set the election event fixed
    assert t.share is not None
    if G.mul_base(t.share) != ctx.verification_keys[t.index]:
        raise TrusteeBoardError(
            f"trustee {t.index}: this vault's share is not a share of this election's key; nothing posted"
        )
    dry_run = Conduct(s, DiscardSink())
    payload = partial_decrypt(t.index, t.share, dry_run.totals(), ctx.fingerprint, t.signing_key)
    dry_run.post_partial(payload)  # the board's and the verifier's checks, here first
    step.board.post(ev.PARTIAL_DECRYPTION, payload)
    step.say(f"partial decryption of trustee {t.index} posted")
