"""A whole referendum end to end, for `plebiscite demo` and `make demo`.

Trustees run the key ceremony, the registrar issues credentials, simulated voters encrypt random choices on their
"devices", a few challenge their ballot first (Benaloh) and a few revote; voting closes, the ballots are tallied,
all trustees but one decrypt (showing k-of-n tolerates a missing trustee), and the record is verified
independently. The expected counts come from the voters' last choices, kept aside, so the demo shows the published
result equals what people voted.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.conduct import Conduct, cast_ballots
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import store
from plebiscite.record.signer import key_path
from plebiscite.setup.credentials import Credential
from plebiscite.setup.manifest import Manifest
from plebiscite.setup.samples import referendum


@dataclass
class DemoOutcome:
    expected: list[dict[str, Any]]
    result: list[dict[str, Any]]
    record: Path
    challenged: int
    revotes: int
    trustees_used: list[int]
    extra: dict[str, Any] = field(default_factory=dict)


@contextmanager
def _silent(_label: str, _total: int) -> Iterator[Callable[[int], None]]:
    def advance(_n: int = 1) -> None:
        return None

    yield advance


def random_selection(manifest: Manifest, rng: random.Random) -> dict[str, list[str]]:
    """A random valid answer to every question (blank sometimes, where allowed)."""
    out = {}
    for q in manifest.questions:
        ids = [o.id for o in q.options]
        if q.blank and rng.random() < 0.1:
            out[q.id] = ["blank"]
            continue
        if q.type == "yesno":
            out[q.id] = [rng.choices(ids, weights=[0.55, 0.45])[0]]
        else:
            out[q.id] = rng.sample(ids, rng.randint(q.lo, q.hi))
    return out


def expected_counts(manifest: Manifest, votes: list[dict[str, list[str]]]) -> list[dict[str, Any]]:
    result = []
    for q in manifest.questions:
        counts = {o.id: sum(1 for v in votes if o.id in v[q.id]) for o in q.options}
        entry: dict[str, Any] = {"id": q.id, "counts": counts}
        if q.blank:
            entry["blank"] = sum(1 for v in votes if v[q.id] == ["blank"])
        result.append(entry)
    return result


def run_demo(
    record: Path,
    voters: int = 100,
    trustees: int = 3,
    threshold: int = 2,
    manifest: Manifest | None = None,
    seed: int | None = None,
    progress: Any = _silent,
    say: Callable[[str], None] = lambda _m: None,
) -> DemoOutcome:
    """Run the referendum into the record directory ``record`` (which must not hold a record yet)."""
    if voters < 1:
        raise ValueError("voters: at least 1")
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    manifest = manifest or referendum()
    board = [Trustee.new(i, trustees, threshold) for i in range(1, trustees + 1)]
    conduct = Conduct.create_record(record, manifest, [t.identity for t in board], threshold)
    say(
        f"record {record}: a signed head after every event, key in {key_path(record)} (secret, never published)"
    )
    conduct.run_ceremony(board, say)
    credentials = [Credential.generate(manifest.election_id) for _ in range(voters)]
    conduct.register([c.public_key for c in credentials])
    ctx = conduct.open_voting()
    say(f"election open; fingerprint {ctx.fingerprint.hex()[:16]}…, {voters} voters on the roll")

    challengers = set(rng.sample(range(voters), min(voters, max(1, voters // 50))))
    revoters = set(rng.sample(range(voters), min(voters, max(1, voters // 20))))
    final_votes: list[dict[str, list[str]]] = []
    with progress("voters encrypt and cast", voters) as advance:
        for v, cred in enumerate(credentials):
            if v in challengers:  # the voter audits the device once, then votes for real
                ballot, opening = encrypt_ballot(ctx, cred, random_selection(manifest, rng))
                conduct.challenge(ballot.to_json(), opening.to_json())
            choice = random_selection(manifest, rng)
            ballot, _ = encrypt_ballot(ctx, cred, choice)
            conduct.cast(ballot.to_json())
            if v in revoters:  # changes their mind: only the last ballot counts
                choice = random_selection(manifest, rng)
                ballot, _ = encrypt_ballot(ctx, cred, choice)
                conduct.cast(ballot.to_json())
            final_votes.append(choice)
            advance(1)
    conduct.close()
    conduct.tally(cast_ballots(store.read(record), ctx))
    present = [t for t in board if t.index in ctx.qualified]
    if len(present) > threshold:
        present = present[1:]  # one trustee does not show up
    for t in present:
        conduct.decrypt(t)
    result = conduct.combine()
    say(f"decrypted by trustees {result['trustees']}")
    return DemoOutcome(
        expected=expected_counts(manifest, final_votes),
        result=result["questions"],
        record=record,
        challenged=len(challengers),
        revotes=len(revoters),
        trustees_used=result["trustees"],
    )
