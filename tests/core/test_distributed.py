"""Verification on a Dask cluster (local, in-process workers for speed), from sent chunks or Parquet partitions.

The cluster path must give the same report as the local one, and Parquet partitions that differ from the record
(an altered, dropped or added ballot) must fail the "record format" check naming the event.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dask.distributed import Client, LocalCluster
from typer.testing import CliRunner

from plebiscite.cli.main import app
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.parquet import SCHEMA, read_partition, write_partitions
from plebiscite.verify.distributed import DaskBallots
from plebiscite.verify.runner import verify_record

from .conftest import Election

runner = CliRunner()


def ballot_lines(events: list[ev.Event]) -> list[tuple[int, bytes]]:
    return [(e.index, e.raw) for e in events if e.type == ev.BALLOT]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _summary(report: Any) -> list[tuple[str, int, int, bool]]:
    return [(c.name, c.items, c.failure_count, c.ran) for c in report.checks]


def _ballot_events(election: Election) -> list[ev.Event]:
    return [e for e in election.events if e.type == ev.BALLOT]


def test_cluster_gives_the_local_report(election: Election, client: Client, tmp_path: Path) -> None:
    local = verify_record(election.path, workers=1)
    sent = verify_record(election.path, cluster=DaskBallots(client))
    parts = write_partitions(ballot_lines(election.events), tmp_path / "parts", rows=3)
    assert len(parts) == -(-len(_ballot_events(election)) // 3) > 1
    from_parquet = verify_record(election.path, cluster=DaskBallots(client, tmp_path / "parts"))
    assert local.ok and sent.ok and from_parquet.ok
    assert _summary(local) == _summary(sent) == _summary(from_parquet)
    assert local.result == sent.result == from_parquet.result


def _rewrite(path: Path, rows: list[tuple[int, bytes]]) -> None:
    table = pa.table({"index": [i for i, _ in rows], "line": [line for _, line in rows]}, schema=SCHEMA)
    pq.write_table(table, path)


def _failures(report: Any, name: str) -> list[str]:
    return report.by_name(name).failures


def test_partitions_that_differ_from_the_record_fail_record_format(
    election: Election, client: Client, tmp_path: Path
) -> None:
    ballots = _ballot_events(election)
    cases = {
        "altered": lambda rows: (
            [(i, line.replace(b'"election"', b'"election" ')) for i, line in rows[:1]] + rows[1:]
        ),
        "dropped": lambda rows: rows[1:],
        "added": lambda rows: [*rows, (10_000, rows[0][1])],
        "twice": lambda rows: [*rows, rows[0]],
    }
    for name, change in cases.items():
        out = tmp_path / name
        (first,) = write_partitions(ballot_lines(election.events), out, rows=10_000)
        _rewrite(first, change(read_partition(first)))
        report = verify_record(election.path, cluster=DaskBallots(client, out))
        assert not report.ok, name
        failures = _failures(report, "record format")
        assert failures and all("Parquet partitions" in f for f in failures), (name, failures)
    assert str(ballots[0].index) in " ".join(_failures(report, "record format"))


def test_a_bad_ballot_fails_its_own_check_on_the_cluster(
    record_copy: Path, client: Client, tmp_path: Path
) -> None:
    events = store.read(record_copy)
    target = next(e for e in events if e.type == ev.BALLOT)
    payload = dict(target.payload, signature="00" * 64)
    lines = (record_copy / store.EVENTS_FILE).read_bytes().split(b"\n")
    lines[target.index] = ev.canonical_json({"type": ev.BALLOT, "payload": payload})
    (record_copy / store.EVENTS_FILE).write_bytes(b"\n".join(lines))
    write_partitions(ballot_lines(store.read(record_copy)), tmp_path / "parts")
    for cluster in (DaskBallots(client), DaskBallots(client, tmp_path / "parts")):
        report = verify_record(record_copy, cluster=cluster)
        assert not report.ok
        assert report.by_name("ballot signatures").failure_count == 1
        assert report.by_name("record format").ok


def test_cli_export_parquet_and_verify_on_a_local_cluster(election: Election, tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    result = runner.invoke(app, ["export", str(election.path), str(parts), "--parquet", "--rows", "4"])
    assert result.exit_code == 0, result.output
    assert "partitions" in result.output
    again = runner.invoke(app, ["export", str(election.path), str(parts), "--parquet"])
    assert again.exit_code != 0 and "already holds ballot partitions" in again.output
    result = runner.invoke(
        app, ["verify", str(election.path), "--dask", "local", "--workers", "1", "--parquet", str(parts)]
    )
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--parquet", "PARTS"], "--parquet: only with --dask"),
        (["--dask", "local", "--parquet", "MISSING"], "not a directory of Parquet partitions"),
    ],
)
def test_cli_bad_cluster_options_are_named(
    election: Election, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a.replace("PARTS", str(tmp_path)).replace("MISSING", str(tmp_path / "none")) for a in args]
    result = runner.invoke(app, ["verify", str(election.path), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
