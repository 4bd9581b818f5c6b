"""The cast pipeline: checked ballots gathered on the event loop, committed in batches by one writer thread.

Each commit is one database transaction holding a batch of ballots *and* the signed tree head that covers them
(:meth:`plebiscite.board.election.BoardElection.commit_ballots`), so a batch costs one fsync, one signature and one
hand-off between the event loop and the writer thread, whatever its size. Every ballot's receipt is sent only
after the transaction holding it committed.

Batching: a commit starts at once if the last one started more than ``interval`` seconds ago (an idle service
answers a lone voter without waiting), otherwise when ``interval`` has passed since the last start; meanwhile
ballots accumulate. Under load that bounds commits (and signatures) to ``1 / interval`` per second while adding at
most ``interval`` to a receipt's latency; the batch size grows with the load instead of the transaction count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = ["CommitQueue"]

Item = TypeVar("Item")
#: Commits checked ballots (``Item``: ``checkers.Checked``); one result each: the receipt's JSON bytes, or the
#: refusal.
Commit = Callable[[Sequence[Item]], list[bytes | Exception]]


class CommitQueue(Generic[Item]):
    """Batches ``submit`` calls from one event loop into calls of ``commit`` on a dedicated writer thread."""

    def __init__(self, commit: Commit[Item], *, interval: float = 0.02, max_batch: int = 1024) -> None:
        self._commit = commit
        self.interval = interval
        self.max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[bytes]]] = []
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="board-writer")
        self._task: asyncio.Task[None] | None = None
        self._last_start = float("-inf")
        self.batches = 0  # for tests and benchmarks

    async def submit(self, item: Item) -> bytes:
        """Commit one ballot (with others); returns its receipt bytes once durable, or raises its refusal."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            delay = self._last_start + self.interval - loop.time()
            if delay > 0 and len(self._pending) < self.max_batch:
                await asyncio.sleep(delay)
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            self._last_start = loop.time()
            items = [item for item, _ in batch]
            try:
                results = await loop.run_in_executor(self._writer, self._commit, items)
            except Exception as exc:  # the whole batch failed (nothing was committed)
                results = [exc] * len(batch)
            self.batches += 1
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    def close(self) -> None:
        """Stop the writer thread, after the batch it is writing (so the database is not closed under it)."""
        self._writer.shutdown(wait=True, cancel_futures=True)
