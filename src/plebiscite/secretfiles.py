"""Secret files at rest: written whole, readable by their owner only, and never over an existing file.

Every secret plebiscite writes — trustee vaults, voter credentials, ballot openings, the board's signing key and
administrator token — goes through here, so the rules are in one place:

* the file is created with mode 0600 (a temporary file in the same directory, ``fsync``-ed, then linked into place:
  a crash leaves either no file or the whole file, never a truncated secret);
* an existing file is **refused**, not overwritten: a second ``register`` or ``serve`` into the same directory must
  not silently replace credentials already handed out or the key whose fingerprint was published. A deliberate
  update of a secret its owner already holds (a trustee vault gaining its shares) says so with ``replace=True``;
* a directory created for secrets is mode 0700.

Errors name the path and the reason, never the content.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


class SecretFileError(ValueError):
    """A secret file cannot be written where asked (it exists, or its directory cannot be made)."""


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents for secrets, each mode 0700; existing directories are kept."""
    if path.exists() and not path.is_dir():
        raise SecretFileError(f"{path}: exists and is not a directory")
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        for directory in reversed(
            missing
        ):  # each one 0700 (mkdir's parents=True would use the umask for them)
            directory.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    except OSError as exc:
        raise SecretFileError(f"{path}: cannot create the directory ({exc.strerror})") from None
    return path


def refuse_existing(paths: list[Path]) -> None:
    """Refuse before anything is written if any of ``paths`` exists (so a batch is never half-written)."""
    present = [p for p in paths if p.exists() or p.is_symlink()]
    if present:
        more = f" (and {len(present) - 1} more)" if len(present) > 1 else ""
        raise SecretFileError(f"{present[0]}{more}: already exists; refusing to overwrite it")


def write_private_bytes(path: Path, data: bytes, replace: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically; refuse an existing ``path`` unless ``replace``."""
    if not replace:
        refuse_existing([path])
    private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the name exists, even if it appeared since the check above
            except FileExistsError:
                raise SecretFileError(f"{path}: already exists; refusing to overwrite it") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_private_text(path: Path, text: str, replace: bool = False) -> None:
    write_private_bytes(path, text.encode("utf-8"), replace)


def write_private(path: Path, data: dict[str, Any], replace: bool = False) -> None:
    """A JSON secret (see :func:`write_private_bytes`)."""
    write_private_bytes(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"), replace)


def loose_permissions(path: Path) -> str | None:
    """Why an existing secret file is too open (group or others may read or write it), or None."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return f"{path}: mode {mode:04o} lets others read it; run chmod 600 {path}"
    return None
