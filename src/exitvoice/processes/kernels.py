"""Compiled kernels (numba) of the draws in `sampling` and of the scans of the state matrix.

Each kernel is the exact twin of a readable NumPy function, its *oracle*: it makes the same draws from the same
`numpy.random.Generator`, in the same order, with the same floating-point operations, so a run gives bit-for-bit
the same result with or without kernels (`tests/test_kernels.py` checks it draw by draw and run by run).
Kernels only remove the NumPy overheads (temporaries, fancy indexing, scans of mostly-zero dense blocks); the
law of every process is written, and read, in its NumPy form.

| kernel | oracle |
|---|---|
| `competing` | `sampling.competing_numpy` |
| `split_per_person` | `sampling._split_rows` (one categorical per mover) |
| `split_by_key` | `sampling.split_by_key_numpy` |
| `nonzero_block` | `np.nonzero(X[:, block])` |
| `scatter_add` | `np.add.at` |
| `tally` | column and row sums of the state |
| `block_sums` | `sampling.block_sums_numpy`: row sums and column sums (of some rows) of a block of the state |
| `choice_tables` | `routes._choice_numpy`: the day's route choice by key |
| `queues_balk`, `queue_totals`, `queue_entries`, `queues_serve` | `routes._queues_numpy` (balking, service) |

The queues' kernels scan and change the queue columns; the draw of who is served at a crossing over capacity (a
multivariate hypergeometric) stays NumPy's, between two kernel calls, on the same generator.

The abroad step's kernels (`trips_prime`, `trips_step`, `leavers_step`) draw the law of the NumPy
step `abroad.step_numpy` another way (returns of trips scheduled at departure, rarer outcomes by thinning), so
their oracle is that step *in law*: `tests/test_abroad_law.py` compares the two over many seeds. So does
`persons_subset`, which draws the visa-free deadlines of `abroad.step` person by person (O(people due)) with the law
of `sampling.exact_subset` (`tests/test_kernels.py` checks its moments over many seeds). They are the
abroad step itself, so they run compiled even with kernels off. Their ring of returns lives in a pool of chunks
(`new_pool`; `ring_places` counts the places in it, for tests).

The kernels live in `_compiled` and are loaded on first use (numba takes a second or two to import, which commands
that run nothing need not pay); compiled code is cached beside the sources. Set the environment variable
`EXITVOICE_KERNELS=0` to run the NumPy oracles instead (slower, same results).
"""

from __future__ import annotations

import functools
import importlib
import os

ENABLED = os.environ.get("EXITVOICE_KERNELS", "1") != "0"
KERNELS = ("competing", "split_per_person", "split_by_key", "nonzero_block", "scatter_add", "tally", "trips_prime",
           "trips_step", "leavers_step", "new_pool", "ring_places", "queues_balk", "queue_totals", "queue_entries",
           "queues_serve", "persons_subset", "choice_tables", "block_sums")



def _interruptible(fn):
    """Raise a Ctrl-C during a compiled call as the KeyboardInterrupt it is, which callers handle.

    It surfaces as SystemError ("returned a result with an exception set") with the KeyboardInterrupt behind it.
    """

    @functools.wraps(fn)
    def call(*args):
        try:
            return fn(*args)
        except SystemError as exc:
            if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            raise
    return call


def __getattr__(name: str):
    if name in KERNELS:
        fn = _interruptible(getattr(importlib.import_module("._compiled", __package__), name))
        globals()[name] = fn  # later lookups skip this hook
        return fn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
