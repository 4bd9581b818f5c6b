"""What every verifier step of this mode shares: taking a step's events, checking who signed them, decoding their
payloads, and checking a linear pass or a shuffle against inputs the verifier derived itself.

A failed proof is reported under the step's named check and the published outputs are still used, so that one
tampering shows up exactly where it was made; data that cannot be decoded stops the later steps (:class:`Stop`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from plebiscite import native
from plebiscite.coercion import codec, tags
from plebiscite.coercion import shuffle as sh
from plebiscite.coercion.codec import CoercionError, Row
from plebiscite.coercion.parallel import Workers
from plebiscite.coercion.trustees import shuffle_context
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.native import cr as native_cr
from plebiscite.record import events as ev
from plebiscite.record.signing import SignatureError, verify
from plebiscite.setup.election import ElectionContext
from plebiscite.verify.report import Check

T = TypeVar("T")


class Memo:
    """Results of a walk's pure functions, kept from one walk of a growing record to the next (the board's and a
    trustee's, ``coercion/turns.py``), so that a walk re-derives only what the new events change.

    :meth:`call` returns the earlier result when the same place calls with arguments equal to last time's (an event's
    canonical bytes, the decoded lists it depends on: identical objects compare at once, others by value), and
    computes otherwise. Equal arguments give equal results, so a walk with a memo derives exactly what a fresh walk
    derives: it is no cache of *checks* — which proofs are checked is decided by ``check_from`` alone — and a memo
    fed with a tampered event computes afresh from the tampered bytes. Callers must not mutate what it returns.
    """

    def __init__(self) -> None:
        self._kept: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}

    def call(self, place: Hashable, fn: Callable[..., T], *args: Any) -> T:
        kept = self._kept.get(place)
        if kept is not None and kept[0] == args:
            return kept[1]  # type: ignore[no-any-return]
        value = fn(*args)
        self._kept[place] = (args, value)
        return value


class Stop(Exception):
    """A step's data cannot be decoded: later steps cannot run."""


class NeedTurn(Exception):
    """In ``partial`` mode: the record stops here; the next event is ``kind``, by ``trustee`` (None: computed by
    the board from the record alone, or started by the administrator), transforming ``inputs``."""

    def __init__(self, kind: str, trustee: int | None, inputs: Any = None, last: bool = False) -> None:
        super().__init__(kind)
        self.kind, self.trustee, self.inputs, self.last = kind, trustee, inputs, last


class StepVerifier:
    def __init__(
        self,
        checks: dict[str, Check],
        events: list[ev.Event],
        ctx: ElectionContext,
        outcome: Any,
        pool: Workers,
        partial: bool = False,
        check_from: int = 0,
        memo: Memo | None = None,
        own: frozenset[int] = frozenset(),
    ) -> None:
        """``partial``: the record may stop at any step, which raises :class:`NeedTurn` (the board and the trustees
        find the next turn this way); ``check_from``: proofs and signatures of events before this index were
        checked already (when they were accepted) and are only decoded; ``memo``: decodings and derived lists kept
        from an earlier walk of the same record (:class:`Memo`); ``own``: indices of events the walker made
        itself (a trustee's own posts, found on the record byte for byte), which it need not check."""
        self.c = checks
        self.events = events
        self.ctx = ctx
        self.fp = ctx.fingerprint
        self.pool = pool
        self.partial = partial
        self.check_from = check_from
        self.memo = memo if memo is not None else Memo()
        self.own = own
        self.signing = {a.index: a.signing_key for a in outcome.announcements.values()}
        # on the native engine a step's elements are decoded without their curve check: see _proved
        self.validate = not native_cr.enabled(pool.engine)

    def _take(self, kind: str, count: int, check: Check) -> list[ev.Event]:
        found = [e for e in self.events if e.type == kind]
        if len(found) != count and not (self.partial and len(found) < count):
            check.fail(f"{len(found)} {kind} events, expected {count}")
            raise Stop
        return found

    def _turn(self, kind: str, order: list[int] | None, found: list[ev.Event], inputs: Any = None) -> None:
        """In partial mode, stop at the first missing event of this step (``order`` None: a single event)."""
        if not self.partial:
            return
        if order is None:
            if not found:
                raise NeedTurn(kind, None, inputs)
        elif len(found) < len(order):
            raise NeedTurn(kind, order[len(found)], inputs, last=len(found) == len(order) - 1)

    def _checked(self, e: ev.Event) -> bool:
        """Whether this event's proofs are checked here (else they were when it was accepted)."""
        return e.index >= self.check_from and e.index not in self.own

    def _signed(self, e: ev.Event, check: Check, trustee: int | None = None) -> int:
        """The event's trustee, checked against the expected one and its signature."""
        who = e.payload.get("trustee")
        if type(who) is not int:
            check.fail(f"event {e.index}: trustee {who!r} is not a trustee index")
            raise Stop
        if trustee is not None and who != trustee:
            check.fail(f"event {e.index}: from trustee {who!r}, expected trustee {trustee} (tally order)")
            raise Stop
        if not self._checked(e):
            return who
        try:
            verify(e.type, e.payload, self.signing[who])
        except (SignatureError, KeyError):
            check.fail(f"event {e.index}: signature of trustee {who!r} does not verify")
        return who

    def _decode(self, check: Check, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (CoercionError, G.GroupError, ValueError) as exc:
            check.fail(str(exc))
            raise Stop from None

    def _proved(
        self,
        check: Check,
        run: Callable[[bool], T],
        accepted: Callable[[T], bool],
        outputs: Callable[[bool], object],
        counted: int,
        proof: Callable[[bool], object] | None = None,
    ) -> T:
        """``run(fallback)``, a proof check of an event whose elements were decoded with ``validate=self.validate``.

        On the native engine they were decoded without the curve check, because the native proof kernels
        decompress every element they take (canonical RFC 9496 encodings only) and accept only then: a check they
        accept had valid elements only. So the check first runs natively **without** the reference's second look
        (``fallback=False``: libsodium must not see unchecked elements — Debian's 1.0.18 reads an encoding with
        bit 255 set as the point without it, tests/coercion/test_soundness.py). A check the native engine does not
        accept, or that stumbles on an element, runs again, with the fallback, after the event has been decoded
        with the checks by the same decoders (``validate=True``): ``outputs`` (the reference decodes them before
        the step counts its ``counted`` items, which a bad output therefore takes back) and ``proof`` (decoded
        after). A bad element then fails ``check`` with the decoder's message and stops the later steps: the report
        is the reference engine's, which checks while decoding."""
        if self.validate:
            return run(True)
        # an unchecked bad element may make the native check raise: it is run again below, after the checked decoding
        with contextlib.suppress(CoercionError, G.GroupError, ValueError, native.EngineError):
            result = run(False)
            if accepted(result):
                return result
        try:
            outputs(True)
        except (CoercionError, G.GroupError, ValueError) as exc:
            check.items -= counted
            check.fail(str(exc))
            raise Stop from None
        if proof is not None:
            self._decode(check, lambda: proof(True))
        return run(True)

    def _pass(
        self,
        check: Check,
        e: ev.Event,
        value: object,
        inputs: list[Ciphertext],
        with_a: bool,
        keys: tuple[bytes, bytes],
        stage: str,
        who: int,
    ) -> tags.PassOutput:
        n = len(inputs)

        def decoded(validate: bool) -> tags.PassOutput:
            return tags.decode_pass(value, n, with_a, f"event {e.index}.{stage}", self.pool, validate)

        out = self._decode(
            check,
            lambda: self.memo.call(
                ("pass", e.index), lambda _raw, _n, _a: decoded(self.validate), e.raw, n, with_a
            ),
        )
        check.item(n)
        if not self._checked(e):
            return out
        bad = self._proved(
            check,
            lambda fallback: tags.check_pass(
                self.pool, keys[0], keys[1], inputs, out, self.fp, tags.stage_context(stage, who), fallback
            ),
            lambda failed: not failed,
            decoded,
            n,
        )
        if bad:
            check.fail(f"event {e.index}: trustee {who}'s {stage} proof fails for chunk(s) {bad[:5]}")
        return out

    def _shuffle(self, check: Check, e: ev.Event, name: str, inputs: list[Row], who: int) -> list[Row]:
        """The rows of one shuffle event, its proof checked against ``inputs``."""
        n, width = len(inputs), len(inputs[0])

        def rows(validate: bool) -> list[Row]:
            return codec.rows_parallel(
                e.payload.get("rows"), n, width, f"event {e.index}.rows", self.pool, validate
            )

        def proof_of(validate: bool) -> sh.ShuffleProof:
            value = e.payload.get("proof")
            return sh.ShuffleProof.from_json(value, n, width, f"event {e.index}.proof", self.pool, validate)

        outputs = self._decode(
            check,
            lambda: self.memo.call(
                ("rows", e.index), lambda _raw, _n, _w: rows(self.validate), e.raw, n, width
            ),
        )
        check.item(n)
        if not self._checked(e):
            return outputs
        proof = self._decode(check, lambda: proof_of(self.validate))
        reason = self._proved(
            check,
            lambda fallback: sh.verify(
                self.pool,
                inputs,
                outputs,
                proof,
                self.ctx.public_key,
                self.fp,
                shuffle_context(name, who),
                fallback,
            ),
            lambda r: r is None,
            rows,
            n,
            proof_of,
        )
        if reason:
            check.fail(f"event {e.index}: trustee {who}'s shuffle of the {name}: {reason}")
        return outputs
