"""Writing output folders safely: checked before any work, written atomically, replaced only if exitvoice wrote it.

Every folder exitvoice writes carries a marker file (`MARKER`). `--force` replaces an existing folder only when it
carries the marker (or a `summary.json`, as folders written before the marker existed do), and never the current
directory, the home directory, the root or a parent of the current directory. `check_output` applies these rules
up front, so a mistake in `--out` is refused before a simulation runs, not after; `atomic_folder` applies them again
at the end and writes into a temporary sibling folder renamed into place, so nothing is left half-written.
"""

from __future__ import annotations

import contextvars
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ExitvoiceError

MARKER = ".exitvoice-output"
PARTIAL = ".exitvoice-partial"  # in a folder being written, until it replaces its target
"""The file that marks a folder as written by exitvoice (and so replaceable with `--force`)."""

CLI_WORDING: contextvars.ContextVar[bool] = contextvars.ContextVar("exitvoice_cli_wording", default=False)
"""Set by the command line: a refusal of an output says `--out` and `--force`, as the user typed them, where a
Python caller reads `output folder` and `force=True`."""

_OURS = (MARKER, "summary.json")
# What a folder written before the marker existed may hold (a run, an ensemble, a validation or a comparison).
_LEGACY = {"summary.json", "timeseries.parquet", "regions.parquet", "cells.parquet", "scenario.toml", "scenario.json",
           "plots", "validation", "members.parquet", "timeseries_quantiles.parquet", "scorecard.csv", "scorecard.json",
           "scorecard.png", "comparison.csv", "comparison.json", "comparison.md", "findings.md"}


def _foreign(out: Path) -> list[str]:
    """Entries of the folder `out` that exitvoice did not write there (the marker lists what it wrote)."""
    marker = out / MARKER
    if marker.is_file():
        lines = marker.read_text().splitlines()
        ours = {ln[2:] for ln in lines if ln.startswith("- ")} | {MARKER}
        if len(ours) == 1:  # a marker that lists nothing (written before the list): the legacy names
            ours |= _LEGACY
    else:
        ours = set(_LEGACY)
    # a folder that carries the marker was written by exitvoice too (a run folder's `validation/`)
    return sorted(p.name for p in out.iterdir()
                  if p.name not in ours and not (p.is_dir() and not p.is_symlink() and (p / MARKER).is_file()))


def record_written(folder: Path, name: str) -> None:
    """Add `name`, written into the exitvoice folder `folder` by a later command, to what its marker lists."""
    marker = folder / MARKER
    if not marker.is_file():
        return
    text = marker.read_text()
    if f"- {name}\n" not in text.splitlines(keepends=True) and "holds:" in text:
        marker.write_text(text + f"- {name}\n")


def _protected(path: Path) -> str | None:
    """Why `path` may never be replaced, or None."""
    cwd = Path.cwd().resolve()
    if path == Path(path.anchor):
        return "the root directory"
    if path == Path.home().resolve():
        return "the home directory"
    if path == cwd:
        return "the current directory"
    if path in cwd.parents:
        return "a parent of the current directory"
    return None


def what_is(path: Path) -> str:
    """What stands at `path`, in words: a symbolic link (and where it points), a file, a folder, a FIFO."""
    import stat

    if path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"a symbolic link (to {target}{', which does not exist' if not path.exists() else ''})"
    try:
        mode = path.stat().st_mode
    except OSError:
        return "nothing"
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISREG, "a file"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "something that is not a file or a folder"  # pragma: no cover - no other kind on POSIX


def _force(field: str) -> str:
    """How the caller says "replace": `--force` on the command line, `force=True` in Python."""
    return "--force" if field.startswith("--") or CLI_WORDING.get() else "force=True"


def _field(python: str) -> str:
    """The name of the output in a message: `--out` on the command line, `python` ("output folder") in Python."""
    return "--out" if CLI_WORDING.get() else python


def check_output(out: str | Path, *, force: bool = False, field: str = "--out", replacing: str | None = None,
                 inputs=()) -> Path:
    """Check that the output folder `out` can be written, before any work is done; return it.

    Refused (ExitvoiceError, exit code 2): an empty path; the root, the home directory, the current directory or
    one of its parents; a symbolic link, a file or anything else that is not a folder; an existing folder without
    `force`; with `force`, a folder that exitvoice did not write (no marker file, no `summary.json`) or that holds
    files it did not write; a parent that is a file or is not writable. `replacing` says what replaces the folder
    when it is not `force` (a resumed calibration replaces its own outputs): "resuming". `inputs`: what the
    command reads, which the folder may neither be nor hold (`check_not_input`).
    """
    how = replacing or _force(field)
    if str(out).strip() == "":
        raise ExitvoiceError("the output folder is empty", field=field, given=str(out),
                             allowed="a folder path, e.g. results/run1")
    out = Path(out).expanduser()
    resolved = out.resolve()
    why = _protected(resolved)
    if why:
        raise ExitvoiceError(f"refusing to write over {why}", field=field, given=str(out),
                             allowed=f"a new folder, or one exitvoice wrote earlier (with {_force(field)})")
    check_not_input(out, inputs, field=field)
    _refuse_link(out, field, "folder")
    if out.exists():
        if not out.is_dir():
            raise ExitvoiceError(f"{what_is(out)} (not a folder exitvoice wrote) is in the way", field=field,
                                 given=str(out),
                                 allowed=f"a new folder, or one exitvoice wrote earlier (with {_force(field)})")
        if not force:
            raise ExitvoiceError(f"output folder exists (use {_force(field)} to replace it)", field=field,
                                 given=str(out))
        if not any((out / m).is_file() for m in _OURS):
            raise ExitvoiceError(f"the folder exists and was not written by exitvoice; {how} replaces only "
                                 "exitvoice's own output folders", field=field, given=str(out),
                                 allowed=f"a new folder, or one holding exitvoice's marker file {MARKER}")
        foreign = _foreign(out)
        if foreign:
            raise ExitvoiceError(f"the folder holds files exitvoice did not write there; {how} would delete them",
                                 field=field, given=f"{out} ({', '.join(foreign[:5])})",
                                 allowed="move them away first, or write to a new folder")
    _check_parent(out, resolved, field)
    return out


def check_not_input(out: str | Path, inputs, *, field: str = "--out") -> None:
    """Refuse an output folder that is one of the command's inputs, or holds one: replacing it would delete it.

    `inputs`: the files and folders the command reads (None and missing paths are skipped). An output inside an
    input folder is fine (`validate RUN` writes `RUN/validation`).
    """
    target = Path(out).expanduser().resolve()
    for item in inputs:
        if item is None or str(item).strip() == "":
            continue
        path = Path(item).expanduser()
        if not (path.exists() or path.is_symlink()):
            continue
        resolved = path.resolve()
        if resolved == target or target in resolved.parents:
            what = "is" if resolved == target else "holds"
            raise ExitvoiceError(f"the output folder {what} an input of this command: writing it would delete "
                                 f"{'it' if resolved == target else 'the input'}", field=field, given=str(out),
                                 allowed=f"an output folder apart from the inputs ({item})")


def _check_parent(out: Path, resolved: Path, field: str) -> None:
    """The nearest existing parent of `out` is a folder we can write into."""
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ExitvoiceError("a file stands where a parent folder should be", field=field, given=str(out),
                             allowed=f"a path whose parents are folders ({parent} is a file)")
    try:  # try it: permission bits say nothing for root, nor for /proc or /sys
        probe = tempfile.mkdtemp(prefix=".exitvoice-probe.", dir=parent)
    except OSError:
        raise ExitvoiceError("the parent folder is not writable", field=field, given=str(out),
                             allowed=f"a path under a folder you can write ({parent} is read-only)") from None
    os.rmdir(probe)


def json_text(obj: object) -> str:
    """`obj` as standard JSON (indented, newline-terminated): a NaN or infinite number is written as null.

    Python's `json` writes `NaN` and `Infinity`, which are not JSON and which many readers refuse; a
    non-finite number in an output means "no value", so it is written as one.
    """
    def tidy(x: object) -> object:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: tidy(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [tidy(v) for v in x]
        if hasattr(x, "item") and hasattr(x, "dtype"):  # a numpy scalar
            return tidy(x.item())
        return x

    return json.dumps(tidy(obj), indent=2, default=str, allow_nan=False) + "\n"


def _clean_stale(out: Path) -> None:
    """Remove temporary folders an interrupted write of `out` left behind (only those still marked partial).

    A finished folder, even one named like a temporary one (`.name.v1`), is never removed: only a folder whose
    write never completed carries `PARTIAL`.
    """
    for stale in out.parent.glob(f".{out.name}.*"):
        if stale.is_dir() and not stale.is_symlink() and (stale / PARTIAL).is_file():
            shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def atomic_folder(out: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that replaces `out` only if the block succeeds; nothing is left half-written.

    The rules of `check_output` are applied first (again, since a Python caller may not have checked).
    """
    out = check_output(out, force=force, field=_field("output folder")).resolve()  # no '..' through a symlink
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / PARTIAL).write_text("being written by exitvoice; removed if the write was interrupted\n")
        (tmp / MARKER).write_text("written by exitvoice; `--force` may replace this folder\n")
        yield tmp
        names = sorted(p.name for p in tmp.iterdir() if p.name not in (MARKER, PARTIAL))
        (tmp / MARKER).write_text("written by exitvoice; `--force` may replace this folder, which holds:\n"
                                  + "".join(f"- {n}\n" for n in names))
        if out.exists():
            check_output(out, force=force, field=_field("output folder"))
            shutil.rmtree(out)
        (tmp / PARTIAL).unlink()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _refuse_link(out: Path, field: str, kind: str) -> None:
    """Refuse a symbolic link at an output path (`kind`: folder or file).

    A link is never written through nor replaced: its target may lie anywhere.
    """
    if out.is_symlink():
        raise ExitvoiceError(f"{what_is(out)} is in the way; exitvoice neither writes through a link nor replaces "
                             "one", field=field, given=str(out),
                             allowed=f"a new {kind}, or one exitvoice wrote earlier; to write where the link points, "
                                     "give that path")


def check_output_file(out: str | Path, *, force: bool = False, field: str = "--out", marker: str = "") -> Path:
    """Check that the output file `out` can be written, before any work is done; return it.

    Refused (ExitvoiceError): an empty path; a folder; an existing file without `force`; with `force`, a file that
    exitvoice did not write (its first 4 KiB do not hold `marker`); a parent that is a file or is not writable.
    """
    if str(out).strip() == "":
        raise ExitvoiceError("the output file is empty", field=field, given=str(out), allowed="a file path")
    out = Path(out).expanduser()
    _refuse_link(out, field, "file")
    if out.is_dir():
        raise ExitvoiceError("a folder is in the way", field=field, given=str(out), allowed="a file path")
    if out.exists() and not out.is_file():  # a FIFO would block the read below, a device never end
        raise ExitvoiceError(f"{what_is(out)} is in the way", field=field, given=str(out), allowed="a file path")
    if out.exists():
        if not force:
            raise ExitvoiceError(f"output file exists (use {_force(field)} to replace it)", field=field,
                                 given=str(out))
        with open(out, "rb") as fh:
            head = fh.read(4096)
        if out.is_symlink() or not out.is_file() or marker.encode() not in head:
            raise ExitvoiceError(f"the file exists and was not written by exitvoice; {_force(field)} replaces only "
                                 "exitvoice's own files", field=field, given=str(out), allowed="a new file")
    _check_parent(out, out.resolve(), field)
    return out


@contextmanager
def atomic_file(out: str | Path, *, force: bool = False, marker: str = "") -> Iterator[Path]:
    """Yield a temporary file path that replaces `out` only if the block succeeds (rules of `check_output_file`)."""
    out = check_output_file(out, force=force, field=_field("output file"), marker=marker)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if out.exists():
            check_output_file(out, force=force, field=_field("output file"), marker=marker)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
