"""How the service refuses: exceptions mapped to HTTP statuses, and the one JSON body parser.

Shared by the HTTP endpoints and the ballot-check worker processes (:mod:`plebiscite.board.checkers`), so a
ballot refused in a worker gets exactly the status and ``detail`` it would get if checked in the server.
"""

from __future__ import annotations

import json
from typing import Any

from plebiscite.ballot.model import BallotError
from plebiscite.board.errors import BoardError, EntryNotFoundError, InvalidArgumentError
from plebiscite.hazmat.group import GroupError
from plebiscite.proofs.common import ProofError
from plebiscite.record.signing import SignatureError
from plebiscite.record.state import PhaseError

__all__ = ["MAX_BODY", "TRUSTEE_MAX_BODY", "Refusal", "parse_json", "refusal_for"]

MAX_BODY = 1 << 20  # a ballot is a few kB; a megabyte is generous and bounds what a client can make us parse
TRUSTEE_MAX_BODY = 256 << 20
"""Trustee steps and the registrar's roll carry whole lists (a coercion-resistant pass: every ballot's row; the roll:
every voter): 256 MiB is about 600,000 yes/no ballot rows. Larger elections need streamed uploads (not built)."""


class Refusal(Exception):
    """A request refused with an HTTP status and a ``detail`` naming the field and the reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def refusal_for(exc: BaseException) -> Refusal | None:
    """The 4xx/503 for an exception raised while serving a request; None for a bug (which becomes a 500).

    Order matters: PhaseError and the check errors are ValueErrors too.
    """
    if isinstance(exc, Refusal):
        return exc
    if isinstance(exc, PhaseError):
        return Refusal(409, str(exc))
    if isinstance(exc, BallotError | ProofError | GroupError | SignatureError):
        return Refusal(422, str(exc))
    if isinstance(exc, EntryNotFoundError):
        return Refusal(404, str(exc))
    if isinstance(exc, InvalidArgumentError | ValueError):
        return Refusal(400, str(exc))
    if isinstance(
        exc, BoardError | TimeoutError
    ):  # storage trouble: the client may retry (casting is idempotent)
        return Refusal(503, f"board: {exc}")
    return None


def parse_json(body: bytes) -> Any:
    """Parse a request body; raises :class:`Refusal` (400) saying why it is not acceptable JSON."""
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refusal(400, f"body: not valid JSON ({getattr(exc, 'msg', 'bad encoding')})") from None
    except RecursionError:
        raise Refusal(400, "body: JSON nested too deeply") from None
    except ValueError:  # e.g. an integer literal longer than Python's 4300-digit limit
        raise Refusal(400, "body: JSON number too large") from None
