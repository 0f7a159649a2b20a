"""A mutation score for processes/ and policies/ from a random sample of their mutants.

    python scripts/mutate_sample.py [--sample 120] [--seed 1] [--out benchmarks/mutation_sample.md]
                                    [--max-children 1] [--reuse none|killed|all] [--dry-run]

The full `make mutate` run holds about 6,400 mutants and takes days on two cores. This script lets mutmut 3
(settings in `[tool.mutmut]` of pyproject.toml) generate every mutant without testing any, reads their names from
the `mutants/` tree mutmut writes, draws a simple random sample of `--sample` of them with `random.Random(seed)`,
runs only those (`mutmut run NAME ...`, with EXITVOICE_KERNELS=0 as `make mutate` has it), and writes a table to
`--out` (replaced atomically): per module the mutants it has, how many were drawn, and their verdicts; overall the
estimated mutation score with a 95% Wilson interval, and the number of killed mutants that implies out of all of
them.

The sample is the first `--sample` names of one seeded shuffle of all the names, so a larger sample with the same
seed holds the smaller one (with `--reuse all` only the new names are run). The
score counts killed and timed-out mutants as detected and everything else drawn (survived, no tests, suspicious)
as not; a mutant left unchecked (an interrupted run) is left out of the score and the table says so: mutmut runs
the quick mutants first, so an interrupted run is no longer a random sample.

By default every drawn mutant is run. `--reuse killed` keeps the killed and timed-out verdicts mutmut has cached
in `mutants/` for the drawn names and runs only the others: use it when the tests have since been added to, not
changed or removed. `--reuse all` keeps every cached verdict and runs only the drawn mutants never checked: use it
to grow a sample when neither src/ nor tests/ changed. (mutmut itself forgets the verdicts of a function whose
source changed.)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
Z95 = 1.959963984540054
DETECTED = ("killed", "timeout")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion k/n (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def generate_mutants(max_children: int) -> None:
    """Have mutmut write its mutants and their `.meta` files under `mutants/`, running no test."""
    from mutmut.__main__ import create_mutants
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir

    Path("mutants").mkdir(exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):  # mutmut names every file it copies or mutates
        copy_src_dir()
        copy_also_copy_files()
        create_mutants(max_children)


def mutant_verdicts() -> dict[str, str]:
    """Every mutant's name and mutmut's cached verdict for it ('not checked' when none)."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    verdicts = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, code in data.exit_code_by_key.items():
            verdicts[name] = status_by_exit_code[code]
    return verdicts


def module_of(name: str) -> str:
    """`exitvoice.processes.routes.x_f__mutmut_3` -> `processes/routes.py`."""
    from mutmut.utils.format_utils import get_module_from_key, mangled_name_from_mutant_name

    module = get_module_from_key(mangled_name_from_mutant_name(name))
    return module.removeprefix("exitvoice.").replace(".", "/") + ".py"


def draw(names: list[str], size: int, seed: int) -> list[str]:
    """The first `size` names of a seeded shuffle of all of them (a simple random sample; nested in `size`)."""
    order = sorted(names)
    random.Random(seed).shuffle(order)
    return order[:size]


PHASES = ("Generating mutants", "Running stats", "Listing all tests", "Running clean tests",
          "Running forced fail test", "Running mutation testing")
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def run_logged(cmd: list[str], env: dict[str, str]) -> tuple[int, dict[str, float]]:
    """Run mutmut, passing on its output without the spinner frames; return its exit code and the seconds each of
    its phases took (a phase runs from its first status line to the next phase's)."""
    started: dict[str, float] = {}
    t0 = time.monotonic()
    last_progress = -math.inf
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    buf = b""
    while chunk := proc.stdout.read1(4096):
        buf += chunk
        *parts, buf = buf.replace(b"\r", b"\n").split(b"\n")
        for raw in parts:
            text = raw.decode(errors="replace").strip()
            body = text[1:].strip() if text and text[0] in SPINNER else text
            phase = next((ph for ph in PHASES if body.startswith(ph)), None)
            now = time.monotonic()
            if phase and phase not in started:
                started[phase] = now - t0
                print(f"   [{now - t0:6.0f} s] {phase}", flush=True)
            elif phase:
                continue
            elif body[:1].isdigit() and "/" in body.split(" ")[0]:  # the progress line, e.g. 12/40 🎉 11 ...
                if now - last_progress >= 60:
                    print(f"   [{now - t0:6.0f} s] {body}", flush=True)
                    last_progress = now
            elif body and not body.startswith(("src/", "also copying")):
                print(f"   {body}", flush=True)
    code = proc.wait()
    end = time.monotonic() - t0
    order = sorted(started, key=started.get)
    phases = {f"phase:{ph}": (started[nxt] if nxt else end) - started[ph]
              for ph, nxt in zip(order, [*order[1:], None], strict=True)}
    return code, phases


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "tests"], capture_output=True,
                               text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + (" (with uncommitted changes to src/ or tests/)" if dirty.stdout.strip() else "")


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report(sample: list[str], verdicts: dict[str, str], args: argparse.Namespace, times: dict[str, float],
           ran: list[str], durations: dict[str, float], commit: str) -> str:
    per_module_total = Counter(module_of(n) for n in verdicts)
    rows = {m: Counter() for m in per_module_total}
    for name in sample:
        rows[module_of(name)][verdicts[name]] += 1
    total = len(verdicts)

    def line(label: str, n_all: int, c: Counter) -> str:
        drawn = sum(c.values())
        checked = drawn - c["not checked"]
        detected = sum(c[s] for s in DETECTED)
        other = checked - detected - c["survived"] - c["no tests"]
        if checked:
            lo, hi = wilson(detected, checked)
            score = f"{pct(detected / checked)} ({pct(lo)}–{pct(hi)})"
        else:
            score = "–"
        return (f"| {label} | {n_all:,} | {drawn} | {c['killed']} | {c['timeout']} | {c['survived']} | "
                f"{c['no tests']} | {other} | {c['not checked']} | {score} |")

    overall = Counter()
    for c in rows.values():
        overall.update(c)
    checked = len(sample) - overall["not checked"]
    detected = sum(overall[s] for s in DETECTED)
    lo, hi = wilson(detected, checked)
    score = detected / checked if checked else float("nan")

    out = [
        "# Sampled mutation score of processes/ and policies/",
        "",
        f"Written by `scripts/mutate_sample.py --sample {args.sample} --seed {args.seed}` "
        f"(`make mutate-sample SAMPLE={args.sample} SEED={args.seed}`) on {date.today().isoformat()}, "
        f"mutmut {version('mutmut')}, commit {commit}, EXITVOICE_KERNELS=0.",
        "",
        f"A simple random sample of {len(sample)} of the {total:,} mutants mutmut makes of `processes/` and "
        f"`policies/` (`[tool.mutmut]` in pyproject.toml), drawn with seed {args.seed}, each run against the fast "
        "mechanism tests. Detected = killed or timed out; survived, no tests and other (suspicious, segfault) count "
        "as not detected. Intervals are 95% Wilson intervals.",
        "",
        "| module | mutants | sampled | killed | timeout | survived | no tests | other | not checked "
        "| detected in sample (95% interval) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    out += [line(f"`{m}`", per_module_total[m], rows[m]) for m in sorted(rows)]
    out.append(line("**all**", total, overall))
    out.append("")
    if checked:
        out.append(f"**Estimated mutation score: {pct(score)} (95% interval {pct(lo)}–{pct(hi)}),** "
                   f"{detected} of {checked} sampled mutants detected; extrapolated, about "
                   f"{round(score * total):,} ({round(lo * total):,}–{round(hi * total):,}) of the {total:,} "
                   "mutants are killed.")
        reached = checked - overall["no tests"]
        if overall["no tests"] and reached:
            rlo, rhi = wilson(detected, reached)
            out.append("")
            out.append(f"Leaving out the {overall['no tests']} sampled mutants no selected test reaches: "
                       f"{pct(detected / reached)} ({pct(rlo)}–{pct(rhi)}) of {reached}.")
    if overall["not checked"]:
        out.append("")
        out.append(f"**Incomplete:** {overall['not checked']} sampled mutants were not checked (interrupted run). "
                   "mutmut runs the quick mutants first, so the checked ones are not a random sample and the score "
                   "above is biased.")
    not_detected = sorted(n for n in sample if verdicts[n] not in DETECTED and verdicts[n] != "not checked")
    out += ["", "## Not detected", ""]
    if not_detected:
        out += [f"- `{n}` ({verdicts[n]}; `mutmut show {n}`)" for n in not_detected]
    else:
        out.append("None.")
    out += ["", "## Times", "",
            f"- generating all mutants (mutmut, no tests): {times.get('generate', 0):.0f} s",
            f"- `mutmut run` of {len(ran)} sampled mutants: {times.get('run', 0):.0f} s wall, of which the "
            f"mutants' own test runs took {sum(durations.get(n, 0.0) for n in ran):.0f} s"]
    out += [f"  - {key.removeprefix('phase:')}: {secs:.0f} s" for key, secs in times.items()
            if key.startswith("phase:")]
    if len(ran) < len(sample):
        out.append(f"- {len(sample) - len(ran)} sampled mutants kept the verdict cached by an earlier run "
                   f"(`--reuse {args.reuse}`)")
    return "\n".join(out) + "\n"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=120, help="how many mutants to draw (default 120)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the draw (default 1)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/mutation_sample.md"))
    parser.add_argument("--max-children", type=int, default=1, help="mutmut worker processes (default 1)")
    parser.add_argument("--reuse", choices=("none", "killed", "all"), default="none",
                        help="cached verdicts to keep: none (default), killed (and timeout), all")
    parser.add_argument("--dry-run", action="store_true", help="generate and draw, print the names, run nothing")
    args = parser.parse_args(argv)
    out = args.out if args.out.is_absolute() else ROOT / args.out
    os.chdir(ROOT)  # mutmut reads pyproject.toml and writes mutants/ in the working directory

    commit = git_commit()  # the code mutmut copies now
    times = {}
    t0 = time.monotonic()
    print("== generating mutants (no tests run)", flush=True)
    generate_mutants(args.max_children)
    times["generate"] = time.monotonic() - t0
    verdicts = mutant_verdicts()
    if args.sample < 1 or args.sample > len(verdicts):
        parser.error(f"--sample must be between 1 and {len(verdicts)}")
    sample = draw(list(verdicts), args.sample, args.seed)
    print(f"   {len(verdicts)} mutants in {times['generate']:.0f} s; drew {len(sample)} with seed {args.seed}",
          flush=True)
    if args.dry_run:
        print("\n".join(sample))
        return 0

    keep = {"none": (), "killed": DETECTED}.get(args.reuse)
    to_run = [n for n in sample if verdicts[n] == "not checked" or (keep is not None and verdicts[n] not in keep)]
    if to_run:
        print(f"== mutmut run of {len(to_run)} mutants", flush=True)
        env = {**os.environ, "EXITVOICE_KERNELS": "0"}  # mutate the NumPy processes, not their compiled twins
        cmd = [str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(args.max_children),
               *to_run]
        t0 = time.monotonic()
        code, phases = run_logged(cmd, env)
        times["run"] = time.monotonic() - t0
        times.update(phases)
        if code != 0:
            print(f"mutmut run exited with {code}; writing what it recorded", file=sys.stderr)

    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.utils.file_utils import walk_mutatable_files

    durations = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        durations.update({k: v for k, v in data.durations_by_key.items() if k in set(to_run)})
    text = report(sample, mutant_verdicts(), args, times, to_run, durations, commit)
    write_atomically(out, text)
    print(text)
    print(f"== wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
