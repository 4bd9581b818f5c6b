"""The command line: the file-based flow, the demo, and bad input (clear error, non-zero exit, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plebiscite.cli.main import app
from plebiscite.setup.samples import referendum

from .conftest import Election

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def run_json(*args: str) -> tuple[int, str]:
    """:func:`run` for ``--json`` output: stdout only (warnings, e.g. "witnesses not checked", go to stderr)."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def test_demo_json(tmp_path: Path) -> None:
    code, out = run("demo", "--voters", "12", "--record", tmp_path / "rec", "--json", "--seed", "3")
    assert code == 0, out
    data = json.loads(out)
    assert data["verified"] is True and data["expected"] == data["result"]
    assert data["record"] == str(tmp_path / "rec")


def test_verify_json(election: Election) -> None:
    code, out = run_json("verify", election.path, "--json", "--workers", "1")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]][:3] == ["record format", "parameters", "manifest"]
    assert {"id", "name", "items", "failures"} <= set(data["checks"][0])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"type":"manifest"\n', "line 1: not JSON"),
        (b'{"payload":{},"type":"nonsense"}\n', "unknown event type 'nonsense'"),
        (b'{"payload":{},"type":"manifest"}', "truncated"),
        (b'{"type":"manifest","payload":{}}\n', "not in canonical form"),
        (b'{"payload":{"x":"\\ud800"},"type":"manifest"}\n', "line 1: a string is not valid Unicode"),
        (b"[" * 100_000 + b"\n", "line 1: not JSON (nested too deeply)"),
    ],
)
def test_malformed_record(record_copy: Path, content: bytes, message: str) -> None:
    (record_copy / "events.jsonl").write_bytes(content)
    code, out = run("verify", record_copy)
    assert code == 2 and message in out and "Traceback" not in out


def test_truncated_record_file(record_copy: Path) -> None:
    data = (record_copy / "events.jsonl").read_bytes()
    (record_copy / "events.jsonl").write_bytes(data[: len(data) // 2])
    code, out = run("verify", record_copy)
    assert code == 2 and "events.jsonl" in out


def test_wrong_version_and_missing_files(record_copy: Path, tmp_path: Path) -> None:
    (record_copy / "record.json").write_text('{"format":"plebiscite-record","version":99}')
    code, out = run("verify", record_copy)
    assert code == 2 and "unsupported version 99" in out
    code, out = run("verify", tmp_path / "nowhere")
    assert code == 2 and "no such file" in out
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    code, out = run("verify", tmp_path / "junk.zip")
    assert code == 2 and "neither a record directory nor a zip" in out


def test_tampered_record_exits_1_naming_the_check(record_copy: Path) -> None:
    lines = (record_copy / "events.jsonl").read_bytes().splitlines(keepends=True)
    result_line = json.loads(lines[-1])
    result_line["payload"]["questions"][0]["counts"]["yes"] += 1
    lines[-1] = (
        json.dumps(result_line, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    )
    (record_copy / "events.jsonl").write_bytes(b"".join(lines))
    code, out = run_json("verify", record_copy, "--json")
    assert code == 1
    failed = [c["name"] for c in json.loads(out)["checks"] if c["failures"]]
    assert failed == ["result", "board heads", "record complete"]  # the result, and the heads that signed it


@pytest.fixture()
def file_flow(tmp_path: Path) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps(referendum().model_dump(mode="json")))
    (tmp_path / "pass.txt").write_text("a good passphrase\n")
    rec = tmp_path / "rec"
    secrets = ("--trustees-dir", tmp_path / "t", "--passphrase-file", tmp_path / "pass.txt")
    code, out = run(
        "init", rec, "--manifest", tmp_path / "manifest.json", "--trustees", "2", "--threshold", "2", *secrets
    )
    assert code == 0, out
    assert out.count("fingerprint") == 2  # each trustee's key, to publish apart from the organiser
    assert run("ceremony", rec, *secrets)[0] == 0
    assert run("register", rec, "--voters", "2", "--out-dir", tmp_path / "c")[0] == 0
    assert run("open", rec)[0] == 0
    return tmp_path


def test_file_flow_and_bad_input(file_flow: Path, election: Election) -> None:
    d, rec = file_flow, file_flow / "rec"
    cred = d / "c" / "credential-000001.json"
    choices = ["--choice", "q1=yes", "--choice", "q2=local", "--choice", "q3=schools"]
    code, out = run(
        "vote", rec, "--credential", cred, *choices, "--out", d / "b.json", "--opening-out", d / "o.json"
    )
    assert code == 0, out
    before = (rec / "events.jsonl").read_bytes()
    # A ballot for another election is refused, with the reason, and nothing is appended.
    foreign = next(e.payload for e in election.events if e.type == "ballot")
    (d / "foreign.json").write_text(json.dumps(foreign))
    code, out = run("cast", rec, d / "foreign.json")
    assert code == 2 and "made for another election" in out
    (d / "broken.json").write_text("{not json")
    code, out = run("cast", rec, d / "broken.json")
    assert code == 2 and "broken.json: not valid JSON" in out
    assert (rec / "events.jsonl").read_bytes() == before
    assert run("cast", rec, d / "b.json")[0] == 0
    assert run("close", rec)[0] == 0
    code, out = run("cast", rec, d / "b.json")
    assert code == 2 and "phase 'closed'" in out
    assert run("tally", rec)[0] == 0
    (d / "wrong.txt").write_text("not the passphrase\n")
    before = (rec / "events.jsonl").read_bytes()
    code, out = run(
        "decrypt", rec, "--trustee", d / "t" / "trustee-1.json", "--passphrase-file", d / "wrong.txt"
    )
    assert code == 2 and "wrong passphrase" in out and "not the passphrase" not in out
    assert (rec / "events.jsonl").read_bytes() == before
    # another election's trustee file (same index, same passphrase): refused before anything is written, and the
    # right file still decrypts afterwards (issue 17)
    other = d / "other"
    code, out = run(
        "init",
        other / "rec",
        "--manifest",
        d / "manifest.json",
        "--trustees",
        "2",
        "--threshold",
        "2",
        "--trustees-dir",
        other / "t",
        "--passphrase-file",
        d / "pass.txt",
    )
    assert code == 0, out
    assert (
        run("ceremony", other / "rec", "--trustees-dir", other / "t", "--passphrase-file", d / "pass.txt")[0]
        == 0
    )
    code, out = run(
        "decrypt", rec, "--trustee", other / "t" / "trustee-1.json", "--passphrase-file", d / "pass.txt"
    )
    assert code == 2 and "does not name this trustee's key" in out, out
    assert (rec / "events.jsonl").read_bytes() == before
    for i in (1, 2):
        code, out = run(
            "decrypt", rec, "--trustee", d / "t" / f"trustee-{i}.json", "--passphrase-file", d / "pass.txt"
        )
        assert code == 0, out
    code, out = run("combine", rec, "--json")
    assert code == 0 and json.loads(out)["questions"][0]["counts"] == {"yes": 1, "no": 0}
    assert run("verify", rec)[0] == 0
    assert run("export", rec, d / "rec.zip")[0] == 0
    assert run("verify", d / "rec.zip")[0] == 0
    # every step signed a head after each event it appended: the record proves it is complete
    lines = (rec / "events.jsonl").read_bytes().splitlines(keepends=True)
    assert len((rec / "heads.jsonl").read_bytes().splitlines()) == len(lines)
    close = next(i for i, line in enumerate(lines) if line.endswith(b'"type":"close"}\n'))
    (rec / "events.jsonl").write_bytes(b"".join(lines[:close] + lines[close + 1 :]))
    code, out = run_json("verify", rec, "--json")
    assert code == 1 and {"board heads", "record complete"} <= {
        c["name"] for c in json.loads(out)["checks"] if c["failures"]
    }


def test_vote_with_a_credential_for_another_election(file_flow: Path, election: Election) -> None:
    (file_flow / "other.json").write_text(json.dumps(election.credentials[0].to_json()))
    code, out = run("vote", file_flow / "rec", "--credential", file_flow / "other.json", "--choice", "q1=yes")
    assert code == 2 and "credential is for election 'test-election'" in out


@pytest.mark.parametrize(
    ("text", "reason"), [("[" * 100_000, "nested too deeply"), ("9" * 5_000, "a number too large")]
)
def test_hostile_manifest_file(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "m.json").write_text(text)
    code, out = run(
        "init", tmp_path / "rec", "--manifest", tmp_path / "m.json", "--trustees-dir", tmp_path / "t"
    )
    assert code == 2 and f"m.json: not valid JSON ({reason})" in out.replace("\n", "")
    assert not (tmp_path / "rec").exists()


def test_bad_manifest(tmp_path: Path) -> None:
    m = referendum().model_dump(mode="json")
    m["questions"][2]["max"] = 9
    (tmp_path / "m.json").write_text(json.dumps(m))
    code, out = run(
        "init", tmp_path / "rec", "--manifest", tmp_path / "m.json", "--trustees-dir", tmp_path / "t"
    )
    assert code == 2 and "manifest" in out and "max" in out
    assert not (tmp_path / "rec").exists()
