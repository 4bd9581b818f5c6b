"""Group commit: concurrent appenders in one process share transactions (and fsyncs).

Each durable commit costs at least one fsync, and the log has a single writer at a time anyway, so with
many clients the fastest correct thing is to let whichever thread gets there first (the *leader*) write
everybody's pending entries in one transaction, then wake them all.  Nobody returns before the transaction
holding their entry has committed, so durability is unchanged; a request is never split across
transactions, so ``append_many`` stays atomic.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommitter"]

_In = TypeVar("_In")
_Out = TypeVar("_Out")


class _Request(Generic[_In, _Out]):
    __slots__ = ("done", "error", "items", "results")

    def __init__(self, items: Sequence[_In]) -> None:
        self.items = items
        self.results: list[_Out] = []
        self.error: BaseException | None = None
        self.done = False


class GroupCommitter(Generic[_In, _Out]):
    """Batches concurrent ``submit`` calls into calls of ``write_batch`` (one transaction each)."""

    def __init__(self, write_batch: Callable[[list[_In]], list[_Out]], *, max_batch: int = 1024) -> None:
        """``write_batch`` must return one result per item, in order, or raise for the whole batch."""
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: deque[_Request[_In, _Out]] = deque()
        self._leader_active = False

    def submit(self, items: Sequence[_In]) -> list[_Out]:
        """Write ``items`` atomically (possibly together with other threads' items); return their results."""
        request: _Request[_In, _Out] = _Request(items)
        with self._cond:
            self._queue.append(request)
            while self._leader_active and not request.done:
                self._cond.wait()
            if not request.done:
                self._leader_active = True
        if not request.done:
            try:
                while not request.done:
                    self._lead_one_batch()
            finally:
                with self._cond:
                    self._leader_active = False
                    self._cond.notify_all()
        if request.error is not None:
            raise request.error
        return request.results

    def _lead_one_batch(self) -> None:
        with self._cond:
            batch = [self._queue.popleft()]
            count = len(batch[0].items)
            while self._queue and count + len(self._queue[0].items) <= self._max_batch:
                count += len(self._queue[0].items)
                batch.append(self._queue.popleft())
        flat = [item for request in batch for item in request.items]
        try:
            results = self._write_batch(flat)
            if len(results) != len(flat):
                raise RuntimeError(f"write_batch returned {len(results)} results for {len(flat)} items")
        except BaseException as exc:
            for request in batch:
                request.error = exc
        else:
            position = 0
            for request in batch:
                request.results = results[position : position + len(request.items)]
                position += len(request.items)
        with self._cond:
            for request in batch:
                request.done = True
            self._cond.notify_all()
