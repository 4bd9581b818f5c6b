"""The README's tour and docs/cli.md's step-by-step block, run as written, from a checkout-like directory.

Every ``sh`` block of README.md and docs/cli.md is run by bash (``set -e``: the first failing command fails the
test) in a fresh copy of the repository's tracked files, with the repository's ``.venv`` linked in, as a new user
who just ran ``make`` would. The only changes made to the text:

* the board's port 8000 becomes a free port, so that parallel runs on one machine do not collide;
* the lines in ``SKIPPED`` are not run, each for the reason given there (the suite itself; data outside the
  repository). The browser booth is only mentioned in a comment of the tour; the booth is tested in
  tests/booth.

Background jobs a block starts (``serve … &``) are killed when the block ends, even when it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plebiscite.board.demo_http import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"

SKIPPED = {
    "make test": "the test suite itself",
    "forensics ../shared/data/": "reads data outside the repository (a sibling directory on the project's machine)",
}


def shell_blocks(path: Path) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)


def without_skipped(block: str) -> tuple[str, list[str]]:
    kept, notes = [], []
    for line in block.splitlines():
        reason = next((why for what, why in SKIPPED.items() if what in line), None)
        if reason is None:
            kept.append(line)
        else:
            notes.append(f"skipped {line.strip()!r}: {reason}")
    return "\n".join(kept) + "\n", notes


def checkout(target: Path) -> Path:
    """The tracked files as they are in the working tree (mtimes kept, so make sees .venv as up to date)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout.split(
        b"\0"
    )
    for name in filter(None, files):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / os.fsdecode(name))
    (target / ".venv").symlink_to(VENV)
    stamp = (
        VENV / ".installed"
    )  # make's mark that .venv is up to date with pyproject.toml: keep it so here too
    if stamp.exists():
        before = stamp.stat().st_mtime - 1
        os.utime(target / "pyproject.toml", (before, before))
    return target


def run_blocks(doc: Path, work: Path, port: int) -> list[str]:
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PLEBISCITE_TEST_PG_URL", None)
    notes: list[str] = []
    for number, block in enumerate(shell_blocks(doc), start=1):
        script, skipped = without_skipped(
            block.replace("127.0.0.1:8000", f"127.0.0.1:{port}").replace("--port 8000", f"--port {port}")
        )
        notes += skipped
        wrapped = "set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT\n" + script
        done = subprocess.run(
            ["bash", "-c", wrapped], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, (
            f"{doc.name} block {number} failed (exit {done.returncode}) as written:\n{script}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
        assert "Traceback" not in done.stderr, done.stderr
    return notes


@pytest.mark.skipif(
    not (VENV / "bin" / "plebiscite").exists(), reason="needs the repository's .venv (make all)"
)
@pytest.mark.skipif(shutil.which("git") is None or sys.platform == "win32", reason="needs git and bash")
def test_readme_and_cli_docs_run_as_written(tmp_path: Path) -> None:
    work = checkout(tmp_path / "clone")
    notes = run_blocks(ROOT / "README.md", work, free_port())
    notes += run_blocks(ROOT / "docs" / "cli.md", checkout(tmp_path / "clone-cli"), free_port())
    assert (work / "copy" / "events.jsonl").exists() and (tmp_path / "clone-cli" / "rec.zip").exists()
    for secret in (
        "board-secrets/board-key.hex",
        "board-secrets/admin-token.txt",
        "credentials/credential-000001.json",
    ):
        assert (work / secret).stat().st_mode & 0o777 == 0o600, secret
    assert not (work / "admin-token.txt").exists() and not (work / "board-key.hex").exists()
    untracked = subprocess.run(
        ["git", "-C", str(ROOT), "check-ignore", "--no-index", "--stdin"],
        input="\n".join(p.name + ("/" if p.is_dir() else "") for p in work.iterdir()),
        capture_output=True,
        text=True,
    ).stdout.split()
    untracked = [u.rstrip("/") for u in untracked]
    tracked = set(
        subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    )
    top = {p.split("/")[0] for p in tracked} | {".venv"}
    stray = [p.name for p in work.iterdir() if p.name not in top and p.name not in untracked]
    assert not stray, f"the tour leaves files .gitignore does not cover: {stray}"
    print("\n".join(notes))
