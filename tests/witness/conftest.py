"""Fixtures for the witness tests: an election whose manifest names two witnesses, boards serving it, witnesses.

The prepared record (manifest with ``"witnesses": {"keys": [W1, W2], "threshold": 2}``, 2-of-3 key ceremony, a
roll of 8 voters) is built once per session; each test gets fresh boards and fresh witness state directories
holding the two witnesses' keys (made once by ``witness init``).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.election import BoardElection
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.setup.manifest import Manifest
from plebiscite.setup.samples import referendum
from plebiscite.witness.service import Witness
from plebiscite.witness.state import KEY_FILE, WitnessState, init_state, load_key
from tests.service.conftest import ADMIN, BOARD_KEY, TOKEN, Setup, build_setup
from tests.service.test_api import post_partials

__all__ = [
    "ADMIN",
    "BOARD_KEY",
    "KEY",
    "Board",
    "Witnesses",
    "board",
    "post_partials",
    "witness",
    "witnesses_setup",
]

KEY = BOARD_KEY.verify_key.encode()


@dataclass(frozen=True)
class Witnesses:
    """The two witnesses' key directories (made by ``witness init``) and public keys."""

    dirs: tuple[Path, Path]
    keys: tuple[str, str]

    def fresh(self, which: int, where: Path) -> Path:
        """A new, empty state directory holding witness ``which``'s key (as if run on its own machine)."""
        target = where / f"witness-{which + 1}"
        target.mkdir(mode=0o700)
        shutil.copy2(self.dirs[which] / KEY_FILE, target / KEY_FILE)
        return target


@pytest.fixture(scope="session")
def witness_keys(tmp_path_factory: pytest.TempPathFactory) -> Witnesses:
    base = tmp_path_factory.mktemp("witness-keys")
    dirs = (base / "w1", base / "w2")
    keys = tuple(bytes(init_state(d)).hex() for d in dirs)
    return Witnesses(dirs, keys)  # type: ignore[arg-type]


def build(path: Path, manifest: Manifest, voters: int) -> Setup:
    return build_setup(path, manifest.election_id, voters, False, manifest)


@pytest.fixture(scope="session")
def witnesses_setup(tmp_path_factory: pytest.TempPathFactory, witness_keys: Witnesses) -> Setup:
    """A yes/no referendum naming both witnesses, threshold 2."""
    base = referendum("witnessed").model_dump(mode="json")
    manifest = Manifest.model_validate(
        {**base, "witnesses": {"keys": list(witness_keys.keys), "threshold": 2}}
    )
    return build(tmp_path_factory.mktemp("witnessed") / "prepared", manifest, 8)


@pytest.fixture(scope="session")
def plain_setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The same referendum without witnesses."""
    return build(tmp_path_factory.mktemp("plain") / "prepared", referendum("plain"), 2)


@dataclass
class Board:
    url: str
    election: BoardElection
    client: httpx.Client

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()


@contextlib.contextmanager
def board(db_path: Path, setup: Setup) -> Iterator[Board]:
    """A board on the SQLite file ``db_path`` (importing the prepared record if empty), served on loopback with a
    checkpoint that follows the latest head at once (period 0)."""
    election = open_election(f"sqlite:///{db_path}", BOARD_KEY, setup.path)
    try:
        with (
            LoopbackServer(create_app(election, TOKEN, 0.0), free_port()) as server,
            httpx.Client(base_url=server.url, timeout=30) as client,
        ):
            yield Board(server.url, election, client)
    finally:
        election.close()


@contextlib.contextmanager
def witness(state_dir: Path, url: str) -> Iterator[Witness]:
    """The witness with state ``state_dir`` watching the board at ``url`` (restarted from its state each time)."""
    state = WitnessState(state_dir)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield Witness(state_dir, state, load_key(state_dir), client, KEY)
    finally:
        state.close()
