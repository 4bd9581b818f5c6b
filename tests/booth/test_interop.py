"""The browser booth's JavaScript and the Python core accept each other's ballots and receipts.

Each test runs tests/booth/js/interop.mjs under node on a fresh election: ballots made in JS with a fresh
credential must pass :func:`plebiscite.ballot.check.check_ballot`; Python ballots must pass the JS checker; receipts
built with the real Merkle tree and signed tree heads must pass the JS receipt check, and tampered ones must not.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import nacl.signing
import pytest

from plebiscite.ballot.challenge import check_opening, describe
from plebiscite.ballot.check import branch_counts, check_ballot
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import Ballot, BallotError, ballot_from_json
from plebiscite.hazmat import group as G
from plebiscite.merkle import MerkleTree, leaf_hash, sign_tree_head
from plebiscite.proofs import ballot_signature
from plebiscite.proofs.transcript import challenge
from plebiscite.record import events as ev
from plebiscite.setup.credentials import Credential, roll_hash
from plebiscite.setup.election import ElectionContext, fingerprint
from plebiscite.setup.samples import referendum

from .conftest import run_node


@dataclass
class Election:
    ctx: ElectionContext
    credentials: list[Credential]
    manifest_event: dict[str, Any]
    election_event: dict[str, Any]

    def request(self, **extra: Any) -> dict[str, Any]:
        return {"manifest_event": self.manifest_event, "election": self.election_event, **extra}


def make_election(voters: int = 2) -> Election:
    manifest = referendum("interop-election")
    key = G.mul_base(G.random_scalar())
    creds = [Credential.generate(manifest.election_id) for _ in range(voters)]
    payload = {"manifest": manifest.model_dump(mode="json"), "trustees": 1, "threshold": 1}
    digest = roll_hash([c.public_key for c in creds])
    fp = fingerprint(payload, {1: [key]}, key, digest)
    ctx = ElectionContext(manifest, 1, 1, fp, key, frozenset(c.public_key for c in creds), {1: key}, (1,))
    return Election(ctx, creds, payload, ctx.election_payload(digest))


def interop(node: str, command: str, request: dict[str, Any]) -> Any:
    done = run_node(node, ["tests/booth/js/interop.mjs", command], stdin=request)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


SELECTIONS = [
    {"q1": ["yes"], "q2": ["uk"], "q3": ["schools"]},
    {"q1": ["no"], "q2": ["blank"], "q3": ["roads", "clinics"]},
    {"q1": ["yes"], "q2": ["local"], "q3": ["clinics", "schools"]},
]


@pytest.mark.parametrize("selections", SELECTIONS, ids=["single", "blank-and-two", "last-options"])
def test_js_ballot_verifies_in_python(node: str, selections: dict[str, list[str]]) -> None:
    e = make_election()
    made = interop(
        node, "make-ballot", e.request(credential_code=e.credentials[0].code(), selections=selections)
    )
    ballot = check_ballot(made["ballot"], e.ctx)
    assert ballot.credential == e.credentials[0].public_key
    assert ballot.tracking_code() == made["trackingCode"]
    plain = check_opening(ballot, made["opening"], e.ctx.public_key)
    opened = describe(e.ctx, plain)
    assert {k: sorted(v) for k, v in opened.items()} == {k: sorted(v) for k, v in selections.items()}


def test_js_ballot_tampered_is_refused_by_python(node: str) -> None:
    e = make_election()
    made = interop(
        node, "make-ballot", e.request(credential_code=e.credentials[1].code(), selections=SELECTIONS[0])
    )
    bad = copy.deepcopy(made["ballot"])
    bad["answers"][0]["choices"][0] = bad["answers"][1]["choices"][0]
    with pytest.raises(BallotError, match="signature"):
        check_ballot(bad, e.ctx)
    other = make_election()
    with pytest.raises(BallotError, match="another election"):
        check_ballot(made["ballot"], other.ctx, require_roll=False)


def _forged(
    value: dict[str, Any], ctx: ElectionContext, k: int, x: int, commitment: bytes | None = None
) -> str:
    """Hex ``R' ‖ le32(k + c·x)`` for the ballot ``value`` with ``c`` over ``R'`` (default ``k·G``): it satisfies
    ``s·G = R + c·X`` whenever ``R'`` reads as ``k·G`` and ``X = x·G``, so only the §7.1 rule under test refuses it."""
    commitment = G.mul_base(k) if commitment is None else commitment
    content = ballot_from_json({**value, "signature": "00" * 64}, branch_counts(ctx.layouts)).content_bytes()
    credential = bytes.fromhex(value["credential"])
    c = challenge(ballot_signature.TAG, ctx.fingerprint, content, [G.GENERATOR, credential], [commitment])
    return (commitment + G.scalar_to_bytes((k + c * x) % G.ORDER)).hex()


def test_signature_rules_agree_between_js_and_python(node: str) -> None:
    """Every §7.1 rule, on ballots the booth made: Python's check_ballot and the booth's checkBallot refuse the same
    tampered signatures with the same message, and accept the untouched ones."""
    e = make_election()
    cred = e.credentials[0]
    x = ballot_signature.secret_key(cred.seed)
    request = e.request(credential_code=cred.code(), selections=SELECTIONS[0])
    first, second = (interop(node, "make-ballot", request)["ballot"] for _ in range(2))
    sig = bytes.fromhex(first["signature"])
    r, s = sig[:32], int.from_bytes(sig[32:], "little")
    bit255 = bytearray(G.mul_base(5))
    bit255[31] |= 0x80
    zero = "00" * 32
    cases = {
        "does not verify with the ballot's credential": [
            {**first, "signature": (r + G.scalar_to_bytes((s + 1) % G.ORDER)).hex()},
            {**first, "signature": second["signature"]},
            {**first, "signature": (G.add(r, G.GENERATOR) + sig[32:]).hex()},
        ],
        "s is not a canonical scalar (s ≥ ℓ)": [
            {**first, "signature": (r + (s + G.ORDER).to_bytes(32, "little")).hex()}
        ],
        "R is not a canonical ristretto255 element": [
            {**first, "signature": _forged(first, e.ctx, 5, x, bytes(bit255))},
            {**first, "signature": "ed" + "ff" * 30 + "7f" + sig[32:].hex()},
        ],
        "R is the identity": [{**first, "signature": _forged(first, e.ctx, 0, x, bytes(32))}],
        "the credential is the identity": [
            {**first, "credential": zero, "signature": _forged({**first, "credential": zero}, e.ctx, 7, 0)}
        ],
    }
    ballots = [first, second] + [b for group in cases.values() for b in group]
    answers = interop(node, "check-ballots", e.request(ballots=ballots))
    assert answers[:2] == [{"ok": True}, {"ok": True}]
    for ballot in ballots[:2]:
        check_ballot(ballot, e.ctx)
    rest = iter(answers[2:])
    for reason, group in cases.items():
        for ballot in group:
            message = f"ballot.signature: {reason}"
            with pytest.raises(BallotError) as refused:
                check_ballot(ballot, e.ctx, require_roll=False)
            assert str(refused.value) == message
            assert next(rest) == {"ok": False, "field": "ballot.signature", "error": message}


def _resigned(ballot: Ballot, credential: Credential, ctx: ElectionContext, mutate: Any) -> dict[str, Any]:
    """The ballot's JSON changed by ``mutate`` and signed again, so only the proofs can catch the change."""
    value = ballot.to_json()
    mutate(value)
    changed = ballot_from_json(value, branch_counts(ctx.layouts))
    value["signature"] = credential.sign(ctx.fingerprint, changed.content_bytes()).hex()
    return value


def test_python_ballot_verifies_in_js(node: str) -> None:
    e = make_election()
    ballot, _ = encrypt_ballot(e.ctx, e.credentials[0], SELECTIONS[1])
    roll = sorted(c.public_key.hex() for c in e.credentials)
    assert interop(node, "check-ballot", e.request(roll=roll, ballot=ballot.to_json())) == {"ok": True}

    def swap_proofs(v: dict[str, Any]) -> None:
        v["answers"][2]["proofs"][0], v["answers"][2]["proofs"][1] = (
            v["answers"][2]["proofs"][1],
            v["answers"][2]["proofs"][0],
        )

    forged = _resigned(ballot, e.credentials[0], e.ctx, swap_proofs)
    answer = interop(node, "check-ballot", e.request(roll=roll, ballot=forged))
    assert answer["ok"] is False and "answers[2].proofs[0]" in answer["error"]
    answer = interop(
        node,
        "check-ballot",
        e.request(roll=roll[1:] if ballot.credential.hex() == roll[0] else roll[:1], ballot=ballot.to_json()),
    )
    assert answer == {"ok": False, "error": "ballot.credential: not on the roll"}


def _receipts_case(
    tree: MerkleTree, leaves: list[bytes], key: nacl.signing.SigningKey, index: int, size: int | None = None
) -> dict[str, Any]:
    size = tree.size if size is None else size
    head = json.loads(sign_tree_head(key, size, tree.root(size), 1_700_000_000_000 + size).to_json())
    code = json.loads(leaves[index])["payload"]
    return {
        "tracking_code": ballot_from_json(code, branch_counts(ELECTION.ctx.layouts)).tracking_code(),
        "index": index,
        "tree_head": head,
        "inclusion_proof": [h.hex() for h in tree.inclusion_proof(index, size)],
        "board_key": key.verify_key.encode().hex(),
        "leaf": leaves[index].hex(),
    }


ELECTION = make_election(voters=4)


def _ballot_leaves(count: int) -> list[bytes]:
    out = []
    for i in range(count):
        ballot, _ = encrypt_ballot(ELECTION.ctx, ELECTION.credentials[i % 4], SELECTIONS[i % 3])
        out.append(ev.make_event(i, ev.BALLOT, ballot.to_json()).raw)
    return out


def test_receipts_verify_in_js_and_tampering_is_caught(node: str) -> None:
    key = nacl.signing.SigningKey.generate()
    leaves = _ballot_leaves(13)
    tree = MerkleTree(leaf_hash(raw) for raw in leaves)
    good = []
    for size in (1, 2, 3, 7, 8, 13):
        for index in sorted({0, size // 2, size - 1}):
            good.append({"receipt": _receipts_case(tree, leaves, key, index, size)})
    receipt = _receipts_case(tree, leaves, key, 5, 8)

    def tampered(change: Any) -> dict[str, Any]:
        r = copy.deepcopy(receipt)
        change(r)
        return {"receipt": r}

    other_key = nacl.signing.SigningKey.generate()
    bad = {
        "receipt.inclusion": [
            tampered(lambda r: r.update(index=4)),
            tampered(lambda r: r.update(inclusion_proof=r["inclusion_proof"][:-1])),
            tampered(lambda r: r.update(inclusion_proof=[*r["inclusion_proof"], "00" * 32])),
        ],
        "receipt.signature": [
            tampered(lambda r: r["tree_head"].update(tree_size=9)),
            tampered(lambda r: r["tree_head"].update(root_hash="11" * 32)),
        ],
        "receipt.other_board": [tampered(lambda r: r.update(board_key=other_key.verify_key.encode().hex()))],
        "receipt.code_mismatch": [tampered(lambda r: r.update(tracking_code="ab" * 32))],
        "receipt.not_ballot": [
            tampered(lambda r: r.update(leaf=ev.make_event(0, ev.CLOSE, {"ballots": 1}).raw.hex()))
        ],
    }
    cases = good + [c for group in bad.values() for c in group]
    answers = interop(node, "check-receipts", {"cases": cases})
    assert len(answers) == len(cases)
    for case, answer in zip(good, answers, strict=False):
        assert answer["ok"], (case["receipt"]["index"], case["receipt"]["tree_head"]["tree_size"], answer)
    rest = answers[len(good) :]
    for key_name, group in bad.items():
        for _ in group:
            answer = rest.pop(0)
            assert answer["ok"] is False and answer["key"] == key_name, (key_name, answer)


QUESTIONS: list[dict[str, Any]] = [
    {"type": "yesno", "options": ["yes", "no"]},
    {"type": "choose", "options": ["a", "b", "c"]},
    {"type": "choose", "options": ["a", "b"], "blank": True},
    {"type": "approval", "options": ["a", "b", "c"], "min": 0, "max": 3},
    {"type": "approval", "options": ["a", "b", "c"], "min": 0, "max": 2},
    {"type": "approval", "options": ["a", "b", "c", "d"], "min": 2, "max": 3, "blank": True},
    {"type": "approval", "options": ["a", "b", "c"], "min": 1, "max": 1},
]
CHOICES = [[], ["a"], ["b"], ["yes"], ["no"], ["a", "b"], ["a", "a"], ["a", "b", "c"], ["blank"], ["z"]]


def test_layouts_and_limits_agree_with_python(node: str) -> None:
    from plebiscite.setup.manifest import Question, layout, selections_valid

    text = {"uk": "т", "ru": "т", "en": "t"}
    questions = [
        Question.model_validate(
            {
                "id": f"q{i}",
                "type": q["type"],
                "text": text,
                "min": q.get("min"),
                "max": q.get("max"),
                "blank": q.get("blank", False),
                "options": [{"id": o, "label": text} for o in q["options"]],
            }
        )
        for i, q in enumerate(QUESTIONS)
    ]
    answers = interop(
        node, "layouts", {"questions": [q.model_dump(mode="json") for q in questions], "choices": CHOICES}
    )
    for q, answer in zip(questions, answers, strict=True):
        lay = layout(q)
        js = answer["layout"]
        assert (
            js["encoded"],
            js["implicit"],
            js["blank"],
            js["weights"],
            js["lo"],
            js["hi"],
            js["sumProof"],
            js["width"],
        ) == (
            list(lay.encoded),
            lay.implicit,
            lay.blank,
            list(lay.weights),
            lay.lo,
            lay.hi,
            lay.sum_proof,
            lay.width,
        ), q.id
        for chosen in CHOICES:
            python_ok = selections_valid(q, chosen) is None
            assert (answer["problems"][json.dumps(chosen, separators=(",", ":"))] is None) == python_ok, (
                q.id,
                chosen,
            )
