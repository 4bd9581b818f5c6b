"""A stand-in for ``plebiscite serve`` that speaks the board API the booth is written against.

It exists so the booth's browser tests can run before (or without) the real service: the election logic is the
real core (:class:`plebiscite.conduct.Conduct`, the real Merkle tree and signed tree heads), only the HTTP layer
and storage are simplified (a record directory plus an in-memory tree). It serves the booth's static files with
the headers the booth asks of the real service (:data:`plebiscite.booth.SECURITY_HEADERS`), so that a CSP
violation shows up in the tests. ``POST /test/finish`` (close, tally, decrypt, publish) exists only here.

Run: ``python tests/booth/stub_server.py --workdir DIR --port N [--voters 3] [--simple]``; credential files are
written to ``DIR/credentials/``.
"""

from __future__ import annotations

import argparse
import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import nacl.signing
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from plebiscite.ballot.challenge import describe
from plebiscite.ballot.model import BallotError
from plebiscite.booth import SECURITY_HEADERS, STATIC_DIR
from plebiscite.conduct import Conduct, FileSink, cast_ballots
from plebiscite.hazmat.group import GroupError
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.merkle import MerkleTree, leaf_hash, sign_tree_head
from plebiscite.proofs.common import ProofError
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.state import PhaseError
from plebiscite.setup.credentials import Credential
from plebiscite.setup.samples import referendum


class TreeSink:
    """Appends each event to the record directory and to the board's Merkle tree."""

    def __init__(self, file: FileSink, tree: MerkleTree, leaves: list[bytes]) -> None:
        self.file = file
        self.tree = tree
        self.leaves = leaves

    def append(self, event: ev.Event) -> None:
        self.file.append(event)
        self.tree.append(leaf_hash(event.raw))
        self.leaves.append(event.raw)


class Election:
    def __init__(self, workdir: Path, voters: int, simple: bool) -> None:
        self.lock = threading.Lock()
        record = workdir / "record"
        manifest = referendum("booth-test", extra_questions=not simple)
        self.trustees = [Trustee.new(1, 1, 1)]
        conduct = Conduct.create_record(record, manifest, [self.trustees[0].identity], 1)
        conduct.run_ceremony(self.trustees)
        creds = [Credential.generate(manifest.election_id) for _ in range(voters)]
        conduct.register([c.public_key for c in creds])
        conduct.open_voting()
        out = workdir / "credentials"
        out.mkdir(parents=True, exist_ok=True)
        for i, c in enumerate(creds, start=1):
            (out / f"credential-{i}.json").write_text(json.dumps(c.to_json()))
        self.record = record
        events = store.read(record)
        self.election_payload = next(e.payload for e in events if e.type == ev.ELECTION)
        self.leaves = [e.raw for e in events]
        self.tree = MerkleTree(leaf_hash(raw) for raw in self.leaves)
        assert isinstance(conduct.sink, FileSink)
        conduct.sink = TreeSink(conduct.sink, self.tree, self.leaves)
        self.conduct = conduct
        self.board_key = nacl.signing.SigningKey.generate()
        self.index_of: dict[str, int] = {}

    def head(self, size: int | None = None) -> dict[str, Any]:
        size = self.tree.size if size is None else size
        sth = sign_tree_head(self.board_key, size, self.tree.root(size), int(time.time() * 1000))
        return json.loads(sth.to_json())

    def inclusion(self, index: int, size: int | None = None) -> tuple[dict[str, Any], list[str]]:
        head = self.head(size)
        return head, [h.hex() for h in self.tree.inclusion_proof(index, head["tree_size"])]


def create_app(election: Election) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers[k] = v
        return response

    @app.exception_handler(BallotError)
    @app.exception_handler(ProofError)
    @app.exception_handler(GroupError)
    @app.exception_handler(ValueError)
    async def bad_request(_request: Request, exc: Exception) -> JSONResponse:
        status = 409 if isinstance(exc, PhaseError) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def state() -> Conduct:
        return election.conduct

    @app.get("/api/election")
    def get_election() -> dict[str, Any]:
        s = state().state
        return {"manifest": s.manifest_payload, "election": election.election_payload, "phase": s.phase}

    @app.get("/api/roll")
    def get_roll() -> dict[str, Any]:
        return {"credentials": sorted(k.hex() for k in state().state.roll)}

    @app.post("/api/ballots")
    async def post_ballot(request: Request) -> dict[str, Any]:
        body = await request.json()
        with election.lock:
            result = state().cast(body)
            head, proof = election.inclusion(result.index)
        return {
            "tracking_code": result.tracking_code,
            "index": result.index,
            "tree_head": head,
            "inclusion_proof": proof,
            "board_key": election.board_key.verify_key.encode().hex(),
            "leaf": election.leaves[result.index].hex(),
        }

    @app.post("/api/challenges")
    async def post_challenge(request: Request) -> dict[str, Any]:
        body = await request.json()
        if not isinstance(body, dict) or set(body) != {"ballot", "opening"}:
            raise HTTPException(400, "body: expected keys ballot and opening")
        with election.lock:
            code, plain = state().challenge(body["ballot"], body["opening"])
        return {"tracking_code": code, "choices": describe(state().context, plain)}

    @app.get("/api/board/head")
    def get_head() -> dict[str, Any]:
        with election.lock:
            return election.head()

    @app.get("/api/board/inclusion")
    def get_inclusion(
        tracking_code: str | None = None, index: int | None = None, size: int | None = None
    ) -> dict[str, Any]:
        with election.lock:
            if tracking_code is not None:
                index = state().state.ballots.get(tracking_code.lower())
                if index is None:
                    raise HTTPException(404, "tracking_code: no ballot with this tracking code")
            if index is None or not 0 <= index < (size or election.tree.size) <= election.tree.size:
                raise HTTPException(400, "index: give a tracking code, or an index inside the tree")
            head, proof = election.inclusion(index, size)
            return {
                "index": index,
                "tree_size": head["tree_size"],
                "proof": proof,
                "tree_head": head,
                "leaf": election.leaves[index].hex(),
            }

    @app.get("/api/board/consistency")
    def get_consistency(first: int, second: int) -> dict[str, Any]:
        with election.lock:
            if not 0 <= first <= second <= election.tree.size:
                raise HTTPException(400, "first: must not exceed second, nor second the board's size")
            proof = election.tree.consistency_proof(first, second)
        return {"first": first, "second": second, "proof": [h.hex() for h in proof]}

    @app.get("/api/board/key")
    def get_key() -> dict[str, str]:
        return {"public_key": election.board_key.verify_key.encode().hex()}

    @app.get("/api/result")
    def get_result() -> dict[str, Any]:
        result = state().state.result
        if result is None:
            raise HTTPException(404, "result: not published yet")
        return result

    @app.get("/api/record.zip")
    def get_record() -> Response:
        buf = io.BytesIO()
        tmp = election.record.parent / "record.zip"
        store.export_zip(election.record, tmp)
        buf.write(tmp.read_bytes())
        return Response(buf.getvalue(), media_type="application/zip")

    @app.post("/test/finish")
    def finish() -> dict[str, Any]:
        with election.lock:
            c = state()
            c.close()
            c.tally(cast_ballots(store.read(election.record), c.context))
            for t in election.trustees:
                c.decrypt(t)
            return c.combine()

    app.mount("/booth", StaticFiles(directory=STATIC_DIR, html=True), name="booth")
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--voters", type=int, default=3)
    parser.add_argument("--simple", action="store_true", help="only the yes/no question")
    args = parser.parse_args()
    election = Election(args.workdir, args.voters, args.simple)
    uvicorn.run(create_app(election), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
