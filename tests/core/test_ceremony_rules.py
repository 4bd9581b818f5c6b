"""The ceremony's qualification rules for trustees on their own machines, and the trustee's vault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony import trustee_vault
from plebiscite.keyceremony.trustee import Trustee, decode_all
from plebiscite.keyceremony.vault import VaultError
from plebiscite.record.signing import sign

FP = b"\x07" * 32
OTHER = b"\x08" * 32


def _ceremony(
    n: int, k: int, present: list[int]
) -> tuple[list[Trustee], list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    trustees = [Trustee.new(i, n, k) for i in range(1, n + 1)]
    named = [t.identity.hex() for t in trustees]
    announcements = [t.announce(FP) for t in trustees if t.index in present]
    decoded = decode_all(announcements, k, FP, named)
    shares = [t.deal(decoded, FP) for t in trustees if t.index in present]
    return trustees, named, announcements, shares


def test_a_trustee_silent_in_round_one_is_left_out_and_the_others_qualify() -> None:
    trustees, named, announcements, shares = _ceremony(3, 2, [1, 2])
    out = ceremony.outcome(named, 2, FP, announcements, shares, [], [])
    assert out.qualified == [1, 2]
    for t in trustees[:2]:
        assert t.receive(out.announcements, shares, FP) == []
        t.finish(out.qualified)
        assert t.share is not None and out.verification_keys[t.index] == G.mul_base(t.share)


def test_a_dealer_who_skips_an_announced_trustee_is_disqualified() -> None:
    trustees, named, announcements, shares = _ceremony(3, 2, [1, 2, 3])
    body = {k: v for k, v in shares[0].items() if k != "signature"}
    body["shares"] = body["shares"][:1]
    shares[0] = sign("shares", body, trustees[0].signing_key)
    out = ceremony.outcome(named, 2, FP, announcements, shares, [], [])
    assert out.qualified == [2, 3]


def test_posts_of_another_ceremony_count_as_not_made() -> None:
    """The same identity keys in two elections: a shares post, a complaint or a reveal cannot move between them."""
    trustees, named, announcements, shares = _ceremony(3, 2, [1, 2, 3])
    decoded = decode_all(announcements, 2, FP, named)
    replayed = trustees[0].deal(decoded, OTHER)
    out = ceremony.outcome(named, 2, FP, announcements, [replayed, *shares[1:]], [], [])
    assert out.qualified == [2, 3] and any("ceremony" in p for p in out.problems)
    assert trustees[1].receive(decoded, [replayed, *shares[1:]], FP) == []  # no deal: nothing to complain of
    assert 1 not in trustees[1].received
    foreign = sign("complaint", {"by": 2, "against": 1, "ceremony": OTHER.hex()}, trustees[1].signing_key)
    out = ceremony.outcome(named, 2, FP, announcements, shares, [foreign], [])
    assert out.qualified == [1, 2, 3] and any("complaint by trustee 2" in p for p in out.problems)
    complaint = sign("complaint", {"by": 2, "against": 1, "ceremony": FP.hex()}, trustees[1].signing_key)
    reveal_elsewhere = trustees[0].answer(complaint, OTHER)
    out = ceremony.outcome(named, 2, FP, announcements, shares, [complaint], [reveal_elsewhere])
    assert out.qualified == [2, 3]
    out = ceremony.outcome(
        named, 2, FP, announcements, shares, [complaint], [trustees[0].answer(complaint, FP)]
    )
    assert out.qualified == [1, 2, 3]


def test_vault_keeps_identity_and_ceremonies_and_refuses_what_it_should(tmp_path: Path) -> None:
    path = tmp_path / "vault.json"
    made = trustee_vault.create(path, "pass phrase")
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(VaultError, match="already exists"):
        trustee_vault.create(path, "pass phrase")
    with pytest.raises(VaultError, match="wrong passphrase"):
        trustee_vault.load(path, "another")
    loaded = trustee_vault.load(path, "pass phrase")
    assert loaded.signing_key == made.signing_key and loaded.trustee(FP) is None
    t = Trustee.new(2, 3, 2, loaded.signing_seed, loaded.box_secret)
    loaded.keep(FP, t)
    trustee_vault.save(path, loaded, "pass phrase")
    again = trustee_vault.load(path, "pass phrase")
    kept = again.trustee(FP)
    assert kept is not None and kept.coefficients == t.coefficients and again.trustee(OTHER) is None
    with pytest.raises(VaultError, match="identity keys are not the trustee's"):
        again.keep(OTHER, Trustee.new(1, 3, 2))
    data = json.loads(path.read_text())
    data["public"]["signing_key"] = "00" * 32  # someone swaps the displayed key
    path.write_text(json.dumps(data))
    with pytest.raises(VaultError, match="do not match its sealed keys"):
        trustee_vault.load(path, "pass phrase")
    path.write_text("{}")
    with pytest.raises(VaultError, match="not a trustee vault"):
        trustee_vault.load(path, "pass phrase")
    assert "secret" not in repr(again) and again.signing_seed.hex() not in repr(again)


def test_a_boolean_index_in_a_complaint_or_reveal_counts_for_nothing() -> None:
    trustees, named, announcements, shares = _ceremony(3, 2, [1, 2, 3])
    sneaky = sign("complaint", {"by": 2, "against": True, "ceremony": FP.hex()}, trustees[1].signing_key)
    out = ceremony.outcome(named, 2, FP, announcements, shares, [sneaky], [])
    assert out.qualified == [1, 2, 3] and any("against" in p for p in out.problems)
    complaint = sign("complaint", {"by": 2, "against": 1, "ceremony": FP.hex()}, trustees[1].signing_key)
    reveal = trustees[0].answer(complaint, FP)
    body = {k: v for k, v in reveal.items() if k != "signature"} | {"to": True}
    out = ceremony.outcome(
        named,
        2,
        FP,
        announcements,
        shares,
        [complaint],
        [sign("share-reveal", body, trustees[0].signing_key)],
    )
    assert out.qualified == [2, 3]
