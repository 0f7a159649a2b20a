"""Progress for Python callers: one line on standard error, rewritten in place, with the elapsed time and an ETA.

The command line draws its own bars with rich; `run`, `compare` and ensembles called from Python use this one
when standard error is a terminal (`progress="auto"`, the default), so a long call is never silent there.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class TextProgress:
    """A callable `(done, total)` that prints `description: done/total unit · elapsed · ETA` (at most once a second).

    Args:
        description: what is running.
        unit: what is counted ("days", "members").
        stream: where to print (default standard error).

    """

    def __init__(self, description: str, unit: str, stream: TextIO | None = None) -> None:
        self.description, self.unit = description, unit
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.last = -1.0

    def line(self, done: int, total: int) -> str:
        """The text shown for `done` of `total`."""
        elapsed = time.monotonic() - self.start
        eta = _clock(elapsed / done * (total - done)) if 0 < done < total else ("done" if done >= total else "…")
        shown = f"{done:.1f}" if isinstance(done, float) and not done.is_integer() else f"{done:.0f}"
        return f"{self.description}: {shown}/{total} {self.unit} · {_clock(elapsed)} elapsed · ETA {eta}"

    def __call__(self, done: int, total: int) -> None:
        """Show `done` of `total` (throttled; the last call ends the line)."""
        now = time.monotonic()
        if done < total and now - self.last < 1.0:
            return
        self.last = now
        self.stream.write("\r" + self.line(done, total) + ("\n" if done >= total else ""))
        self.stream.flush()


def resolve(progress, description: str, unit: str):
    """A progress callback from the API's `progress` argument: a callable, True, False/None, or "auto".

    "auto" prints a `TextProgress` when standard error is a terminal and is silent otherwise.
    """
    if callable(progress):
        return progress
    if progress == "auto":
        progress = sys.stderr.isatty()
    return TextProgress(description, unit) if progress is True else None
