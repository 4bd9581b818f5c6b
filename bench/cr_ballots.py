"""Coercion-resistant ballots for the board's load bench (``bench/board_load.py --coercion``).

A prepared coercion-resistant record (one-machine ceremony, the registrar's MAC key, the encrypted roll) and one
real ``cr-ballot`` per voter credential — half of them cast with a fake credential, which the board cannot tell
apart — encrypted on every core before any timing.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.conduct import CoercionConduct
from plebiscite.coercion.credentials import Credential, MacKey, Registrar, VoterKey
from plebiscite.coercion.demo import coercion_manifest
from plebiscite.demo import random_selection
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record.signer import key_path
from plebiscite.setup.election import ElectionContext
from plebiscite.setup.manifest import Manifest


@dataclass
class OneMachine:
    """A coercion-resistant election set up on one machine (benches only): every secret at hand."""

    cc: CoercionConduct
    trustees: list[Trustee]
    registrar: Registrar
    mac: MacKey
    keys: list[VoterKey]
    creds: list[Credential]


def one_machine(path: Path, election_id: str, voters: int, full: bool) -> OneMachine:
    """Manifest, 2-of-3 ceremony, the registrar's MAC key, ``voters`` registered credentials, the encrypted roll."""
    manifest = coercion_manifest(election_id, extra_questions=full)
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    cc = CoercionConduct.create_record(path, manifest, [t.identity for t in trustees], 2)
    cc.run_ceremony(trustees)
    registrar = Registrar.new(2)
    mac = cc.deal_mac_key(registrar)
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    keys = [VoterKey.generate(manifest.election_id) for _ in range(voters)]
    creds = [registrar.issue(k.request(cfp), key, cfp) for k in keys]
    cc.register([(c.voter_key, c.entry) for c in creds])
    return OneMachine(cc, trustees, registrar, mac, keys, creds)


def prepare(path: Path, voters: int, full: bool) -> tuple[Manifest, ElectionContext, list[Credential]]:
    """The prepared record at ``path`` and the context voting opens with; half the credentials are fakes."""
    setup = one_machine(path, "bench-board-load-cr", voters, full)
    cc, key, cfp = setup.cc, setup.cc.election_key, setup.cc.ceremony_fingerprint
    pairs = zip(setup.creds, setup.keys, strict=True)
    creds = [c.fake(k, key, setup.mac.public, cfp) if i % 2 else c for i, (c, k) in enumerate(pairs)]
    scratch = Path(tempfile.mkdtemp(prefix="plebiscite-bench-cr-ctx-"))
    try:
        shutil.copytree(path, scratch / "record")
        shutil.copy(
            key_path(path), key_path(scratch / "record")
        )  # the record's heads' signing key, beside it
        ctx = CoercionConduct.open_record(scratch / "record").open_voting()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert cc.state.manifest is not None
    return cc.state.manifest, ctx, creds


_CTX: tuple[ElectionContext, Manifest] | None = None


def _init(ctx: ElectionContext, manifest: Manifest) -> None:
    global _CTX
    _CTX = (ctx, manifest)


def _encrypt(job: tuple[Credential, int]) -> tuple[str, bytes]:
    credential, salt = job
    assert _CTX is not None
    ctx, manifest = _CTX
    ballot, _ = encrypt_ballot(ctx, credential, random_selection(manifest, random.Random(salt)))
    return ballot.tracking_code(), json.dumps(ballot.to_json(), separators=(",", ":")).encode()


def make_ballots(
    ctx: ElectionContext, manifest: Manifest, credentials: list[Credential]
) -> list[tuple[str, bytes]]:
    jobs = [(c, i) for i, c in enumerate(credentials)]
    with ProcessPoolExecutor(os.cpu_count() or 1, initializer=_init, initargs=(ctx, manifest)) as pool:
        return list(pool.map(_encrypt, jobs, chunksize=64))
