"""`plebiscite witness init` and `plebiscite witness run`: cosign a board's tree heads (docs/board.md §4)."""

from __future__ import annotations

from pathlib import Path

import typer

from plebiscite.cli.common import console, fail

witness_app = typer.Typer(
    help="An independent witness: cosigns the board's tree heads after checking them (docs/board.md §4).",
    no_args_is_help=True,
)


@witness_app.command("init")
def init(
    state: Path = typer.Option(..., help="Witness state directory to create (mode 0700)."),
) -> None:
    """Make a witness: a fresh Ed25519 key (STATE/witness-key.hex, 0600) and an empty state; print its public key.

    Give the public key to the organiser, who names it in the manifest (`plebiscite init --witness-key`).
    """
    from plebiscite.witness.state import KEY_FILE, WitnessStateError, init_state

    try:
        public = init_state(state)
    except (WitnessStateError, OSError) as exc:
        fail(str(exc))
    console.print(f"witness public key: {bytes(public).hex()}", highlight=False)
    console.print(f"secret: {state / KEY_FILE} (mode 0600: keep it, never publish it)", highlight=False)


@witness_app.command("run")
def run(
    state: Path = typer.Option(..., help="The state directory `witness init` made."),
    board: str = typer.Option(..., help="Board base URL, e.g. http://127.0.0.1:8000"),
    board_key: str = typer.Option(..., help="The board's published Ed25519 public key (hex)."),
    interval: float = typer.Option(
        0.5,
        min=0.05,
        help="Seconds between polls; below the board's checkpoint period, so no head is missed.",
    ),
    once: bool = typer.Option(False, "--once", help="One round, then exit (status 3 if a head was refused)."),
) -> None:
    """Poll the board; cosign each new head that is signed by BOARD_KEY and consistent with the last one cosigned.

    A refused head (a second root for one size, a smaller or inconsistent tree) is never cosigned: the evidence is
    saved as STATE/fork-evidence-*.json and reported in red. Stop with Ctrl-C; restarting resumes from the state.
    """
    import httpx

    from plebiscite.canonical import hex_bytes
    from plebiscite.witness.service import Outcome, Witness
    from plebiscite.witness.state import WitnessState, WitnessStateError, load_key

    try:
        key = hex_bytes(board_key.strip().lower(), 32, "--board-key")
    except ValueError as exc:
        fail(str(exc))
    refused = False

    def report(outcome: Outcome) -> None:
        nonlocal refused
        colour = {"refused": "bold red", "error": "yellow"}.get(outcome.status)
        refused = refused or outcome.status == "refused"
        text = f"[{colour}]{outcome.status}:[/] " if colour else f"{outcome.status}: "
        console.print(text + outcome.message, highlight=False)

    try:
        signing_key = load_key(state)
        witness_state = WitnessState(state)
    except (WitnessStateError, OSError) as exc:
        fail(str(exc))
    try:
        with httpx.Client(base_url=board, timeout=30.0) as client:
            witness = Witness(state, witness_state, signing_key, client, key)
            console.print(f"witness {witness.public_key} watching {board}", highlight=False)
            witness.run(interval, report, rounds=1 if once else None)
    except WitnessStateError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass
    finally:
        witness_state.close()
    if refused and once:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")
