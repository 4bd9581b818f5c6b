"""Both engines side by side; the tests that need the extension are skipped where it is not built."""

from __future__ import annotations

import pytest

from plebiscite import native
from tests.core.conftest import Election, build_election

needs_native = pytest.mark.skipif(not native.AVAILABLE, reason="the native engine is not built (make native)")


@pytest.fixture(scope="session")
def multi_election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    """Three questions (yes/no; 1-of-3 with blank, weighted sum proof; approval), revotes, a challenge."""
    return build_election(tmp_path_factory.mktemp("native") / "record", voters=10, seed=16)


@pytest.fixture
def share_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per call of the extension's decryption-share check (``native.shares.accepted_shares``)."""
    from plebiscite.native import shares as native_shares

    calls: list[int] = []
    real = native_shares.accepted_shares

    def counted(*args: object) -> object:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(native_shares, "accepted_shares", counted)
    return calls
