"""A small finished coercion-resistant election, built once, keeping every secret the tests need."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plebiscite.board.election import BoardElection
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.conduct import CoercionConduct
from plebiscite.coercion.credentials import Credential, MacKey, Registrar, VoterKey, trustee_mac_share
from plebiscite.coercion.demo import coercer_choice, coercion_manifest
from plebiscite.coercion.sheet_code import SheetCredential, sheet_sigma_for
from plebiscite.coercion.tally import TallyTrustee
from plebiscite.demo import random_selection
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import store
from plebiscite.record.events import Event
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Manifest


@dataclass
class CrElection:
    path: Path
    events: list[Event]
    ctx: ElectionContext
    mac: MacKey
    ceremony_fp: bytes
    trustees: list[Trustee]
    registrar: Registrar
    voter_keys: list[VoterKey]
    credentials: list[Credential]
    fakes: dict[int, Credential]


@dataclass
class Opened:
    """A coercion-resistant election up to the opening of voting: ceremony, MAC key, registered voters."""

    cc: CoercionConduct
    manifest: Manifest
    ctx: ElectionContext
    trustees: list[Trustee]
    registrar: Registrar
    mac: MacKey
    voter_keys: list[VoterKey]
    credentials: list[Credential]

    def tally_set(self, trustees: list[Trustee]) -> list[TallyTrustee]:
        """The given trustees with their shares of the MAC key, ready to precompute and tally."""
        payload = self.cc.mac_payload
        assert payload is not None
        return [
            TallyTrustee(t, trustee_mac_share(payload, self.mac, t.index, t.box_secret)) for t in trustees
        ]


@dataclass
class Prepared:
    """A coercion-resistant record up to registration (ceremony, MAC key, encrypted roll); voting not open."""

    cc: CoercionConduct
    manifest: Manifest
    trustees: list[Trustee]
    registrar: Registrar
    mac: MacKey
    voter_keys: list[VoterKey]
    credentials: list[Credential]
    sheets: list[SheetCredential] = field(default_factory=list)  # voters 0… registered in person, if any


def prepare_election(
    path: Path, election_id: str, voters: int, extra_questions: bool = True, sheets: int = 0
) -> Prepared:
    """``sheets``: how many of the voters (the first ones) register in person and get a credential sheet."""
    manifest = coercion_manifest(election_id, extra_questions=extra_questions)
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    cc = CoercionConduct.create_record(path, manifest, [t.identity for t in trustees], 2)
    cc.run_ceremony(trustees)
    registrar = Registrar.new(2)
    mac = cc.deal_mac_key(registrar)
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    vks = [VoterKey.generate(manifest.election_id) for _ in range(voters)]
    seeds = [sheet_sigma_for(manifest.election_id, registrar.mac_secret) for _ in range(sheets)]
    sigmas = [sigma for _, sigma in seeds] + [None] * (voters - sheets)
    creds = [registrar.issue(vk.request(cfp), key, cfp, sigma) for vk, sigma in zip(vks, sigmas, strict=True)]
    cc.register([(c.voter_key, c.entry) for c in creds])
    papers = [
        SheetCredential(manifest.election_id, seed, c.element)
        for (seed, _), c in zip(seeds, creds[:sheets], strict=True)
    ]
    return Prepared(cc, manifest, trustees, registrar, mac, vks, creds, papers)


def open_election(path: Path, election_id: str, voters: int, extra_questions: bool = True) -> Opened:
    p = prepare_election(path, election_id, voters, extra_questions)
    ctx = p.cc.open_voting()
    return Opened(p.cc, p.manifest, ctx, p.trustees, p.registrar, p.mac, p.voter_keys, p.credentials)


def build(
    path: Path, voters: int = 6, coerced: tuple[int, ...] = (0, 3), seed: int = 5, absent: int = 1
) -> CrElection:
    rng = random.Random(seed)
    o = open_election(path, "test-coercion", voters)
    cc, manifest, ctx, trustees, registrar, mac = o.cc, o.manifest, o.ctx, o.trustees, o.registrar, o.mac
    vks, creds = o.voter_keys, o.credentials
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    fakes = {v: creds[v].fake(vks[v], key, mac.public, cfp) for v in coerced}
    for v in coerced:
        cc.cast(encrypt_ballot(ctx, fakes[v], coercer_choice(manifest))[0].to_json())
    present = trustees[absent:]
    tally_set = o.tally_set(present)
    cc.precompute(tally_set, 1)  # while voting runs: ballots are cast before and after it
    for v, cred in enumerate(creds):
        if v == 1:  # a revote: the first ballot must be dropped
            cc.cast(encrypt_ballot(ctx, cred, random_selection(manifest, rng))[0].to_json())
        cc.cast(encrypt_ballot(ctx, cred, random_selection(manifest, rng))[0].to_json())
    cc.close()
    cc.tally(tally_set, 1)
    for t in present:
        cc.decrypt(t)
    cc.combine()
    return CrElection(path, store.read(path), ctx, mac, cfp, trustees, registrar, vks, creds, fakes)


@contextlib.contextmanager
def served_after_ceremony(
    path: Path, election_id: str, extra_questions: bool = True
) -> Iterator[tuple[str, BoardElection]]:
    """A coercion-resistant election after its key ceremony, on a board served on loopback: registration next."""
    from plebiscite.board.demo_http import LoopbackServer, free_port
    from plebiscite.board.service import create_app
    from plebiscite.board.setup import open_election as open_on_board
    from tests.service.conftest import BOARD_KEY, TOKEN

    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    manifest = coercion_manifest(election_id, extra_questions=extra_questions)
    cc = CoercionConduct.create_record(path / "rec", manifest, [t.identity for t in trustees], 2)
    cc.run_ceremony(trustees)
    election = open_on_board(f"sqlite:///{path / 'board.db'}", BOARD_KEY, path / "rec")
    try:
        with LoopbackServer(create_app(election, TOKEN), free_port()) as server:
            yield server.url, election
    finally:
        election.close()


@pytest.fixture(scope="session")
def cr_election(tmp_path_factory: pytest.TempPathFactory) -> CrElection:
    return build(tmp_path_factory.mktemp("cr") / "record")
