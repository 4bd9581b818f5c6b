"""Bad input on every endpoint: a 4xx whose ``detail`` names the field and the reason, never a 5xx, nothing written.

Three layers:

* a table of targeted refusals per endpoint (malformed JSON, wrong types, huge bodies, invalid points, another
  election's ballot, bad signatures and proofs, replays, admin tokens, trustee keys, query parameters);
* hypothesis fuzzing: mutated valid ballots, challenges and (re-signed) partial decryptions, arbitrary JSON and raw
  bytes, random query strings, random Authorization headers, and every path of ``/openapi.json``;
* regressions for defects these tests found (500s on deep nesting, huge integers and 64-bit overflows; bool/float
  trustee indexes; extra fields; details that named no field), now fixed.

The boards here are SQLite; the storage backend does not take part in input validation (the PostgreSQL service
tests are in test_api, test_concurrency and test_crash).
"""

from __future__ import annotations

import contextlib
import json
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nacl.signing
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from plebiscite.ballot.check import branch_counts
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import ballot_from_json
from plebiscite.decrypt.partial import partial_decrypt
from plebiscite.record import events as ev
from plebiscite.record.events import CanonicalJsonError
from plebiscite.record.signing import sign
from plebiscite.setup.credentials import Credential
from plebiscite.tally.aggregate import parse_aggregate

from .conftest import ADMIN, TOKEN, Ballot, ServerProcess, Setup

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
ENDPOINTS = {
    ("get", "/api/election"),
    ("get", "/api/roll"),
    ("get", "/api/board/head"),
    ("get", "/api/board/heads"),
    ("get", "/api/board/entries"),
    ("get", "/api/board/inclusion"),
    ("get", "/api/board/consistency"),
    ("get", "/api/board/key"),
    ("get", "/api/board/checkpoint"),
    ("get", "/api/board/witnessed"),
    ("post", "/api/board/cosignatures"),
    ("get", "/api/result"),
    ("get", "/api/record.zip"),
    ("post", "/api/ballots"),
    ("post", "/api/challenges"),
    ("post", "/api/admin/open"),
    ("post", "/api/admin/close"),
    ("post", "/api/admin/tally"),
    ("post", "/api/admin/result"),
    ("post", "/api/admin/roll"),
    ("post", "/api/admin/cr-mac-key"),
    ("post", "/api/admin/cr-roll"),
    ("post", "/api/admin/precompute"),
    ("post", "/api/trustee/{step}"),
    ("get", "/api/trustee/state"),
    ("get", "/api/admin/status"),
}
ADMIN_STEPS = ("open", "close", "tally", "result")
BIG = 1 << 63
HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)  # what an HTTP client can send


# --------------------------------------------------------------------------------------------- boards


@dataclass
class Board:
    """A board served by a real ``plebiscite serve`` process in a known phase, with the inputs the tests mutate.

    A separate process, not a thread: a 5xx must not disturb the test process (CPython 3.11 tracebacks formatted
    in two threads at once can break pytest's own reporting), and a crash shows as a 5xx or a dropped connection.
    """

    server: ServerProcess
    client: httpx.Client
    setup: Setup
    partials: dict[int, dict[str, Any]]  # good, unposted partial decryptions by trustee (tallied boards)

    def __repr__(self) -> str:
        return f"Board({self.server.url}, phase={self.phase()!r}, size={self.size()})"

    def _repr_pretty_(
        self, p: Any, cycle: bool
    ) -> None:  # hypothesis prints the fixtures of a failing example
        p.text(repr(self))

    def size(self) -> int:
        return int(self.client.get("/healthz").json()["size"])

    def phase(self) -> str:
        return str(self.client.get("/api/election").json()["phase"])

    def refuse(
        self, send: Callable[[httpx.Client], httpx.Response], status: int | tuple[int, ...], field: str | None
    ) -> str:
        """Send; assert the status, a JSON ``{"detail": str}`` starting with ``field: `` and no new entry."""
        size, phase = self.size(), self.phase()
        response = send(self.client)
        statuses = (status,) if isinstance(status, int) else status
        assert response.status_code in statuses, f"{response.status_code} {response.text[:300]}"
        body = response.json()
        assert set(body) == {"detail"} and isinstance(body["detail"], str), body
        detail: str = body["detail"]
        if field is not None:
            assert detail.startswith(f"{field}: ") and len(detail) > len(field) + 3, detail
        assert self.size() == size, "a refused request wrote to the board"
        assert self.phase() == phase
        return detail


@contextlib.contextmanager
def served(workdir: Path, setup: Setup, ballots: list[Ballot], phase: str) -> Iterator[Board]:
    """A board in ``phase``: voting (ballots 0–2 cast, ballot 3 challenged) or tallied (ballots 0–4 cast)."""
    server = ServerProcess(f"sqlite:///{workdir / 'board.db'}", setup.path, workdir, check_workers=0)
    try:
        with httpx.Client(base_url=server.start(), timeout=60) as client:
            partials: dict[int, dict[str, Any]] = {}
            assert client.post("/api/admin/open", headers=ADMIN).status_code == 200
            for ballot in ballots[:3] if phase == "voting" else ballots[:5]:
                assert client.post("/api/ballots", json=ballot.json).status_code == 200
            if phase == "voting":
                opened = {"ballot": ballots[3].json, "opening": ballots[3].opening}
                assert client.post("/api/challenges", json=opened).status_code == 200
            else:
                for step in ("close", "tally"):
                    assert client.post(f"/api/admin/{step}", headers=ADMIN).status_code == 200
                entries = client.get("/api/board/entries", params={"limit": 1000}).json()
                tally = next(json.loads(e["leaf"])["payload"] for e in entries if e["type"] == ev.TALLY)
                totals = parse_aggregate(tally["aggregate"], [lay.width for lay in setup.ctx.layouts])
                for t in setup.trustees:
                    assert t.share is not None
                    partials[t.index] = partial_decrypt(
                        t.index, t.share, totals, setup.ctx.fingerprint, t.signing_key
                    )
            yield Board(server, client, setup, partials)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def voting(
    tmp_path_factory: pytest.TempPathFactory, yesno_setup: Setup, yesno_ballots: list[Ballot]
) -> Iterator[Board]:
    with served(tmp_path_factory.mktemp("voting"), yesno_setup, yesno_ballots, "voting") as board:
        yield board


@pytest.fixture(scope="module")
def tallied(
    tmp_path_factory: pytest.TempPathFactory, yesno_setup: Setup, yesno_ballots: list[Ballot]
) -> Iterator[Board]:
    """A tallied board on which no trustee has posted (tests here must not get a partial accepted)."""
    with served(tmp_path_factory.mktemp("tallied"), yesno_setup, yesno_ballots, "tallied") as board:
        yield board


@pytest.fixture
def fresh_tallied(tmp_path: Path, yesno_setup: Setup, yesno_ballots: list[Ballot]) -> Iterator[Board]:
    """A tallied board of its own, for tests that (may) get something accepted."""
    with served(tmp_path, yesno_setup, yesno_ballots, "tallied") as board:
        yield board


def resigned(payload: dict[str, Any], trustee: int, setup: Setup) -> dict[str, Any]:
    """``payload`` signed again by trustee ``trustee``'s ceremony key (a trustee sending bad data)."""
    body = {k: v for k, v in payload.items() if k != "signature"}
    return sign("partial-decryption", body, setup.trustees[trustee - 1].signing_key)


def resigned_ballot(value: dict[str, Any], setup: Setup, voter: int) -> dict[str, Any]:
    """A ballot JSON (already decodable) signed again by the voter's credential."""
    ballot = ballot_from_json(value, branch_counts(setup.ctx.layouts))
    signature = setup.credentials[voter].sign(ballot.election, ballot.content_bytes())
    return {**value, "signature": signature.hex()}


def post(path: str, **kwargs: Any) -> Callable[[httpx.Client], httpx.Response]:
    if "json" in kwargs:  # httpx sends no body at all for json=None
        kwargs["content"] = dumps(kwargs.pop("json"))
    return lambda client: client.post(path, **kwargs)


def dumps(value: Any) -> bytes:
    """JSON as a careless client would send it (NaN and Infinity included)."""
    return json.dumps(value).encode()


def get(path: str, **params: Any) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.get(path, params=params)


# --------------------------------------------------------------------------------------------- ballots


def test_malformed_bodies_are_refused(voting: Board) -> None:
    for path in ("/api/ballots", "/api/challenges", "/api/trustee/partial-decryption"):
        voting.refuse(post(path, content=b"{"), 400, "body")
        voting.refuse(post(path, content=b""), 400, "body")
        voting.refuse(post(path, content=b"\xff\xfe\x00"), 400, "body")
        voting.refuse(post(path, content=b'{"a": 1} trailing'), 400, "body")


def test_huge_bodies_are_refused_with_413(voting: Board) -> None:
    big = b'{"pad": "' + b"x" * (1 << 20) + b'"}'
    # a trustee's step may be far larger (a tally pass carries every row): past a ballot's limit it is refused for
    # what it is, not for its size
    voting.refuse(post("/api/trustee/partial-decryption", content=big), 403, "trustee")
    for path in ("/api/ballots", "/api/challenges"):
        voting.refuse(post(path, content=big), 413, "body")

        def chunked(client: httpx.Client, path: str = path) -> httpx.Response:  # no Content-Length header
            return client.post(path, content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]))

        voting.refuse(chunked, 413, "body")
    # a ballot just under the limit is parsed (and refused for what it is, not for its size)
    padded = b'{"pad": "' + b"x" * ((1 << 20) - 20) + b'"}'
    voting.refuse(post("/api/ballots", content=padded), 422, "ballot")


def test_ballots_of_the_wrong_shape_or_type_are_refused(voting: Board, yesno_ballots: list[Ballot]) -> None:
    good = yesno_ballots[10].json
    cases: list[tuple[Any, str]] = [
        ([good], "ballot"),
        ("ballot", "ballot"),
        (None, "ballot"),
        ({**good, "extra": 1}, "ballot"),
        ({k: v for k, v in good.items() if k != "election"}, "ballot.election"),
        ({**good, "election": 5}, "ballot.election"),
        ({**good, "election": "zz" * 32}, "ballot.election"),
        ({**good, "credential": good["credential"][:-2]}, "ballot.credential"),
        ({**good, "signature": None}, "ballot.signature"),
        ({**good, "answers": {}}, "ballot.answers"),
        ({**good, "answers": good["answers"] * 2}, "ballot.answers"),
        ({**good, "answers": [{**good["answers"][0], "sum_proof": good["answers"][0]["proofs"][0]}]},
         "ballot.answers[0].sum_proof"),
        ({**good, "answers": [{**good["answers"][0], "choices": []}]}, "ballot.answers[0].choices"),
        ({**good, "answers": [{**good["answers"][0], "choices": [[1, 2]]}]}, "ballot.answers[0].choices[0]"),
        ({**good, "answers": [{**good["answers"][0], "proofs": [{"c": [], "z": []}]}]},
         "ballot.answers[0].proofs[0]"),  # the range-proof format names its missing keys
    ]  # fmt: skip
    for value, field in cases:
        voting.refuse(post("/api/ballots", content=json.dumps(value).encode()), 422, field)


def test_invalid_points_are_refused(voting: Board, yesno_ballots: list[Ballot]) -> None:
    good = yesno_ballots[10].json
    answer = good["answers"][0]
    for bad in ("ff" * 32, "01" + "00" * 31, "ed" + "ff" * 30 + "7f", "00" * 31, "00" * 33):
        choices = [[bad, answer["choices"][0][1]]]
        value = {**good, "answers": [{**answer, "choices": choices}]}
        detail = voting.refuse(post("/api/ballots", json=value), 422, "ballot.answers[0].choices[0][0]")
        assert "bytes" in detail or "canonical" in detail
    scalar = {
        **answer,
        "proofs": [{**answer["proofs"][0], "c": ["ff" * 32, answer["proofs"][0]["c"][1]]}],
    }
    voting.refuse(
        post("/api/ballots", json={**good, "answers": [scalar]}), 422, "ballot.answers[0].proofs[0].c[0]"
    )


def test_ballots_for_another_election_or_voter_are_refused(voting: Board, other_setup: Setup) -> None:
    other = other_setup.ballot(0, random.Random(3))
    voting.refuse(post("/api/ballots", json=other.json), 422, "ballot.election")
    voting.refuse(
        post("/api/challenges", json={"ballot": other.json, "opening": other.opening}), 422, "ballot.election"
    )

    stranger = Credential.generate(voting.setup.manifest.election_id)  # right election, not on the roll
    ballot, _ = encrypt_ballot(voting.setup.ctx, stranger, {"q1": ["yes"]})
    voting.refuse(post("/api/ballots", json=ballot.to_json()), 422, "ballot.credential")


def test_bad_signatures_and_proofs_are_refused(voting: Board, yesno_ballots: list[Ballot]) -> None:
    good = yesno_ballots[11].json
    flipped = good["signature"][:-1] + ("0" if good["signature"][-1] != "0" else "1")
    voting.refuse(post("/api/ballots", json={**good, "signature": flipped}), 422, "ballot.signature")
    # another voter's signature over this ballot
    other = yesno_ballots[12].json
    voting.refuse(
        post("/api/ballots", json={**good, "signature": other["signature"]}), 422, "ballot.signature"
    )
    # this voter's ciphertext with another ballot's proof, properly signed: only the proof is wrong
    answer = {**good["answers"][0], "proofs": other["answers"][0]["proofs"]}
    forged = resigned_ballot({**good, "answers": [answer]}, voting.setup, yesno_ballots[11].voter)
    voting.refuse(post("/api/ballots", json=forged), 422, "ballot.answers[0].proofs[0]")
    # a proof for the other value: swap the two branches' challenges and responses
    proof = good["answers"][0]["proofs"][0]
    swapped = {**good["answers"][0], "proofs": [{k: v[::-1] for k, v in proof.items()}]}
    forged = resigned_ballot({**good, "answers": [swapped]}, voting.setup, yesno_ballots[11].voter)
    voting.refuse(post("/api/ballots", json=forged), 422, "ballot.answers[0].proofs[0]")


def test_a_challenged_ballot_is_never_cast(voting: Board, yesno_ballots: list[Ballot]) -> None:
    detail = voting.refuse(post("/api/ballots", json=yesno_ballots[3].json), 422, "ballot")
    assert "challenged" in detail


# --------------------------------------------------------------------------------------------- challenges


def test_bad_challenges_are_refused(voting: Board, yesno_ballots: list[Ballot]) -> None:
    ballot = yesno_ballots[13]
    opening = ballot.opening
    voting.refuse(post("/api/challenges", json={"ballot": ballot.json}), 400, "body")
    voting.refuse(post("/api/challenges", json=[ballot.json, opening]), 400, "body")
    voting.refuse(
        post("/api/challenges", json={"ballot": ballot.json, "opening": opening, "x": 1}), 400, "body"
    )
    voting.refuse(post("/api/challenges", json={"ballot": ballot.json, "opening": None}), 422, "opening")
    flipped = {**opening, "plaintexts": [[1 - opening["plaintexts"][0][0]]]}
    detail = voting.refuse(
        post("/api/challenges", json={"ballot": ballot.json, "opening": flipped}), 422, "opening"
    )
    assert "does not open" in detail
    two = {**opening, "plaintexts": [[2]]}
    voting.refuse(
        post("/api/challenges", json={"ballot": ballot.json, "opening": two}), 422, "opening.plaintexts[0]"
    )
    short = {**opening, "randomness": [[]]}
    voting.refuse(
        post("/api/challenges", json={"ballot": ballot.json, "opening": short}), 422, "opening.randomness"
    )
    bad_r = {**opening, "randomness": [["ff" * 32]]}
    voting.refuse(
        post("/api/challenges", json={"ballot": ballot.json, "opening": bad_r}),
        422,
        "opening.randomness[0][0]",
    )
    cast = yesno_ballots[0]  # cast when the board was set up
    detail = voting.refuse(
        post("/api/challenges", json={"ballot": cast.json, "opening": cast.opening}), 422, "ballot"
    )
    assert "already cast" in detail


# --------------------------------------------------------------------------------------------- administrator


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer"},
        {"X-Admin-Token": TOKEN},
    ],
    ids=["none", "wrong", "longer", "shorter", "basic", "no-scheme", "empty", "other-header"],
)
def test_admin_needs_the_bearer_token(voting: Board, tallied: Board, headers: dict[str, str]) -> None:
    for board in (voting, tallied):
        for step in ADMIN_STEPS:
            board.refuse(post(f"/api/admin/{step}", headers=headers), 401, "authorization")


def test_admin_steps_in_the_wrong_phase_conflict(voting: Board, tallied: Board) -> None:
    for step in ("open", "tally", "result"):
        voting.refuse(post(f"/api/admin/{step}", headers=ADMIN), 409, None)
    for step in ("open", "close", "tally", "result"):  # result: no partial decryption yet
        tallied.refuse(post(f"/api/admin/{step}", headers=ADMIN), 409, None)


# --------------------------------------------------------------------------------------------- trustees


def test_partial_decryptions_signed_by_the_wrong_key_are_refused(tallied: Board, full_setup: Setup) -> None:
    good = tallied.partials[1]
    for signer in (2, 3):  # another trustee's key
        tallied.refuse(
            post("/api/trustee/partial-decryption", json=resigned(good, signer, tallied.setup)),
            403,
            "signature",
        )
    outsider = sign("partial-decryption", {k: v for k, v in good.items() if k != "signature"},
                    nacl.signing.SigningKey(tallied.setup.credentials[0].seed))  # fmt: skip
    tallied.refuse(post("/api/trustee/partial-decryption", json=outsider), 403, "signature")
    other_election = resigned(good, 1, full_setup)  # trustee 1 of another election
    tallied.refuse(post("/api/trustee/partial-decryption", json=other_election), 403, "signature")
    tallied.refuse(
        post("/api/trustee/partial-decryption", json={**good, "signature": "00" * 64}), 403, "signature"
    )
    tallied.refuse(post("/api/trustee/partial-decryption", json={**good, "signature": 7}), 403, "signature")
    unsigned = {k: v for k, v in good.items() if k != "signature"}
    tallied.refuse(post("/api/trustee/partial-decryption", json=unsigned), 403, "signature")
    # the signature covers everything: another trustee's shares under trustee 1's signature
    tallied.refuse(
        post("/api/trustee/partial-decryption", json={**good, "shares": tallied.partials[2]["shares"]}),
        403,
        "signature",
    )


def test_partial_decryptions_with_bad_content_are_refused(tallied: Board) -> None:
    good = tallied.partials[1]
    setup = tallied.setup

    def send(payload: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
        return post("/api/trustee/partial-decryption", json=resigned(payload, 1, setup))

    tallied.refuse(post("/api/trustee/partial-decryption", json=[good]), 400, "body")
    tallied.refuse(send({**good, "trustee": 4}), 403, "trustee")
    tallied.refuse(send({**good, "trustee": "1"}), 403, "trustee")
    tallied.refuse(send({**good, "trustee": None}), 403, "trustee")
    tallied.refuse(send({**good, "shares": []}), 422, "partial decryption of trustee 1")
    tallied.refuse(send({**good, "proofs": [[]]}), 422, "partial decryption of trustee 1")
    tallied.refuse(send({**good, "shares": [["ff" * 32]]}), 422, "partial decryption of trustee 1 [0][0]")
    tallied.refuse(send({**good, "shares": [[5]]}), 422, "partial decryption of trustee 1 [0][0]")
    tallied.refuse(
        send({**good, "shares": tallied.partials[2]["shares"]}), 422, "partial decryption of trustee 1 [0][0]"
    )
    tallied.refuse(
        send({**good, "proofs": tallied.partials[2]["proofs"]}), 422, "partial decryption of trustee 1 [0][0]"
    )
    tallied.refuse(send({**good, "proofs": [[{"c": "00"}]]}), 422, "partial decryption of trustee 1 [0][0]")


def test_replayed_partial_decryption_conflicts(fresh_tallied: Board) -> None:
    board = fresh_tallied
    good = board.partials[1]
    size = board.size()
    answer = board.client.post("/api/trustee/partial-decryption", json=good).json()
    assert answer["trustee"] == 1 and answer["accepted"] is True
    assert board.size() == size + 1
    board.refuse(post("/api/trustee/partial-decryption", json=good), 409, "trustee")
    again = resigned({**good}, 1, board.setup)
    board.refuse(post("/api/trustee/partial-decryption", json=again), 409, "trustee")


def test_partial_decryption_before_the_tally_conflicts(voting: Board) -> None:
    early = resigned({"trustee": 1, "shares": [], "proofs": []}, 1, voting.setup)
    detail = voting.refuse(post("/api/trustee/partial-decryption", json=early), 409, "phase")
    assert detail.startswith("phase: out-of-order: not allowed now"), detail
    detail = voting.refuse(post("/api/trustee/partial-decryption", json={"trustee": 1}), 403, "signature")
    assert "not-this-trustees-key" in detail


# --------------------------------------------------------------------------------------------- reads


def test_bad_query_parameters_are_refused(voting: Board) -> None:
    size = voting.size()
    code = "0" * 64
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/api/board/heads", {"min_size": -1}, 400, "query.min_size"),
        ("/api/board/heads", {"min_size": "x"}, 400, "query.min_size"),
        ("/api/board/heads", {"limit": 0}, 400, "query.limit"),
        ("/api/board/heads", {"limit": 1001}, 400, "query.limit"),
        ("/api/board/entries", {"start": -1}, 400, "query.start"),
        ("/api/board/entries", {"start": "1.5"}, 400, "query.start"),
        ("/api/board/entries", {"limit": 1001}, 400, "query.limit"),
        ("/api/board/inclusion", {}, 400, "tracking_code"),
        ("/api/board/inclusion", {"tracking_code": "ABC"}, 400, "query.tracking_code"),
        (
            "/api/board/inclusion",
            {"tracking_code": code.upper().replace("0", "F")},
            400,
            "query.tracking_code",
        ),
        ("/api/board/inclusion", {"tracking_code": code}, 404, "tracking_code"),
        ("/api/board/inclusion", {"index": size}, 400, "index"),
        ("/api/board/inclusion", {"index": -1}, 400, "query.index"),
        ("/api/board/inclusion", {"index": 0, "size": 0}, 400, "query.size"),
        ("/api/board/inclusion", {"index": 0, "size": 2}, 404, "size"),
        ("/api/board/consistency", {"first": 1}, 400, "query.second"),
        ("/api/board/consistency", {"first": 3, "second": 2}, 400, "first"),
        ("/api/board/consistency", {"first": "a", "second": 2}, 400, "query.first"),
        ("/api/result", {}, 404, "result"),
    ]
    for path, params, status, field in cases:
        voting.refuse(get(path, **params), status, field)


# --------------------------------------------------------------------------------------------- fuzzing

_hex = st.binary(max_size=70).map(bytes.hex)
_point = st.binary(min_size=32, max_size=32).map(bytes.hex)
_scalars = st.integers(min_value=-BIG, max_value=BIG - 1)
_leaves = (
    st.none()
    | st.booleans()
    | _scalars
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | _hex
    | _point
)
json_values = st.recursive(
    _leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=16,
)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a JSON document (the root included)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*prefix, i))
    return out


def at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def mutate(data: st.DataObject, doc: Any, *, root_keys: bool = True) -> Any:
    """A copy of ``doc`` with one random change: a value replaced, a key dropped or added, a list resized."""
    doc = json.loads(json.dumps(doc))
    path = data.draw(st.sampled_from(paths(doc)), label="path")
    old = at(doc, path)
    kinds = ["replace", "hexlike"]
    if isinstance(old, dict) and (root_keys or path):
        kinds += ["drop-key", "add-key"]
    if isinstance(old, list):
        kinds += ["drop-item", "add-item"]
    kind = data.draw(st.sampled_from(kinds), label="kind")
    if kind in ("replace", "hexlike"):
        new = data.draw(
            json_values if kind == "replace" else _hex | _point | st.sampled_from(["", "zz", "0x00"])
        )
        assume(
            new != old and not (isinstance(new, str) and isinstance(old, str) and new.lower() == old.lower())
        )
        if not path:
            return new
        at(doc, path[:-1])[path[-1]] = new
    elif kind == "drop-key":
        assume(old)
        del old[data.draw(st.sampled_from(sorted(old)))]
    elif kind == "add-key":
        key = data.draw(st.text(max_size=12))
        assume(key not in old)
        old[key] = data.draw(json_values)
    elif kind == "drop-item":
        assume(old)
        del old[data.draw(st.integers(0, len(old) - 1))]
    else:
        old.append(data.draw(json_values))
    return doc


def fuzzed(board: Board, response: httpx.Response, size: int, fields: tuple[str, ...] | None) -> None:
    """The fuzzing oracle: no 5xx; a refusal is a JSON detail naming one of ``fields``; nothing written."""
    assert response.status_code < 500, f"{response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        detail = response.json()["detail"]
        assert isinstance(detail, str)
        if fields is not None:
            assert detail.split(": ", 1)[0].startswith(fields) and ": " in detail, detail
    assert board.size() == size, "a fuzzed request wrote to the board"


@FUZZ
@given(data=st.data())
def test_fuzz_mutated_ballots(voting: Board, yesno_ballots: list[Ballot], data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(yesno_ballots[:3]), label="cast ballot")  # already on the board
    size = voting.size()
    response = voting.client.post("/api/ballots", content=dumps(mutate(data, base.json)))
    fuzzed(voting, response, size, ("ballot",))
    if response.status_code == 200:  # only a change that leaves the same ballot (same bytes) is accepted
        assert response.json()["tracking_code"] == base.tracking_code


@FUZZ
@given(value=json_values)
def test_fuzz_arbitrary_json(voting: Board, value: Any) -> None:
    size = voting.size()
    fuzzed(voting, voting.client.post("/api/ballots", content=dumps(value)), size, ("ballot",))
    fuzzed(
        voting,
        voting.client.post("/api/challenges", content=dumps(value)),
        size,
        ("body", "ballot", "opening"),
    )
    response = voting.client.post("/api/trustee/partial-decryption", content=dumps(value))
    fuzzed(voting, response, size, ("body", "trustee", "signature"))


@FUZZ
@given(
    body=st.binary(max_size=300), content_type=st.sampled_from(["application/json", "text/plain", "", "x/y"])
)
def test_fuzz_raw_bodies(voting: Board, tallied: Board, body: bytes, content_type: str) -> None:
    for board in (voting, tallied):
        size = board.size()
        for path in ("/api/ballots", "/api/challenges", "/api/trustee/partial-decryption"):
            response = board.client.post(path, content=body, headers={"Content-Type": content_type})
            fuzzed(board, response, size, None)


@FUZZ
@given(data=st.data())
def test_fuzz_mutated_challenges(voting: Board, yesno_ballots: list[Ballot], data: st.DataObject) -> None:
    base = yesno_ballots[3]  # challenged when the board was set up: a valid opening posts nothing new
    body = {"ballot": base.json, "opening": base.opening}
    size = voting.size()
    response = voting.client.post("/api/challenges", content=dumps(mutate(data, body)))
    fuzzed(voting, response, size, ("body", "ballot", "opening"))
    if response.status_code == 200:
        assert response.json()["tracking_code"] == base.tracking_code


@FUZZ
@given(data=st.data(), sign_again=st.booleans())
def test_fuzz_partial_decryptions(tallied: Board, data: st.DataObject, sign_again: bool) -> None:
    """Mutated partial decryptions, half of them signed again with the trustee's own key so the content checks
    after the signature are reached. A ``trustee`` that is a bool or a float, and extra top-level fields, have
    their own regression tests below."""
    base = tallied.partials[1]
    payload = mutate(data, base, root_keys=False)
    if isinstance(payload, dict):
        assume(not isinstance(payload.get("trustee"), bool | float))
        if sign_again:
            unsigned = {k: v for k, v in payload.items() if k != "signature"}
            assume(
                unsigned != {k: v for k, v in base.items() if k != "signature"}
            )  # not just a new signature
            with contextlib.suppress(
                CanonicalJsonError
            ):  # NaN or ∞ somewhere: no bytes to sign, post it as is
                payload = resigned(payload, 1, tallied.setup)
    size = tallied.size()
    response = tallied.client.post("/api/trustee/partial-decryption", content=dumps(payload))
    fuzzed(tallied, response, size, None)
    assert response.status_code != 200


_query_values = st.one_of(
    st.integers(min_value=-BIG, max_value=BIG - 1),
    st.text(alphabet=string.printable, max_size=20),
    st.sampled_from(["", "0", "1", "-0", "1e3", "0x10", "a" * 64, "0" * 64, " 1"]),
)


@FUZZ
@given(
    path=st.sampled_from(sorted(p for m, p in ENDPOINTS if m == "get" and not p.startswith("/api/admin/"))),
    params=st.dictionaries(
        st.sampled_from(
            ["min_size", "limit", "start", "index", "size", "tracking_code", "first", "second", "x"]
        ),
        _query_values,
        max_size=4,
    ),
)
def test_fuzz_query_parameters(voting: Board, path: str, params: dict[str, Any]) -> None:
    size = voting.size()
    response = voting.client.get(path, params=params)
    fuzzed(voting, response, size, None)
    assert response.status_code in (200, 400, 404), response.text


@FUZZ
@given(
    step=st.sampled_from(ADMIN_STEPS),
    header=st.text(alphabet=HEADER_CHARS, max_size=60),
)
def test_fuzz_admin_authorization(voting: Board, step: str, header: str) -> None:
    assume(header == header.strip() and header != f"Bearer {TOKEN}")
    voting.refuse(post(f"/api/admin/{step}", headers={"Authorization": header}), 401, "authorization")


def test_openapi_lists_exactly_the_documented_endpoints(voting: Board) -> None:
    spec = voting.client.get("/openapi.json").json()
    listed = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert listed == ENDPOINTS, "update ENDPOINTS and docs/api.md"


@FUZZ
@given(
    endpoint=st.sampled_from(sorted(ENDPOINTS)),
    params=st.dictionaries(
        st.text(string.ascii_lowercase + "_", min_size=1, max_size=12), _query_values, max_size=3
    ),
    body=st.none() | json_values,
    header=st.none() | st.text(alphabet=HEADER_CHARS, max_size=40),
)
def test_fuzz_every_endpoint(
    voting: Board, endpoint: tuple[str, str], params: dict[str, Any], body: Any, header: str | None
) -> None:
    """Any path of the API with random parameters, a random body and a random (wrong) Authorization header."""
    assume(header is None or (TOKEN not in header and header == header.strip()))
    method, path = endpoint
    size = voting.size()
    headers = {} if header is None else {"Authorization": header}
    content = None if body is None else json.dumps(body).encode()
    response = voting.client.request(method.upper(), path, params=params, content=content, headers=headers)
    fuzzed(voting, response, size, None)


# ------------------------------------------------------------------------------ regressions (found, then fixed)
# Each states the behaviour wanted. ``field_of`` is the part of a detail before ": ".

NESTED = b"[" * 100_000 + b"]" * 100_000
BIG_INT = b"1" * 5000
PARTIAL = "/api/trustee/partial-decryption"


def field_of(detail: str) -> str:
    return detail.split(": ", 1)[0] if ": " in detail else ""


@pytest.mark.parametrize("path", ["/api/ballots", "/api/challenges", PARTIAL])
def test_deeply_nested_json_is_refused(voting: Board, path: str) -> None:
    voting.refuse(post(path, content=NESTED), (400, 413, 422), "body")


@pytest.mark.parametrize("path", ["/api/ballots", "/api/challenges", PARTIAL])
def test_huge_integer_literal_is_refused(voting: Board, path: str) -> None:
    voting.refuse(post(path, content=BIG_INT), (400, 422), "body")


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/board/heads", {"min_size": BIG}, "min_size"),
        ("/api/board/entries", {"start": BIG}, "start"),
        ("/api/board/inclusion", {"index": 0, "size": BIG}, "size"),
    ],
)
def test_query_integers_beyond_63_bits_are_refused(
    voting: Board, path: str, params: dict[str, int], name: str
) -> None:
    assert name in field_of(voting.refuse(get(path, **params), (400, 404, 422), None))


def test_float_trustee_index_is_refused(fresh_tallied: Board) -> None:
    payload = resigned({**fresh_tallied.partials[1], "trustee": 1.0}, 1, fresh_tallied.setup)
    assert "trustee" in fresh_tallied.refuse(post(PARTIAL, json=payload), 403, None)


def test_boolean_trustee_index_is_refused(fresh_tallied: Board) -> None:
    payload = resigned({**fresh_tallied.partials[1], "trustee": True}, 1, fresh_tallied.setup)
    assert "trustee" in fresh_tallied.refuse(post(PARTIAL, json=payload), 403, None)


def test_extra_fields_in_a_partial_decryption_are_refused(fresh_tallied: Board) -> None:
    payload = resigned({**fresh_tallied.partials[1], "note": "x" * 1000}, 1, fresh_tallied.setup)
    assert field_of(fresh_tallied.refuse(post(PARTIAL, json=payload), (400, 422), None))


@pytest.mark.parametrize("case", ["wrong-key", "missing"])
def test_signature_refusals_name_the_field(tallied: Board, case: str) -> None:
    good = tallied.partials[1]
    payload = (
        resigned(good, 2, tallied.setup)
        if case == "wrong-key"
        else {k: v for k, v in good.items() if k != "signature"}
    )
    assert "signature" in field_of(tallied.refuse(post(PARTIAL, json=payload), 403, None))


def test_replay_refusal_names_the_field(fresh_tallied: Board) -> None:
    good = fresh_tallied.partials[1]
    assert fresh_tallied.client.post(PARTIAL, json=good).status_code == 200
    assert "trustee" in field_of(fresh_tallied.refuse(post(PARTIAL, json=good), 409, None))


def test_consistency_beyond_the_log_names_the_field(voting: Board) -> None:
    detail = voting.refuse(get("/api/board/consistency", first=0, second=voting.size() + 1), 400, None)
    assert "second" in field_of(detail) or "size" in field_of(detail)
