"""Belenios side of the ballot benchmark: build a yes/no referendum with ``belenios-tool`` and time it.

The election is what Belenios' own ``demo`` scripts build, driven from Python so the timing is in the same run as
plebiscite's:

* a token as election UUID, ``N`` credentials (``setup generate-credentials``);
* 3 trustees, threshold 2, through the 6 steps of ``setup generate-trustee-key-threshold`` (Pedersen), then
  ``setup make-trustees`` (with an empty ``public_keys.jsons``: no extra "server" trustee);
* one question ``{"answers": ["yes", "no"], "min": 1, "max": 1}`` — Belenios' natural yes/no question, which makes a
  ballot two ciphertexts, two 0/1 proofs and one proof that their sum is exactly 1, plus the credential's Schnorr
  signature (plebiscite: one ciphertext, one 0/1 proof, one Ed25519 signature);
* ``archive init``; one ``election generate-ballot`` + ``archive add-event --type=Ballot`` per voter (alternating
  yes/no); ``EndBallots``, ``compute-encrypted-tally``, ``decrypt-threshold`` by trustees 1 and 2, ``compute-result``.

The finished election (and a copy of the same setup with no ballot, for the setup-only verification time) is cached
under a temporary directory: building it costs about a minute, timing it a few seconds. Nothing here is committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

GROUP = "BELENIOS-2048"
"""Belenios' default group (2048-bit prime field, 256-bit subgroup). belenios-tool 2.0 has no elliptic-curve group."""

TEMPLATE = {
    "description": "Yes/no referendum (plebiscite benchmark)",
    "name": "Referendum",
    "questions": [
        {
            "answers": ["yes", "no"],
            "min": 1,
            "max": 1,
            "question": "Do you support keeping local self-government?",
        }
    ],
}
YES, NO = "[[1,0]]", "[[0,1]]"
FORMAT = 1  # bump when the way the cached election is built changes


class BeleniosError(RuntimeError):
    pass


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["TERM"] = "dumb"
    env["BELENIOS_USE_URANDOM"] = "1"  # as in Belenios' demo scripts: no blocking on /dev/random
    return env


def tool_path() -> str | None:
    return shutil.which("belenios-tool")


def ensure_installed(say: Callable[[str], None] = print) -> str | None:
    """The path of ``belenios-tool``; installs the Debian package when missing and we are root, else None."""
    path = tool_path()
    if path:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        say("belenios-tool is not installed and cannot be installed here (not root or no apt-get)")
        return None
    say("belenios-tool missing: apt-get install -y belenios-tool …")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "belenios-tool"]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            say(f"apt-get install belenios-tool failed: {done.stderr.strip()[-300:]}")
            return None
    return tool_path()


def version(tool: str) -> str:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, env=_env())
    text = out.stdout.strip() or out.stderr.strip()
    pkg = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "belenios-tool"], capture_output=True, text=True
    )
    return f"{text} (Debian {pkg.stdout.strip()})" if pkg.returncode == 0 and pkg.stdout.strip() else text


def _run(tool: str, args: list[str], cwd: Path, stdin: str | None = None, cpu: int | None = None) -> str:
    cmd = [tool, *args]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    done = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, env=_env())
    if done.returncode != 0:
        raise BeleniosError(
            f"belenios-tool {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-500:]}"
        )
    return done.stdout


@dataclass
class Election:
    """A cached Belenios election: ``full`` has every ballot and the result, ``empty`` the same setup with none."""

    root: Path
    ballots: int
    full: Path
    empty: Path
    setup: (
        Path  # archive right after ``archive init`` and the private credentials: for timing ballot generation
    )
    expected: list[int]
    build_seconds: float | None = None


def _key(tool: str, ballots: int) -> str:
    blob = json.dumps([FORMAT, version(tool), GROUP, TEMPLATE, ballots, 3, 2], sort_keys=True).encode()
    return f"belenios-n{ballots}-{hashlib.sha256(blob).hexdigest()[:12]}"


def default_cache() -> Path:
    return Path(os.environ.get("PLEBISCITE_BENCH_CACHE", Path(tempfile.gettempdir()) / "plebiscite-bench"))


def election(
    tool: str, ballots: int, cache: Path, jobs: int | None = None, say: Callable[[str], None] = print
) -> Election:
    """The cached election for ``ballots`` voters, built first if it is not in ``cache``."""
    root = cache / _key(tool, ballots)
    meta = root / "done.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        return Election(root, ballots, root / "full", root / "empty", root / "setup", info["expected"])
    if root.exists():
        shutil.rmtree(root)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="building-", dir=cache))
    start = time.perf_counter()
    expected = _build(tool, ballots, work, jobs or os.cpu_count() or 1, say)
    seconds = time.perf_counter() - start
    (work / "done.json").write_text(json.dumps({"expected": expected, "build_seconds": seconds}))
    work.rename(root)
    say(f"  belenios election built in {seconds:.0f} s, cached in {root}")
    return Election(root, ballots, root / "full", root / "empty", root / "setup", expected, seconds)


def _trustees(tool: str, d: Path) -> list[tuple[str, str]]:
    """Pedersen 2-of-3 key generation (steps 1–6), then ``make-trustees``; returns (key, decryption key) files."""

    def step(args: list[str], stdin: str | None = None) -> str:
        return _run(tool, ["setup", "generate-trustee-key-threshold", f"--group={GROUP}", *args], d, stdin)

    for _ in range(3):
        step(["--step=1"])
    keys = sorted(p.name for p in d.glob("*.key"))
    if len(keys) != 3:
        raise BeleniosError(f"expected 3 trustee keys, found {keys}")
    (d / "certs.jsons").write_text("".join((d / (k[:-4] + ".cert")).read_text() for k in keys))
    step(["--certs=certs.jsons", "--step=2"])
    polys = "".join(step(["--certs=certs.jsons", f"--key={k}", "--step=3", "--threshold=2"]) for k in keys)
    (d / "polynomials.jsons").write_text(polys)
    step(["--certs=certs.jsons", "--step=4", "--polynomials=polynomials.jsons"])
    outs = "".join(
        step(["--certs=certs.jsons", f"--key={k}", "--step=5"], (d / (k[:-4] + ".vinput")).read_text())
        for k in keys
    )
    (d / "threshold.json").write_text(
        step(["--certs=certs.jsons", "--step=6", "--polynomials=polynomials.jsons"], outs)
    )
    (d / "public_keys.jsons").write_text("")  # no non-threshold ("server") trustee
    _run(tool, ["setup", "make-trustees"], d)
    (d / "threshold.json").unlink()
    return [(k, k[:-4] + ".dkey") for k in keys]


def generate_ballot(tool: str, d: Path, credential: str, choice_file: str, cpu: int | None = None) -> str:
    out = _run(
        tool,
        ["election", "generate-ballot", "--dir=.", "--privcred=/dev/stdin", f"--ballot={choice_file}"],
        d,
        credential + "\n",
        cpu,
    )
    line = out.strip()
    if not line.startswith("{") or "\n" in line:
        raise BeleniosError(f"unexpected generate-ballot output: {line[:200]!r}")
    return line


def _finish(tool: str, d: Path, trustees: list[tuple[str, str]]) -> str:
    _run(tool, ["archive", "add-event", "--type=EndBallots"], d, "")
    tally = _run(tool, ["election", "compute-encrypted-tally"], d)
    _run(tool, ["archive", "add-event", "--type=EncryptedTally"], d, tally)
    for trustee_id, (key, dkey) in enumerate(trustees[:2], start=1):  # 2 of 3 trustees decrypt
        partial = _run(
            tool,
            [
                "election",
                "decrypt-threshold",
                f"--key={key}",
                f"--decryption-key={dkey}",
                f"--trustee-id={trustee_id}",
            ],
            d,
        )
        _run(tool, ["archive", "add-event", "--type=PartialDecryption"], d, partial)
    result = _run(tool, ["election", "compute-result"], d)
    _run(tool, ["archive", "add-event", "--type=Result"], d, result)
    return result


def _result_counts(result: str) -> list[int] | None:
    try:
        value = json.loads(result)
    except json.JSONDecodeError:
        return None
    counts = value.get("result") if isinstance(value, dict) else None
    return counts[0] if isinstance(counts, list) and counts else None


def _build(tool: str, n: int, work: Path, jobs: int, say: Callable[[str], None]) -> list[int]:
    d = work / "build"
    d.mkdir()
    uuid = _run(tool, ["setup", "generate-token"], d).strip()
    _run(tool, ["setup", "generate-credentials", f"--uuid={uuid}", f"--group={GROUP}", f"--count={n}"], d)
    (pub,) = d.glob("*.pubcreds")
    (priv,) = d.glob("*.privcreds")
    pub.rename(d / "public_creds.json")
    priv.rename(d / "private_creds.txt")
    say("  belenios: trustees 2-of-3 (Pedersen) …")
    trustees = _trustees(tool, d)
    (d / "template.json").write_text(json.dumps(TEMPLATE))
    _run(
        tool, ["setup", "make-election", f"--uuid={uuid}", f"--group={GROUP}", "--template=template.json"], d
    )
    _run(tool, ["archive", "init"], d)
    for name in ("election.json", "trustees.json", "public_creds.json"):
        (d / name).unlink()
    (d / "yes.json").write_text(YES + "\n")
    (d / "no.json").write_text(NO + "\n")
    creds = [line.split()[1] for line in (d / "private_creds.txt").read_text().splitlines() if line.strip()]
    if len(creds) != n:
        raise BeleniosError(f"expected {n} private credentials, got {len(creds)}")

    shutil.copytree(d, work / "setup")
    shutil.copytree(d, work / "empty")
    _finish(tool, work / "empty", trustees)

    rng = random.Random(20240611)
    choices = ["yes.json" if rng.random() < 0.55 else "no.json" for _ in range(n)]
    say(f"  belenios: generating {n} ballots on {jobs} processes (not timed) …")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        ballots = list(
            pool.map(lambda cc: generate_ballot(tool, d, cc[0], cc[1]), zip(creds, choices, strict=True))
        )
    say(f"  belenios: adding {n} ballot events …")
    for ballot in ballots:
        _run(tool, ["archive", "add-event", "--type=Ballot"], d, ballot + "\n")
    result = _finish(tool, d, trustees)
    expected = [choices.count("yes.json"), choices.count("no.json")]
    got = _result_counts(result)
    if got != expected:
        raise BeleniosError(f"belenios result {got} differs from the votes cast {expected}")
    d.rename(work / "full")
    return expected


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.wall)

    @property
    def mean_cpu(self) -> float:
        return statistics.fmean(self.cpu)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(
    tool: str, args: list[str], cwd: Path, cpu: int | None, stdin: str | None = None
) -> tuple[float, float, str]:
    c0, t0 = _children_cpu(), time.perf_counter()
    out = _run(tool, args, cwd, stdin, cpu)
    t1, c1 = time.perf_counter(), _children_cpu()
    return t1 - t0, c1 - c0, out


def time_verify(tool: str, d: Path, cpu: int | None, reps: int, warmup: int = 1) -> Timing:
    """``belenios-tool election verify`` on ``d``, pinned to ``cpu`` with taskset; wall and CPU seconds per run."""
    wall: list[float] = []
    cpus: list[float] = []
    for i in range(warmup + reps):
        w, c, _ = _timed(tool, ["election", "verify", "--dir=."], d, cpu)
        if i >= warmup:
            wall.append(w)
            cpus.append(c)
    return Timing(wall, cpus)


def time_generate(tool: str, setup: Path, cpu: int | None, count: int) -> Timing:
    """``election generate-ballot`` for ``count`` voters in turn (one process each), pinned; per-ballot seconds."""
    creds = [
        line.split()[1] for line in (setup / "private_creds.txt").read_text().splitlines() if line.strip()
    ]
    wall, cpus = [], []
    generate_ballot(tool, setup, creds[-1], "yes.json", cpu)  # warm-up (page cache)
    for i in range(count):
        c0, t0 = _children_cpu(), time.perf_counter()
        generate_ballot(tool, setup, creds[i % len(creds)], "yes.json" if i % 2 else "no.json", cpu)
        wall.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - c0)
    return Timing(wall, cpus)


def time_startup(tool: str, cwd: Path, cpu: int | None, count: int = 20) -> Timing:
    """A trivial ``belenios-tool`` command: the process start-up included in every generate-ballot timing."""
    wall, cpus = [], []
    for _ in range(count):
        w, c, _ = _timed(tool, ["setup", "generate-token"], cwd, cpu)
        wall.append(w)
        cpus.append(c)
    return Timing(wall, cpus)
