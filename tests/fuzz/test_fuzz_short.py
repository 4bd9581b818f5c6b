"""A short coverage-guided fuzzing run of the record reader and verifier in CI (``fuzz_verify.py``); longer runs
are for people (the command is in that file's docstring)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from plebiscite.record import store
from plebiscite.verify.runner import verify_record

HERE = Path(__file__).parent
pytest.importorskip("atheris")


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_verify", HERE / "fuzz_verify.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", sorted(p.name for p in (HERE / "corpus").glob("*.jsonl")))
def test_seeds_are_records_that_verify(seed: str, tmp_path: Path) -> None:
    """Otherwise "a changed record never verifies" would hold trivially (regenerate: make_corpus.py)."""
    store.create(tmp_path / "r")
    shutil.copy(HERE / "corpus" / seed, tmp_path / "r" / store.EVENTS_FILE)
    report = verify_record(
        tmp_path / "r", workers=1, allow_unsigned=True
    )  # events only, as the fuzzer runs them
    assert report.ok, report.failed()


def test_harness_stops_on_a_changed_record_that_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = load_harness()
    monkeypatch.setattr(harness, "verify_record", lambda *_a, **_k: SimpleNamespace(ok=True))
    with pytest.raises(AssertionError, match="a changed record verified"):
        harness.one_input(b"not a seed\n")
    harness.one_input(next(iter(harness.SEEDS)))  # a seed itself may verify


def test_short_fuzzing_run(tmp_path: Path) -> None:
    work = tmp_path / "corpus"
    shutil.copytree(HERE / "corpus", work)
    done = subprocess.run(
        [sys.executable, str(HERE / "fuzz_verify.py"), str(work), "-max_total_time=20", "-rss_limit_mb=4096"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Done" in done.stderr, done.stderr[-2000:]
