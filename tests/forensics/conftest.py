"""Shared fixtures: small CSV fixtures, a CSV writer for bad-input cases, and the Russian data (read once)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plebiscite.forensics import Election, read_election

DATA = Path(__file__).parent / "data"
RUSSIA = Path("/work/shared/data/elections/russia")


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write text to a CSV in tmp_path (exact bytes, so line numbers in the file are what the test says)."""

    def write(text: str, name: str = "input.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def generic_mapping() -> Path:
    return DATA / "generic.json"


def _russia(year: int) -> Path:
    path = RUSSIA / f"{year}.csv.zip"
    if not path.exists():
        pytest.skip(f"real data not available at {path}")
    return path


@pytest.fixture(scope="session")
def russia_2011() -> Election:
    return read_election(_russia(2011), preset="ru-cec")


@pytest.fixture(scope="session")
def russia_2012() -> Election:
    return read_election(_russia(2012), preset="ru-cec")
