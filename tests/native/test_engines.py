"""Two engines, one answer: the native engine (Rust) and the reference (libsodium) on the same ballots.

Every ballot the reference refuses, the native engine refuses with the same check name and reason (it hands its
refusals to the reference to be named); every ballot the reference accepts, the native engine accepts; the sums
over the ballots that passed agree. Malformed encodings never raise anything but a named failure.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite import elgamal, native
from plebiscite.ballot.check import option_context
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.ballot.model import Answer, Ballot
from plebiscite.hazmat import group as G
from plebiscite.record import events as ev
from plebiscite.verify.ballots import BallotJob, ChunkResult, Lines, check_chunk
from plebiscite.verify.roll_keys import RollKeys
from tests.core.conftest import Election
from tests.core.test_batch import forged

from .conftest import needs_native

pytestmark = needs_native

ORDER_HEX = G.ORDER.to_bytes(32, "little").hex()
P = 2**255 - 19


def ballot_lines(election: Election) -> Lines:
    return [(e.index, e.raw) for e in election.events if e.type == ev.BALLOT]


def run(election: Election, lines: Lines, engine: str, batched: bool = False) -> ChunkResult:
    ctx = election.ctx
    job = BallotJob(
        ctx.fingerprint, ctx.public_key, RollKeys(ctx.roll), ctx.layouts, batched, batched, engine
    )
    return check_chunk(job, lines)


def same_answer(election: Election, lines: Lines) -> ChunkResult:
    """Both engines on ``lines``: identical outcomes (indices, codes, credentials, failures) and sums."""
    ref, nat = run(election, lines, native.REFERENCE), run(election, lines, native.NATIVE)
    assert nat.outcomes.failures == ref.outcomes.failures
    assert nat.outcomes.undecoded == ref.outcomes.undecoded
    assert list(nat.outcomes.indices) == list(ref.outcomes.indices)
    assert nat.outcomes.codes == ref.outcomes.codes
    assert nat.sums == ref.sums
    assert nat.unreadable == ref.unreadable
    return nat


def relined(index: int, payload: dict[str, Any]) -> tuple[int, bytes]:
    return index, ev.make_event(index, ev.BALLOT, payload).raw


def resigned(election: Election, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload signed again by its voter's credential (when it still decodes), so that what was changed
    reaches the proofs' checks instead of failing the signature."""
    from plebiscite.ballot.check import branch_counts
    from plebiscite.ballot.model import BallotError, ballot_from_json

    try:
        ballot = ballot_from_json(payload, branch_counts(election.ctx.layouts), validate=False)
    except BallotError:
        return payload
    cred = next((c for c in election.credentials if c.public_key == ballot.credential), None)
    if cred is None:
        return payload
    return {**payload, "signature": cred.sign(ballot.election, ballot.content_bytes()).hex()}


def hex_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every hex string in a ballot: elements, scalars, election, credential, signature."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in hex_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in hex_paths(v, (*path, i))]
    return []


def put(payload: dict[str, Any], path: tuple[Any, ...], text: str) -> None:
    target: Any = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text


def get(payload: dict[str, Any], path: tuple[Any, ...]) -> str:
    target: Any = payload
    for key in path:
        target = target[key]
    return str(target)


def mutations(text: str, rng: random.Random) -> list[str]:
    """Ways to break one hex field: a flipped nibble, bit 255 set, x ≥ ℓ or ≥ p, the identity, a wrong length."""
    raw = bytearray(bytes.fromhex(text))
    flipped = bytearray(raw)
    at = rng.randrange(len(raw))
    flipped[at] ^= 1 << rng.randrange(8)
    top = bytearray(raw)
    top[-1] |= 0x80
    out = [flipped.hex(), top.hex(), "00" * len(raw), text[:-2], text + "00"]
    if len(raw) == 32:
        out += [ORDER_HEX, (G.ORDER + 1).to_bytes(32, "little").hex(), (P + 2).to_bytes(32, "little").hex()]
        out += [
            (P - 1).to_bytes(32, "little").hex()
        ]  # -1: a "negative" field element, not canonical ristretto
    return out


def test_honest_ballots_pass_both_with_the_same_sums(multi_election: Election) -> None:
    result = same_answer(multi_election, ballot_lines(multi_election))
    assert not result.outcomes.failures and len(result.outcomes) == len(ballot_lines(multi_election))


def test_batched_pass_gives_what_the_reference_batches_close_to(multi_election: Election) -> None:
    lines = ballot_lines(multi_election)
    ref = run(multi_election, lines, native.REFERENCE, batched=True)
    nat = run(multi_election, lines, native.NATIVE, batched=True)
    assert nat.sums == ref.sums  # Σ a and the closed batches (Σ b when every equation holds)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), broken=st.integers(1, 3), resign=st.booleans(), shape=st.booleans())
def test_every_tampering_is_refused_by_both_with_the_same_name(
    multi_election: Election, seed: int, broken: int, resign: bool, shape: bool
) -> None:
    rng = random.Random(seed)
    lines = ballot_lines(multi_election)
    for _ in range(broken):  # a few broken ballots among honest ones: the native batch must bisect to them
        pos = rng.randrange(len(lines))
        index, line = lines[pos]
        payload = json.loads(line)["payload"]
        path = rng.choice(hex_paths(payload))
        if shape:
            payload = shape_mutations(payload, rng)
        else:
            put(payload, path, rng.choice(mutations(get(payload, path), rng)))
        if resign and path[0] != "signature":
            payload = resigned(multi_election, payload)
        lines[pos] = relined(index, payload)
    result = same_answer(multi_election, lines)
    assert (
        result.outcomes.failures
        or broken == 0
        or all(  # a mutation may restore the value: then no failure
            line == orig for (_, line), (_, orig) in zip(lines, ballot_lines(multi_election), strict=True)
        )
    )


def test_swapped_proofs_and_a_ballot_of_another_voter(multi_election: Election) -> None:
    lines = ballot_lines(multi_election)
    first = json.loads(lines[0][1])["payload"]
    second = json.loads(lines[1][1])["payload"]
    swapped = copy.deepcopy(first)
    swapped["answers"][0]["proofs"] = second["answers"][0]["proofs"]  # valid elements, wrong challenge
    stolen = copy.deepcopy(second)
    stolen["credential"] = first["credential"]  # signature and contexts no longer match
    lines[0], lines[1] = relined(lines[0][0], swapped), relined(lines[1][0], stolen)
    result = same_answer(multi_election, lines)
    names = {name for name, _ in result.outcomes.failures.values()}
    assert names == {"ballot signatures"}


def false_equation_ballot(election: Election, voter: int, value: int) -> dict[str, Any]:
    """A yes/no answer encrypting ``value`` with a proof whose hash and ``a`` equations hold but whose ``b``
    equation does not, re-signed by the voter: what only the group equations (the native batch) can catch."""
    ctx, cred = election.ctx, election.credentials[voter]
    template = encrypt_ballot(ctx, cred, {"q1": ["yes"], "q2": ["blank"], "q3": ["schools"]})[0]
    r = G.random_scalar()
    ct = elgamal.encrypt(ctx.public_key, value, r)
    context = option_context(cred.public_key, 0, 0)
    proof = forged(ctx.public_key, ct, 1, r, G.IDENTITY, context, ctx.fingerprint)
    answers = (Answer((ct,), (proof,), None), *template.answers[1:])
    unsigned = Ballot(template.election, template.credential, answers, bytes(64))
    signature = cred.sign(unsigned.election, unsigned.content_bytes())
    return Ballot(unsigned.election, unsigned.credential, answers, signature).to_json()


def test_a_two_as_a_yes_no_vote_is_found_by_bisection_and_named_alike(multi_election: Election) -> None:
    lines = ballot_lines(multi_election)
    for pos, voter in ((2, 3), (len(lines) - 1, 5)):
        lines[pos] = relined(lines[pos][0], false_equation_ballot(multi_election, voter, 2))
    result = same_answer(multi_election, lines)
    reasons = [reason for _, reason in result.outcomes.failures.values()]
    assert len(reasons) == 2 and all("equation on b" in r for r in reasons)
    ctx = multi_election.ctx
    items = [_pair(multi_election, line) for _, line in lines]
    layouts = native.layouts_for_native(ctx.layouts)
    statuses, _ = native.check_ballots(ctx.fingerprint, ctx.public_key, layouts, items)
    assert [statuses[2], statuses[-1]] == [4, 4] and statuses.count(0) == len(lines) - 2  # stage: equation


def _pair(election: Election, line: bytes) -> tuple[bytes, bytes]:
    from plebiscite.ballot.check import branch_counts
    from plebiscite.ballot.model import ballot_from_json

    ballot = ballot_from_json(json.loads(line)["payload"], branch_counts(election.ctx.layouts))
    return ballot.content_bytes(), ballot.signature


def test_malformed_ballot_bytes_get_a_status_never_an_exception(multi_election: Election) -> None:
    """The native decoder itself (not only the Python one before it): every length, element and scalar."""
    ctx = multi_election.ctx
    content, signature = _pair(multi_election, ballot_lines(multi_election)[0][1])
    layouts = native.layouts_for_native(ctx.layouts)
    rng = random.Random(16)
    cases = [(content[:-1], signature), (content + b"\0", signature), (content, signature[:63]), (b"", b"")]
    for at in rng.sample(range(len(content)), 120):
        changed = bytearray(content)
        changed[at] ^= 0x80
        cases.append((bytes(changed), signature))
    statuses, _ = native.check_ballots(ctx.fingerprint, ctx.public_key, layouts, cases)
    assert all(s != 0 for s in statuses)
    good, _ = native.check_ballots(ctx.fingerprint, ctx.public_key, layouts, [(content, signature)])
    assert good == b"\0"


def test_an_identity_a_is_refused_by_both(multi_election: Election) -> None:
    lines = ballot_lines(multi_election)
    payload = json.loads(lines[0][1])["payload"]
    payload["answers"][0]["choices"][0][0] = "00" * 32
    lines[0] = relined(lines[0][0], resigned(multi_election, payload))
    result = same_answer(multi_election, lines)
    [(name, reason)] = result.outcomes.failures.values()
    assert name == "ballot proofs" and "identity" in reason


def test_a_bad_election_key_is_a_named_error_not_a_panic(multi_election: Election) -> None:
    ctx = multi_election.ctx
    layouts = native.layouts_for_native(ctx.layouts)
    for key in (bytes(32), b"\xff" * 32, b"short"):
        with pytest.raises(native.EngineError, match=r"native engine: check_ballots: .*(key|32 bytes)"):
            native.check_ballots(ctx.fingerprint, key, layouts, [])


def test_a_rust_panic_arrives_as_a_named_error() -> None:
    import plebiscite_native

    with pytest.raises(plebiscite_native.NativeError, match="_panic_for_test: internal error"):
        plebiscite_native._panic_for_test()
    assert issubclass(plebiscite_native.NativeError, ValueError)


def test_whole_reports_agree_on_a_record_with_a_false_equation(
    multi_election: Election, tmp_path: Path
) -> None:
    from plebiscite.verify.runner import verify_events

    events = list(multi_election.events)
    pos = next(i for i, e in enumerate(events) if e.type == ev.BALLOT)
    events[pos] = ev.make_event(pos, ev.BALLOT, false_equation_ballot(multi_election, 4, 2))
    reports = [verify_events(events, workers=1, engine=e).to_json() for e in native.ENGINES]
    assert [r.pop("engine") for r in reports] == list(native.ENGINES)
    assert reports[0] == reports[1]
    assert not reports[0]["ok"]


def board_answer(payload: dict[str, Any], election: Election, engine: str) -> str:
    from plebiscite.ballot.check import check_ballot
    from plebiscite.ballot.model import BallotError

    try:
        return check_ballot(payload, election.ctx, engine=engine).tracking_code()
    except BallotError as exc:
        return f"refused: {exc}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), resign=st.booleans())
def test_the_board_check_gives_the_same_answer_on_both(
    multi_election: Election, seed: int, resign: bool
) -> None:
    """``check_ballot`` (the board's check on cast): the same tracking code or the same refusal, word for word."""
    rng = random.Random(seed)
    lines = ballot_lines(multi_election)
    payload = json.loads(rng.choice(lines)[1])["payload"]
    path = rng.choice(hex_paths(payload))
    put(payload, path, rng.choice(mutations(get(payload, path), rng)))
    if resign and path[0] != "signature":
        payload = resigned(multi_election, payload)
    answers = {board_answer(payload, multi_election, e) for e in native.ENGINES}
    assert len(answers) == 1


def test_the_board_check_accepts_honest_ballots_and_names_a_false_equation(multi_election: Election) -> None:
    payload = json.loads(ballot_lines(multi_election)[0][1])["payload"]
    [code] = {board_answer(payload, multi_election, e) for e in native.ENGINES}
    assert len(code) == 64 and not code.startswith("refused")
    bad = false_equation_ballot(multi_election, 2, 2)
    [answer] = {board_answer(bad, multi_election, e) for e in native.ENGINES}
    assert answer.startswith("refused: ballot.answers[0].proofs[0]: range proof: a branch's equation on b")


def shape_mutations(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A change of the JSON's shape or spelling: a key dropped or added, uppercase hex, a space, a number."""
    payload = copy.deepcopy(payload)
    path = rng.choice(hex_paths(payload))
    text = get(payload, path)
    kind = rng.randrange(5)
    if kind == 0:
        put(payload, path, text.upper())
    elif kind == 1:
        put(payload, path, text[:10] + " " + text[11:])
    elif kind == 2:
        put(payload, path, 7)  # type: ignore[arg-type]
    elif kind == 3:
        payload["answers"][rng.randrange(len(payload["answers"]))]["extra"] = None
    else:
        answer = payload["answers"][rng.randrange(len(payload["answers"]))]
        answer.pop(rng.choice(["choices", "proofs", "sum_proof"]))
    return payload


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), shape=st.booleans())
def test_the_fast_ballot_bytes_are_the_reference_ones(
    multi_election: Election, seed: int, shape: bool
) -> None:
    """``native/ballot_bytes.py`` spells the ballot bytes from the JSON: the same bytes as ``content_bytes`` for
    every ballot the reference decodes, and for every other either nothing or bytes the native engine refuses."""
    from plebiscite.ballot.check import branch_counts
    from plebiscite.ballot.model import BallotError, ballot_from_json
    from plebiscite.native.ballot_bytes import signed_bytes

    rng = random.Random(seed)
    ctx = multi_election.ctx
    counts = branch_counts(ctx.layouts)
    payload = json.loads(rng.choice(ballot_lines(multi_election))[1])["payload"]
    if shape:
        payload = shape_mutations(payload, rng)
    else:
        path = rng.choice(hex_paths(payload))
        put(payload, path, rng.choice(mutations(get(payload, path), rng)))
    fast = signed_bytes(payload, counts)
    try:
        ballot = ballot_from_json(payload, counts, validate=False)
    except BallotError:
        if fast is not None:
            statuses, _ = native.check_ballots(
                ctx.fingerprint, ctx.public_key, native.layouts_for_native(ctx.layouts), [fast[:2]]
            )
            assert statuses != b"\0"
        return
    assert fast == (ballot.content_bytes(), ballot.signature, ballot.election, ballot.credential)
