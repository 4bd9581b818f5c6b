"""Write the fuzzing seeds: the ``events.jsonl`` of a small finished election of each mode.

Run after a change to the record format: ``.venv/bin/python tests/fuzz/make_corpus.py`` (the seeds must verify:
``test_fuzz_short.py`` checks that they still do).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
DEMOS = {
    "standard.jsonl": ["demo", "--voters", "3", "--trustees", "3", "--threshold", "2", "--seed", "1"],
    "coercion.jsonl": ["demo", "--coercion", "--voters", "3", "--coerced", "1"],
}


def main() -> int:
    CORPUS.mkdir(exist_ok=True)
    for name, args in DEMOS.items():
        with tempfile.TemporaryDirectory() as tmp:
            record = Path(tmp) / "record"
            cli = [sys.executable, "-m", "plebiscite.cli.main", *args, "--record", str(record), "--json"]
            subprocess.run(cli, check=True, capture_output=True)
            (CORPUS / name).write_bytes((record / "events.jsonl").read_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
