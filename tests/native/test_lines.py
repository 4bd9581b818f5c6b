"""``read_ballot_lines`` (``native/src/lines.rs``) reads a standard ballot's record line in Rust: for every line
it accepts, it must give exactly what the Python path gives (``parse_event``, ``signed_bytes``,
``tracking_code``), and it must accept every honest line; anything else it leaves to Python (``None``)."""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plebiscite import native
from plebiscite.ballot.check import branch_counts
from plebiscite.native.ballot_bytes import signed_bytes, tracking_code
from plebiscite.record.store import RecordError, parse_event
from tests.core.conftest import Election

from .conftest import needs_native
from .test_engines import ballot_lines, get, hex_paths, mutations, put, shape_mutations

pytestmark = needs_native


def python_path(line: bytes, counts: list[tuple[int, int | None]]) -> tuple[bytes, ...] | None:
    try:
        event = parse_event(0, line, "line")
    except RecordError:
        return None
    if event.type != "ballot":
        return None
    found = signed_bytes(event.payload, counts)
    return None if found is None else (*found, bytes.fromhex(tracking_code(found[0], found[1])))


def test_every_honest_line_is_read_as_python_reads_it(multi_election: Election) -> None:
    counts = branch_counts(multi_election.ctx.layouts)
    lines = [line for _, line in ballot_lines(multi_election)]
    assert native.read_ballot_lines(lines, counts) == [python_path(line, counts) for line in lines]
    assert native.read_ballot_lines(lines, counts[:-1]) == [None] * len(lines)  # another layout


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["bytes", "hex", "shape"]))
def test_an_altered_line_is_read_alike_or_left_to_python(
    multi_election: Election, seed: int, how: str
) -> None:
    rng = random.Random(seed)
    counts = branch_counts(multi_election.ctx.layouts)
    line = rng.choice(ballot_lines(multi_election))[1]
    if how == "bytes":  # anything: a byte changed, dropped or doubled
        at = rng.randrange(len(line))
        line = (
            line[:at] + rng.choice([bytes([rng.randrange(256)]), b"", line[at : at + 1] * 2]) + line[at + 1 :]
        )
    else:
        event = json.loads(line)
        payload = event["payload"]
        if how == "shape":
            payload = shape_mutations(payload, rng)
        else:
            path = rng.choice(hex_paths(payload))
            put(payload, path, rng.choice(mutations(get(payload, path), rng)))
        line = json.dumps(
            {"payload": payload, "type": "ballot"}, separators=(",", ":"), sort_keys=True
        ).encode()
    [fast] = native.read_ballot_lines([line], counts)
    if fast is not None:
        assert fast == python_path(line, counts)
