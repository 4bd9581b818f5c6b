"""The one error type that bad input raises, so the CLI can print it as a single line instead of a traceback."""

from __future__ import annotations


class ForensicsInputError(ValueError):
    """Input that cannot be analysed: names the file and, where known, the column, line and reason.

    Carrying the parts separately (not only a formatted string) lets tests check which column or line was
    blamed, and lets the CLI print one readable line.
    """

    def __init__(self, file: str, reason: str, *, column: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.reason = reason
        self.column = column
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """`file: line N: column 'X': reason`, leaving out the parts that are unknown."""
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        parts.append(self.reason)
        return ": ".join(parts)
