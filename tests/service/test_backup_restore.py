"""docs/operator.md's backup and restore, on a real PostgreSQL: a board restored from `pg_dump` carries the election
to a result the verifier accepts, every receipt issued before the dump still checks against it, and every receipt
issued after the dump proves the loss (so a restore can never silently drop ballots)."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import httpx
import pytest

from plebiscite.board.client import check_receipt, mirror
from plebiscite.merkle.heads import ForkDetected
from plebiscite.verify.runner import verify_record

from ..pg import create_database, drop_database, find_pg_bin
from .conftest import ADMIN, Setup, live_service
from .test_operator import post_partials


def ok(response: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.postgres
def test_restore_from_pg_dump_verifies_and_receipts_show_what_was_lost(
    pg_server: str, pg_url: str, yesno_setup: Setup, tmp_path: Path
) -> None:
    bin_dir = find_pg_bin()
    assert bin_dir is not None
    ballots = yesno_setup.ballots(7, seed=17)
    with live_service(pg_url, yesno_setup) as svc:
        svc.open()
        before = [ok(httpx.post(f"{svc.url}/api/ballots", json=b.json, timeout=60)) for b in ballots[:5]]
        dump = tmp_path / "board.dump"
        subprocess.run(  # the nightly backup of docs/operator.md
            [str(bin_dir / "pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", pg_url],
            check=True,
            capture_output=True,
        )
        after = [ok(httpx.post(f"{svc.url}/api/ballots", json=b.json, timeout=60)) for b in ballots[5:]]
    restored = create_database(pg_server)
    try:
        subprocess.run(
            [str(bin_dir / "pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
            check=True,
            capture_output=True,
        )
        with live_service(restored, yesno_setup) as svc:  # same board key, same prepared record
            assert svc.size() == before[-1]["index"] + 1
            for receipt in before:
                assert check_receipt(receipt, svc.url)["ok"]
            ok(httpx.post(f"{svc.url}/api/admin/close", headers=ADMIN, timeout=60))
            for receipt in after:  # the ballots cast after the dump are gone, and their receipts say so
                with pytest.raises(ForkDetected):  # the restored board signed another log at their sizes
                    check_receipt(receipt, svc.url)
            ok(httpx.post(f"{svc.url}/api/admin/tally", headers=ADMIN, timeout=60))
            post_partials(svc, yesno_setup.trustees[1:])
            result = ok(httpx.post(f"{svc.url}/api/admin/result", headers=ADMIN, timeout=60))
            mirror(svc.url, tmp_path / "copy")
        report = verify_record(tmp_path / "copy", 1)
        assert report.ok, [c for c in report.checks if c.failures]
        assert sum(result["questions"][0]["counts"].values()) == len({b.voter for b in ballots[:5]})
    finally:
        drop_database(pg_server, restored)


def test_restore_from_a_mirror_keeps_every_receipt(yesno_setup: Setup, tmp_path: Path) -> None:
    """The database lost entirely: a new board with the same key imports an up-to-date mirror (`serve --record`)."""
    ballots = yesno_setup.ballots(6, seed=23)
    with live_service(f"sqlite:///{tmp_path / 'lost.db'}", yesno_setup) as svc:
        svc.open()
        receipts = [ok(httpx.post(f"{svc.url}/api/ballots", json=b.json, timeout=60)) for b in ballots]
        mirror(svc.url, tmp_path / "mirror")
    for name in ("lost.db", "lost.db-wal", "lost.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    restored = dataclasses.replace(yesno_setup, path=tmp_path / "mirror")  # serve --record MIRROR, same key
    with live_service(f"sqlite:///{tmp_path / 'restored.db'}", restored) as svc:
        assert svc.size() == receipts[-1]["index"] + 1
        for receipt in receipts:
            assert check_receipt(receipt, svc.url)["ok"]
        ok(httpx.post(f"{svc.url}/api/admin/close", headers=ADMIN, timeout=60))
        ok(httpx.post(f"{svc.url}/api/admin/tally", headers=ADMIN, timeout=60))
        post_partials(svc, yesno_setup.trustees[:2])
        ok(httpx.post(f"{svc.url}/api/admin/result", headers=ADMIN, timeout=60))
        mirror(
            svc.url, tmp_path / "mirror"
        )  # the same mirror carries on: the restored board extends its copy
    assert verify_record(tmp_path / "mirror", 1).ok
