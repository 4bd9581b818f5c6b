"""A small finished election (3 trustees, 2-of-3, revotes, a challenge, one trustee absent), built once."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.conduct import Conduct, cast_ballots
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import store
from plebiscite.record.events import Event
from plebiscite.record.signer import key_path
from plebiscite.setup.credentials import Credential
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.samples import referendum


@dataclass
class Election:
    path: Path
    events: list[Event]
    ctx: ElectionContext
    credentials: list[Credential]
    trustees: list[Trustee]


def build_election(path: Path, voters: int = 8, seed: int = 7) -> Election:
    rng = random.Random(seed)
    manifest = referendum("test-election")
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    conduct = Conduct.create_record(path, manifest, [t.identity for t in trustees], 2)
    conduct.run_ceremony(trustees)
    creds = [Credential.generate(manifest.election_id) for _ in range(voters)]
    conduct.register([c.public_key for c in creds])
    ctx = conduct.open_voting()
    from plebiscite.demo import random_selection

    for i, cred in enumerate(creds):
        if i == 0:
            b, o = encrypt_ballot(ctx, cred, random_selection(manifest, rng))
            conduct.challenge(b.to_json(), o.to_json())
        b, _ = encrypt_ballot(ctx, cred, random_selection(manifest, rng))
        conduct.cast(b.to_json())
        if i in (1, 2):  # revotes
            b, _ = encrypt_ballot(ctx, cred, random_selection(manifest, rng))
            conduct.cast(b.to_json())
    conduct.close()
    conduct.tally(cast_ballots(store.read(path), ctx))
    conduct.decrypt(trustees[1])
    conduct.decrypt(trustees[2])
    conduct.combine()
    return Election(path, store.read(path), ctx, creds, trustees)


@pytest.fixture(scope="session")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return build_election(tmp_path_factory.mktemp("election") / "record")


@pytest.fixture()
def record_copy(election: Election, tmp_path: Path) -> Path:
    target = tmp_path / "record"
    shutil.copytree(election.path, target)
    shutil.copy(key_path(election.path), key_path(target))  # the heads' signing key lives beside the record
    return target
