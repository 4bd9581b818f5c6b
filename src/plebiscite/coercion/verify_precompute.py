"""Verifier checks for the roll precomputation (``precompute.py``): the tally set and its tag keys, the roll's
shuffles and the roll tags — posted while voting ran, checked like every tally step, and handed to the tally
checks, which must find the same tally set.
"""

from __future__ import annotations

from dataclasses import dataclass

from plebiscite.coercion import events as cev
from plebiscite.coercion import tags
from plebiscite.coercion.codec import Row
from plebiscite.coercion.precompute import STAGES
from plebiscite.coercion.verify_steps import NeedTurn, StepVerifier, Stop
from plebiscite.elgamal import Ciphertext
from plebiscite.keyceremony.polynomial import lagrange_at_zero

__all__ = ["NeedTurn", "Precomputation", "PrecomputeVerifier"]


@dataclass(frozen=True)
class Precomputation:
    """The verified precomputation: tally set, Lagrange coefficients, public tag keys, final roll tags."""

    order: list[int]
    lam: dict[int, int]
    tag_keys: dict[tuple[str, int], tuple[bytes, bytes]]
    roll_tags: list[bytes]


class PrecomputeVerifier(StepVerifier):
    def run(self, roll: list[Ciphertext]) -> Precomputation | None:
        """None when the record has no precomputation (and no tally) or when a step cannot be decoded; in partial
        mode :class:`NeedTurn` names the next step."""
        if not any(e.type in (cev.PRECOMPUTE, cev.TALLY_START) for e in self.events):
            self._turn(
                cev.PRECOMPUTE, None, [], len(roll)
            )  # the administrator starts it, naming the tally set
            return None  # the record stops before the tally; "result" stays not run
        try:
            return self._run(roll)
        except Stop:
            return None

    def _run(self, roll: list[Ciphertext]) -> Precomputation:
        keys_check = self.c["cr: tally trustees and keys"]
        start = self._take(cev.PRECOMPUTE, 1, keys_check)[0].payload
        order = start.get("trustees")
        keys_check.item()
        if (
            not isinstance(order, list)
            or not all(isinstance(j, int) and not isinstance(j, bool) for j in order)
            or order != sorted(set(order))
            or not set(order) <= set(self.ctx.qualified)
            or len(order) < self.ctx.threshold
        ):
            keys_check.fail(
                f"cr-precompute.trustees: need ≥ {self.ctx.threshold} distinct qualified trustees, sorted"
            )
            raise Stop
        if start.get("roll") != len(roll):
            self.c["cr: roll shuffle"].fail(
                f"cr-precompute.roll: {start.get('roll')!r}, but the roll has {len(roll)} entries"
            )
        lam = {j: lagrange_at_zero(j, order) for j in order}
        tag_keys: dict[tuple[str, int], tuple[bytes, bytes]] = {}
        found = self._take(cev.TALLY_KEYS, len(order), keys_check)
        for j, e in zip(order, found, strict=False):
            self._signed(e, keys_check, j)
            for stage in STAGES:
                keys_check.item()
                key = self._decode(
                    keys_check,
                    lambda e=e, stage=stage, j=j: tags.check_tag_key(  # type: ignore[misc]
                        e.payload.get(stage),
                        stage,
                        j,
                        self.ctx.verification_keys[j],
                        lam[j],
                        self.fp,
                        f"event {e.index}.{stage}",
                        verify=self._checked(e),
                        engine=self.pool.engine,
                    ),
                )
                tag_keys[(stage, j)] = (key.z, key.u)
        self._turn(cev.TALLY_KEYS, order, found, lam)

        check = self.c["cr: roll shuffle"]
        rows: list[Row] = [(ct,) for ct in roll]
        found = self._take(cev.ROLL_SHUFFLE, len(order), check)
        for j, e in zip(order, found, strict=False):
            self._signed(e, check, j)
            rows = self._shuffle(check, e, "roll", rows, j)
        self._turn(cev.ROLL_SHUFFLE, order, found, rows)

        check = self.c["cr: roll tags"]
        current = [r[0] for r in rows]
        final: list[bytes] = []
        found = self._take(cev.ROLL_TAGS, len(order), check)
        for n, (j, e) in enumerate(zip(order, found, strict=False)):
            self._signed(e, check, j)
            last = n == len(order) - 1
            value = {k: e.payload.get(k) for k in ("a", "b", "proofs")}
            out = self._pass(check, e, value, current, not last, tag_keys[("match", j)], "match-roll", j)
            current, final = (current, out.b) if last else (out.ciphertexts(), final)
        self._turn(cev.ROLL_TAGS, order, found, current)
        if len(set(final)) != len(roll):
            check.fail("two roll entries have the same tag (a credential is on the roll twice)")
        return Precomputation(order, lam, tag_keys, final)
