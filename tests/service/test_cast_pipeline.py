"""The cast pipeline's parts on their own: receipt bytes, check workers (and their death), batched commits."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import nacl.signing
import pytest

from plebiscite.ballot.model import Ballot
from plebiscite.board.casting import CommitQueue
from plebiscite.board.checkers import CheckPool, check_body
from plebiscite.board.election import Receipt
from plebiscite.board.refusals import Refusal
from plebiscite.merkle.heads import sign_tree_head

from .conftest import Setup


def test_receipt_bytes_are_the_canonical_json_of_the_receipt() -> None:
    head = sign_tree_head(nacl.signing.SigningKey(bytes(range(32))), 12, bytes(32), 1_700_000_000_000)
    receipt = Receipt(
        "ab" * 32, 7, b'{"type":"ballot"}', head, [bytes([i]) * 32 for i in range(4)], "cd" * 32
    )
    head_json = json.dumps(head.model_dump(), separators=(",", ":")).encode()
    assert receipt.to_bytes(head_json) == json.dumps(receipt.to_json(), separators=(",", ":")).encode()


def test_check_workers_answer_like_the_inline_check(yesno_setup: Setup, yesno_ballots: list[Ballot]) -> None:
    ctx = yesno_setup.ctx
    good = json.dumps(yesno_ballots[0].json).encode()
    bad_signature = dict(yesno_ballots[1].json, signature="00" * 64)

    async def scenario() -> None:
        pool = CheckPool(ctx, 2)
        try:
            assert await pool.check(good) == check_body(good, ctx)
            with pytest.raises(Refusal) as refused:
                await pool.check(json.dumps(bad_signature).encode())
            assert refused.value.status == 422 and refused.value.detail.startswith("ballot.signature: ")
            with pytest.raises(Refusal) as refused:
                await pool.check(b"{not json")
            assert refused.value.status == 400 and refused.value.detail.startswith("body: not valid JSON")
            # a worker that dies fails what it had (503, the client casts again) and is replaced
            for pid in pool.pids:
                os.kill(pid, signal.SIGKILL)
            with pytest.raises(Refusal) as refused:
                await asyncio.gather(*(pool.check(good) for _ in range(4)))
            assert refused.value.status == 503
            await asyncio.sleep(0.2)
            assert await pool.check(good) == check_body(good, ctx)
        finally:
            pool.close()

    asyncio.run(scenario())


def test_commit_queue_batches_and_hands_each_caller_its_own_result() -> None:
    calls: list[list[str]] = []

    def commit(items: object) -> list[bytes | Exception]:
        codes = list(items)  # type: ignore[call-overload]
        calls.append(codes)
        return [ValueError(code) if code.startswith("bad") else code.encode() for code in codes]

    async def scenario() -> list[object]:
        queue = CommitQueue(commit, interval=0.05)
        try:
            first = await queue.submit("first")  # idle: committed at once
            rest = await asyncio.gather(
                *(queue.submit(code) for code in ["a", "bad-b", "c", "d"]), return_exceptions=True
            )
            return [first, *rest]
        finally:
            queue.close()

    results = asyncio.run(scenario())
    assert results[:2] == [b"first", b"a"] and results[3:] == [b"c", b"d"]
    assert isinstance(results[2], ValueError)
    assert calls == [["first"], ["a", "bad-b", "c", "d"]]  # the four waited out the interval together
