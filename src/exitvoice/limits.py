"""Input limits: what exitvoice refuses up front (exit code 2, the limit named) rather than fail or exhaust the machine.

Every limit lives here, named; docs/reliability.md lists them. A limit is a promise about the tool, not about the
model: they keep a mistyped date (`end = 9999-12-31`), a runaway population (`population.total = 1e20`) or a
file that is not what it claims from running for hours, allocating terabytes or printing a traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ExitvoiceError

MAX_SCENARIO_DAYS = 7305
"""Longest scenario: 20 years of days (the model is built for months to a few years of a crisis)."""

MAX_SCENARIO_FILE_BYTES = 1 << 20
"""Largest scenario file (1 MiB; the shipped ones are under 10 KiB)."""

MAX_TABLE_FILE_BYTES = 256 << 20
"""Largest observation or posterior file (256 MiB)."""

MAX_PEOPLE = 10_000_000_000
"""Largest population, and largest count in a policy (a target, an intake, a capacity): ten billion people, more
than the world's. Counts are 64-bit integers; far above this, binomial draws lose integer precision."""

MAX_CAPACITY_FACTOR = 1000.0
"""Largest change of a route's capacity by `capacity_change` factors: each factor, and the product of the factors
in force on one route on the same day. A thousand times a route's capacity is far beyond any surge on record (Upper
Lars ran at about 4 times its design in September 2022); near 1e308 a factor overflows the capacity to infinity."""

MAX_ROUTE_CAPACITY = 10_000_000
"""Largest capacity `capacity_change` may set on a route (persons or seats a day): a hundred times the widest route
of the pack (the Belarus border, at most 100,000 a day), the whole of Russia across one border in a fortnight."""

MAX_SUMMONS_PER_RECRUIT = 100.0
"""Largest `summons_per_recruit` of a mobilisation: the 2022 call-up served about 2 (`callup.summons_per_recruit`,
[1.1, 3]); summonses are the target times this, and near 1e298 that product overflows to infinity."""

MIN_DURATION_DAYS = 1e-3
"""Shortest duration (days) a policy field takes (`report_days`, a rumour's `half_life_days`): about a minute and a
half, which acts at once on the model's daily step. Nearer 0 the rate it divides overflows (1 / 5e-324 is
infinite) and a run fails."""

MIN_SIMULATED_PEOPLE = 5_000
"""Smallest simulated population (after `population.scale` and `population.regions`): below it a sample is too
coarse for the pack's shares (fewer people of working age than employed, empty regions, a target rounding to 0)."""

OUTSIDE_RANGE_WIDTHS = 10
"""With `--allow-outside-range`, how far beyond its declared range a parameter may go: this many widths of the
range (for a range of one value, this many times its size). Further out the model stops making sense and breaks:
exp() of a coefficient overflows, a billion-day processing ring asks for terabytes."""

POSITIVE_FLOOR_SHARE = 1e-3
"""With `--allow-outside-range`, the smallest value of a parameter declared positive (a duration, a half-life, a
divisor), as a share of the low end of its declared range (1.4 minutes for a delay whose range starts at a day),
for the same reason as `MIN_DURATION_DAYS`."""

MAX_SEED = 2**63 - 1
"""Largest seed (seeds are stored as 64-bit integers in Parquet outputs)."""

MAX_ENSEMBLE_MEMBERS = 100_000
"""Most members of an ensemble (memory is checked too; see `check_memory`)."""

RUN_BASE_BYTES = 256 << 20
"""Memory of a run of the whole population apart from its days (interpreter, libraries, cells, network): 238 MiB
measured with `ru_maxrss` (whole Russia pack, Nov 2026), rounded up. Smaller populations take less."""

RUN_BYTES_PER_DAY = 256 << 10
"""Memory a run adds per simulated day (records, then the frames built from them): 155 KiB measured between runs
of 20 and 120 days of the whole population, rounded up."""

ENSEMBLE_BYTES_PER_VALUE = 64
"""Memory per member and series value of an ensemble: the values (8 bytes), their quantiles and the long
`member_series` frame written at the end (date, quantity, geography, value, member)."""

SERIES_PER_DAY = 1000
"""Upper bound on the series values a run records per day (468 for the whole Russia pack)."""

MEMORY_SHARE = 0.8
"""Share of the machine's available memory a run or an ensemble may be estimated to need."""

SCHEDULER_CONNECT_SECONDS = 5.0
"""How long `--scheduler` may take to accept a connection, and then to answer Dask's handshake and say it is a
scheduler: a scheduler on a network answers in milliseconds; a service that accepts but is not Dask never does."""


_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def check_input_file(path: str | Path, limit: int, what: str) -> None:
    """Refuse, before opening it, what cannot be read as the `what` (e.g. "scenario file") at `path`.

    Nothing there; a directory, a device (`/dev/zero` never ends), a FIFO (reading one waits for a writer) or a
    socket; a file larger than `limit` bytes. Each is an `ExitvoiceError` saying what the path is.
    """
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        raise ExitvoiceError(f"no such {what}", file=str(path)) from None
    except OSError as exc:
        raise ExitvoiceError(f"cannot read the {what}: {exc.strerror or exc}", file=str(path)) from None
    article = "an" if what[0] in "aeiou" else "a"
    for test, kind in _NOT_REGULAR:
        if test(info.st_mode):
            raise ExitvoiceError(f"is {kind}, not a regular file", file=str(path), allowed=f"{article} {what}")
    if not stat.S_ISREG(info.st_mode):  # pragma: no cover - no other kind of file on POSIX
        raise ExitvoiceError("is not a regular file", file=str(path), allowed=f"{article} {what}")
    if info.st_size > limit:
        raise ExitvoiceError(f"the {what} is too large ({info.st_size:,} bytes)", file=str(path),
                             given=info.st_size, allowed=f"at most {limit:,} bytes")


def available_memory() -> int | None:
    """Memory available to a new process, in bytes (`MemAvailable` of /proc/meminfo, else physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not a POSIX system
        return None


def estimate_memory(days: int, *, members: int = 1, jobs: int = 1) -> int:
    """Estimated peak memory (bytes) of a run, or of an ensemble of `members` on `jobs` local workers."""
    run = RUN_BASE_BYTES + days * RUN_BYTES_PER_DAY
    if members <= 1:
        return run
    at_once = max(1, min(jobs, members))  # no more workers start than there are members
    return at_once * run + members * days * SERIES_PER_DAY * ENSEMBLE_BYTES_PER_VALUE


def check_memory(days: int, *, members: int = 1, jobs: int = 1, field: str = "scenario.end",
                 runs_at_once: int | None = None) -> None:
    """Refuse a run or an ensemble whose estimated memory exceeds `MEMORY_SHARE` of the available memory.

    `runs_at_once`: runs that keep no series between them (a calibration's processes), each of `days` days.
    """
    have = available_memory()
    if runs_at_once is not None:
        need = runs_at_once * estimate_memory(days)
        what = f"{runs_at_once} runs of {days} days at once"
    else:
        need = estimate_memory(days, members=members, jobs=jobs)
        what = f"{members} members of {days} days" if members > 1 else f"{days} days"
    if have is not None and need > MEMORY_SHARE * have:
        raise ExitvoiceError(f"this needs about {need / 2**30:.1f} GiB of memory ({what}), more than this machine "
                             f"has available", field=field, given=what,
                             allowed=f"an estimate below {MEMORY_SHARE:.0%} of {have / 2**30:.1f} GiB available "
                                     "(fewer days or members, or fewer --jobs)")
