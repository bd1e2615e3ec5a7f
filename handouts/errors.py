"""Errors that carry a location; cli.py turns them into compiler-style messages."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HandoutsError(Exception):
    """A problem with the user's input, reported as ``path:line: error: message``."""

    path: str
    """File the problem is in."""
    message: str
    """What is wrong, in words a user can act on."""
    line: int | None = None
    """1-based line number, when the problem has one."""

    def __reduce__(self):  # so that an error raised in a worker process arrives whole
        return (type(self), (self.path, self.message, self.line))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: error: {self.message}"
