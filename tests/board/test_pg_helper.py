"""The throwaway-PostgreSQL helper itself: missing binaries skip locally but fail under CI."""

from __future__ import annotations

import pytest

try:
    from tests import pg
except ImportError:  # pragma: no cover
    import pg  # type: ignore[no-redef]


@pytest.fixture
def no_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pg.ENV_URL, raising=False)
    monkeypatch.setattr(pg, "_cluster", None)
    monkeypatch.setattr(pg, "find_pg_bin", lambda: None)


@pytest.mark.usefixtures("no_postgres")
def test_missing_binaries_fail_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL binaries"):
        pg._server_url()


@pytest.mark.usefixtures("no_postgres")
def test_missing_binaries_skip_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PLEBISCITE_TEST_PG_URL"):
        pg._server_url()


def test_env_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pg.ENV_URL, "postgresql://someone@db.example/x")
    assert pg._server_url() == "postgresql://someone@db.example/x"


@pytest.mark.postgres
def test_fresh_databases_are_empty_and_separate(pg_server: str) -> None:
    import psycopg

    first, second = pg.create_database(pg_server), pg.create_database(pg_server)
    try:
        assert first != second
        with psycopg.connect(first) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (
                0,
            )
            assert conn.execute("SHOW listen_addresses").fetchone() in {
                ("127.0.0.1",),
                ("*",),
                ("localhost",),
            }
    finally:
        pg.drop_database(pg_server, first)
        pg.drop_database(pg_server, second)
