"""Writing output folders atomically: everything goes into a temporary sibling folder renamed at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ExitvoiceError


@contextmanager
def atomic_folder(out: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that replaces `out` only if the block succeeds; nothing is left half-written."""
    out = Path(out)
    if out.exists() and not force:
        raise ExitvoiceError("output folder exists (use --force to replace it)", file=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
