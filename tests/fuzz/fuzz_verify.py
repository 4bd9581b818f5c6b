"""Coverage-guided fuzzing of the record reader and the verifier (atheris, libFuzzer's engine).

Each input is the ``events.jsonl`` of a record; the seeds in ``tests/fuzz/corpus/`` are small finished elections
of both modes (``make_corpus.py``), so libFuzzer's byte mutations land in hex digits, numbers, keys and lines of
real records. Two properties, either of which stops the run with the offending input saved:

* the reader and the verifier never crash: a malformed record is a named ``RecordError``, anything readable gets a
  report (any other exception is a crash);
* a changed record never verifies: if the report says VERIFIED, the input must be one of the seeds, byte for byte.

Run: ``.venv/bin/python tests/fuzz/fuzz_verify.py WORKDIR -max_total_time=600`` with WORKDIR a copy of the corpus
(libFuzzer adds the inputs it finds interesting to the first directory it is given; keep the repository's clean).
``tests/fuzz/test_fuzz_short.py`` runs it briefly in CI.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["plebiscite"]):
    from plebiscite.record import store
    from plebiscite.verify.runner import verify_record

CORPUS = Path(__file__).parent / "corpus"
SEEDS = {p.read_bytes() for p in CORPUS.glob("*.jsonl")}
WORK = Path(tempfile.mkdtemp(prefix="plebiscite-fuzz-"))
store.create(WORK)
EVENTS = WORK / store.EVENTS_FILE


def one_input(data: bytes) -> None:
    EVENTS.write_bytes(data)
    try:
        # The seeds are events only: the fuzzer aims at the checks of the events; signed heads (checks 18, 19)
        # would make every changed input fail for one reason and hide the rest.
        report = verify_record(WORK, workers=1, allow_unsigned=True)
    except store.RecordError:
        return
    if report.ok and data not in SEEDS:
        raise AssertionError("a changed record verified")


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
