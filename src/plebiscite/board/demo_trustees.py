"""The demo's trustees: one process each, with its own home directory and vault, talking only to the board.

Each trustee's process runs the same functions as the ``plebiscite trustee`` commands (``keyceremony/remote.py``,
``decrypt/remote.py``); it is started once (spawned, so it shares no memory with the board) and kept for every
round, so the demo pays the interpreter's start-up once per trustee rather than once per step.
"""

from __future__ import annotations

import multiprocessing
import secrets
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from types import TracebackType

from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.keyceremony import remote, trustee_vault

VAULT = "vault.json"
PASSPHRASE = "passphrase.txt"  # noqa: S105 - the file name, not a passphrase


def _run(home: str, url: str, step: str) -> list[str]:
    """One trustee step in the trustee's own process; returns what the command would have printed."""
    where = Path(home)
    if step == "init":
        passphrase = secrets.token_urlsafe(24)
        (where / PASSPHRASE).touch(mode=0o600)
        (where / PASSPHRASE).write_text(passphrase + "\n")
        return [trustee_vault.create(where / VAULT, passphrase).signing_key.hex()]
    said: list[str] = []
    passphrase = (where / PASSPHRASE).read_text().strip()
    session = remote.Step(TrusteeBoard(url, where / "board-mirror"), where / VAULT, passphrase, said.append)
    if step == "decrypt":
        from plebiscite.decrypt.remote import decrypt

        decrypt(session, workers=1)
    elif step in ("precompute", "tally"):  # coercion-resistant mode: every step that falls to this trustee
        from plebiscite.coercion.remote import run_steps

        run_steps(session, step, wait=3600, workers=None, poll=0.1)  # its own process: its own pool
    elif (
        step == "ahead"
    ):  # coercion-resistant mode, while voting runs: one round of rows over the cast ballots
        from plebiscite.coercion.ahead import run_ahead

        last = run_ahead(session, until_close=False)
        said.append(f"ahead: rows kept for {last.kept} of {last.ballots} ballots ({last.seconds:.1f} s)")
    else:
        getattr(remote, step)(session)
    return said


class TrusteeProcesses:
    """``n`` trustee processes with homes under ``root``; :meth:`round` runs one step in some of them at once."""

    def __init__(self, n: int, root: Path) -> None:
        self.homes = [root / f"trustee-{i}" for i in range(1, n + 1)]
        context = multiprocessing.get_context("spawn")
        self.pools = [ProcessPoolExecutor(1, mp_context=context) for _ in self.homes]
        for home in self.homes:
            home.mkdir(parents=True, mode=0o700)

    def __enter__(self) -> TrusteeProcesses:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for pool in self.pools:
            if exc is not None:  # a trustee failed: do not wait for the others, who may wait for it forever
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
            pool.shutdown(wait=exc is None, cancel_futures=True)

    def start(
        self, step: str, url: str = "", indices: list[int] | None = None
    ) -> dict[int, Future[list[str]]]:
        """Start ``step`` for the trustees ``indices`` (default: all) concurrently, each in its own process."""
        chosen = indices or list(range(1, len(self.homes) + 1))
        return {i: self.pools[i - 1].submit(_run, str(self.homes[i - 1]), url, step) for i in chosen}

    def round(self, step: str, url: str = "", indices: list[int] | None = None) -> dict[int, list[str]]:
        """Run ``step`` for the trustees ``indices`` (default: all) and wait; their output by index. The first
        failure is raised at once (the others may be waiting for the one that failed)."""
        futures = self.start(step, url, indices)
        for future in as_completed(futures.values()):
            future.result()
        return {i: f.result() for i, f in futures.items()}
