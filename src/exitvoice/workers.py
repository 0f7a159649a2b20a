"""Local worker processes that import only exitvoice, so the Python API is safe in a script without a main guard.

`multiprocessing` with `spawn` (the safe start method with threads and BLAS) re-runs the user's script in every
worker to rebuild `__main__`; a script that calls `compare(..., jobs=2)` at top level then starts workers from its
workers and the pool breaks (`BrokenProcessPool`). Here each worker is a fresh interpreter running
`python -m exitvoice.workers`: it imports exitvoice and nothing of the caller, reads pickled tasks
`(i, module, function, args)` on its standard input and writes pickled messages on a private copy of its
standard output (what the task prints goes to standard error): `("progress", i, done, total)` while a task runs
(a task reports through `task_progress()`), then `("done", i, ok, result or error)`. `run_tasks` spreads tasks over
a pool of such workers; `BackgroundTask` runs one beside the caller's own work (a calibration's extra workers).
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator
from multiprocessing.connection import wait

from .errors import ExitvoiceError, IncompleteError

_hook = None


def task_progress():
    """The progress callback `(done, total)` of the task running now (None when nobody listens)."""
    return _hook


def set_task_progress(hook) -> None:
    """Set the callback `task_progress()` returns (for tasks run in this process)."""
    global _hook
    _hook = hook


def _start_worker() -> subprocess.Popen:
    """A fresh interpreter running the worker loop (it imports exitvoice, never the caller's `__main__`).

    The worker runs in a process group of its own: a Ctrl-C at the terminal reaches the command alone, which
    decides how its workers end (a calibration passes the Ctrl-C on, an ensemble stops its busy workers), so a
    worker never prints the traceback of a Ctrl-C that caught it starting up or between two tasks.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    group = {"process_group": 0} if os.name == "posix" else {}
    return subprocess.Popen([sys.executable, "-m", "exitvoice.workers"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env, **group)


def ending(code: int | None) -> str:
    """How a worker process ended, in words, from its exit code (a negative code is the signal that ended it)."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"ended with exit code {code}"


class BackgroundTask:
    """One task, `func(*args)`, running in its own worker process while the caller does other work.

    For work that runs beside the caller's own (a calibration's extra workers on one study): like `run_tasks`,
    the worker is a fresh interpreter that imports only exitvoice, so a script without a `__main__` guard works.
    """

    def __init__(self, func, args: tuple) -> None:
        self.proc = _start_worker()
        pickle.dump((0, func.__module__, func.__qualname__, args), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.close()  # one task: the worker ends when it is done

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.proc.pid

    def done(self) -> bool:
        """Whether the worker process has ended (its result, if any, is then ready)."""
        return self.proc.poll() is not None

    @property
    def returncode(self) -> int | None:
        """The worker's exit code once it has ended (negative: the signal that ended it), else None."""
        return self.proc.returncode

    def interrupt(self) -> None:
        """Send the worker SIGINT (Ctrl-C), if it is still running: the task decides how to end cleanly."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def result(self, *, interrupted: bool = False):
        """Wait for the task and return its result (an error in it is raised here, as in `run_tasks`).

        With `interrupted`, a worker that ended without a result (stopped by Ctrl-C) returns None instead.
        """
        try:
            while True:
                try:
                    kind, _, ok, payload = pickle.load(self.proc.stdout)
                except EOFError:
                    code = self.proc.wait()
                    if interrupted:
                        return None
                    raise IncompleteError(f"a worker process (pid {self.proc.pid}) {ending(code)} before it "
                                          "finished its task") from None
                if kind == "done":
                    break
        finally:
            self.proc.stdout.close()
            self.proc.wait()
        if not ok:
            if isinstance(payload, ExitvoiceError):
                raise payload
            raise RuntimeError(f"a worker failed:\n{payload}")
        return payload


def run_tasks(func, calls: list[tuple[int, tuple]], jobs: int, on_progress=None) -> Iterator[tuple[int, object]]:
    """Run `func(*args)` for every `(i, args)` in `jobs` worker processes; yield `(i, result)` as each finishes.

    `on_progress(i, done, total)` is called with what task i reports through `task_progress()` while it runs.

    `func` must be a module-level function of exitvoice (it is looked up by name in the worker). An exception in a
    task is raised here (an `ExitvoiceError` as itself, others as RuntimeError with the worker's traceback); the
    workers are stopped on any exit, including an exception in the caller.
    """
    module, name = func.__module__, func.__qualname__
    pending = list(reversed(calls))
    procs = [_start_worker() for _ in range(max(1, min(jobs, len(calls))))]
    busy: dict = {}
    try:
        def give(p) -> None:
            i, args = pending.pop()
            pickle.dump((i, module, name, args), p.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            p.stdin.flush()
            busy[p.stdout] = p

        for p in procs:
            if pending:
                give(p)
        while busy:
            for stream in wait(list(busy)):
                p = busy.pop(stream)
                try:
                    kind, i, ok, payload = pickle.load(stream)
                except EOFError:
                    raise IncompleteError(f"a worker process (pid {p.pid}) {ending(p.wait())} before it finished "
                                          "its task") from None
                if kind == "progress":
                    busy[stream] = p
                    if on_progress:
                        on_progress(i, ok, payload)
                    continue
                if not ok:
                    if isinstance(payload, ExitvoiceError):
                        raise payload
                    raise RuntimeError(f"a worker failed:\n{payload}")
                if pending:
                    give(p)
                yield i, payload
    finally:
        for p in procs:
            try:
                p.stdin.close()
            except OSError:
                pass
            if p.poll() is None and busy:
                p.kill()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a worker that ignores EOF
                p.kill()
            p.stdout.close()


def _serve_quietly() -> None:
    """The worker loop, ending without a traceback when its command is gone or interrupts it between two tasks.

    A Ctrl-C passed on by the command outside a task, or a command that is gone (its end of the pipe closed, a
    broken pipe), ends the worker quietly: the command says what happened, once.
    """
    try:
        _serve()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)


def _serve() -> None:
    """The worker loop: tasks in on stdin, results out on a private copy of stdout until stdin closes."""
    from exitvoice import workers as this  # run as __main__: the tasks see the module `exitvoice.workers`

    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what a task prints must not corrupt the channel
    inp = sys.stdin.buffer
    while True:
        try:
            i, module, name, args = pickle.load(inp)
        except EOFError:
            return
        def send(message, out=out) -> None:
            pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()

        this.set_task_progress(lambda done, total, i=i: send(("progress", i, done, total)))
        try:
            func = getattr(importlib.import_module(module), name)
            result = ("done", i, True, func(*args))
        except ExitvoiceError as exc:
            result = ("done", i, False, exc)
        except Exception:  # noqa: BLE001 - reported to the parent with its traceback
            result = ("done", i, False, traceback.format_exc())
        this.set_task_progress(None)
        send(result)


if __name__ == "__main__":
    _serve_quietly()
