"""The door-to-door scenario end to end, for ``plebiscite demo-coercion`` (and ``demo --coercion``).

Voters register and check their credential's designated-verifier proof. ``coerced`` of them are visited by an
official: each makes a fake credential (with a fake proof that passes every check the official can run) and hands
it over; the official votes with it. Later every voter casts the real vote — some revote — and the official casts a
second ballot with some fakes after that. The tally must count exactly the voters' last real votes; the outcome
also shows what the count would have been had the coercion worked.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.conduct import CoercionConduct
from plebiscite.coercion.credentials import Credential, Registrar, VoterKey, trustee_mac_share
from plebiscite.coercion.tally import TallyTrustee
from plebiscite.demo import DemoOutcome, _silent, expected_counts, random_selection
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.setup.manifest import Manifest
from plebiscite.setup.samples import referendum

__all__ = ["coercer_choice", "coercion_manifest", "run_coercion_demo"]


def coercion_manifest(election_id: str = "demo-coercion", extra_questions: bool = True) -> Manifest:
    """The sample referendum in coercion-resistant mode."""
    base = referendum(election_id, extra_questions).model_dump(mode="json")
    return Manifest.model_validate({**base, "mode": "coercion-resistant"})


def coercer_choice(manifest: Manifest) -> dict[str, list[str]]:
    """What the official demands: "yes", and the first option (or the minimum number of first options) elsewhere."""
    out = {}
    for q in manifest.questions:
        ids = [o.id for o in q.options]
        out[q.id] = [ids[0]] if q.type != "approval" else ids[: max(1, q.lo)]
    return out


def run_coercion_demo(
    record: Path,
    voters: int = 50,
    coerced: int = 5,
    trustees: int = 3,
    threshold: int = 2,
    manifest: Manifest | None = None,
    seed: int | None = None,
    progress: Any = _silent,
    say: Callable[[str], None] = lambda _m: None,
    workers: int | None = None,
) -> DemoOutcome:
    """Run the scenario into ``record`` (which must not hold a record yet)."""
    if voters < 2:
        raise ValueError("voters: at least 2 (the tally hides who voted among the roll)")
    if not 0 <= coerced <= voters:
        raise ValueError("coerced: between 0 and the number of voters")
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    manifest = manifest or coercion_manifest()
    board = [Trustee.new(i, trustees, threshold) for i in range(1, trustees + 1)]
    cc = CoercionConduct.create_record(record, manifest, [t.identity for t in board], threshold)
    cc.run_ceremony(board, say)
    registrar = Registrar.new(threshold)
    mac = cc.deal_mac_key(registrar)
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    voter_keys = [VoterKey.generate(manifest.election_id) for _ in range(voters)]
    creds: list[Credential] = []
    with progress("registration (credential + designated-verifier proof)", voters) as advance:
        for vk in voter_keys:
            cred = registrar.issue(vk.request(cfp), key, cfp)
            cred.check(key, mac.public, cfp)  # the voter is convinced: they did not make this proof
            creds.append(cred)
            advance(1)
    cc.register([(c.voter_key, c.entry) for c in creds])
    ctx = cc.open_voting()
    say(
        f"election open; {voters} encrypted credentials on the roll; fingerprint {ctx.fingerprint.hex()[:16]}…"
    )
    present = [t for t in board if t.index in ctx.qualified]
    if len(present) > threshold:
        present = present[1:]  # one trustee does not show up
    assert cc.mac_payload is not None
    tally_trustees = [  # the tally set, fixed by the roll precomputation that runs while voting does
        TallyTrustee(t, trustee_mac_share(cc.mac_payload, mac, t.index, t.box_secret)) for t in present
    ]
    cc.precompute(tally_trustees, workers, say)

    visited = sorted(rng.sample(range(voters), coerced))
    demand = coercer_choice(manifest)
    roll_entries = {(c.voter_key, c.entry.a, c.entry.b) for c in creds}
    fakes: dict[int, Credential] = {}
    for v in visited:  # at the door: the voter hands over a fake; the official checks what it can, and votes
        fake = creds[v].fake(voter_keys[v], key, mac.public, cfp)
        fake.check(key, mac.public, cfp)
        if (fake.voter_key, fake.entry.a, fake.entry.b) not in roll_entries:
            raise CoercionError("demo: the fake credential's roll entry is not on the roll")
        fakes[v] = fake
        cc.cast(encrypt_ballot(ctx, fake, demand)[0].to_json())
    say(
        f"{coerced} voter(s) coerced at the door: fake credentials accepted by the official, ballots cast with them"
    )

    revoters = set(
        rng.sample([v for v in range(voters) if v not in fakes], min(voters - coerced, voters // 10))
    )
    final: list[dict[str, list[str]]] = []
    with progress("voters cast their real vote", voters) as advance:
        for v, cred in enumerate(creds):
            if v in revoters:
                cc.cast(encrypt_ballot(ctx, cred, random_selection(manifest, rng))[0].to_json())
            choice = random_selection(manifest, rng)
            if v in fakes:
                choice = {**choice, manifest.questions[0].id: [manifest.questions[0].options[-1].id]}
            cc.cast(encrypt_ballot(ctx, cred, choice)[0].to_json())
            final.append(choice)
            advance(1)
    again = [v for i, v in enumerate(visited) if i % 2 == 0]
    for v in again:  # the official votes with some fakes once more, after the voters' real votes
        cc.cast(encrypt_ballot(ctx, fakes[v], demand)[0].to_json())
    cc.close()
    say(f"voting closed: {len(cc.ballots)} ballots on the board")

    tally = cc.tally(tally_trustees, workers, say)
    for t in present:
        cc.decrypt(t)
    result = cc.combine()
    say(f"decrypted by trustees {result['trustees']}")
    obeyed = [demand if v in fakes else final[v] for v in range(voters)]
    return DemoOutcome(
        expected=expected_counts(manifest, final),
        result=result["questions"],
        record=record,
        challenged=0,
        revotes=len(revoters),
        trustees_used=result["trustees"],
        extra={
            "coercion": {
                "voters": voters,
                "coerced": coerced,
                "coercer_demanded": demand,
                "fake_credentials_passed_coercer_checks": len(fakes),
                "ballots_cast": len(cc.ballots),
                "fake_ballots": len(fakes) + len(again),
                "revotes": len(revoters),
                "ballots_counted": len(tally["counted"]),
                "if_coercion_had_worked": {q["id"]: q for q in expected_counts(manifest, obeyed)},
            }
        },
    )
