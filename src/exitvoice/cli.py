"""Command-line interface: thin — parse, call the API, print with rich.

A user's mistake raises an `ExitvoiceError` anywhere below; `main` prints it without a traceback and exits 2.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from .errors import ExitvoiceError
from .limits import MAX_ENSEMBLE_MEMBERS, MAX_SEED
from .pack import DEFAULT_PACK


def _flags_read_as_flags(params: list) -> list:
    """Flags (`--force`, `--plots/--no-plots`, `--help`) take no value: no type for them in --help.

    typer shows a flag's type as `<bool>`, as if it took one.
    """
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    def get_params(self, ctx):  # noqa: D102 - see _flags_read_as_flags
        return _flags_read_as_flags(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx):  # noqa: D102 - see _flags_read_as_flags
        return _flags_read_as_flags(super().get_params(ctx))

    def format_commands(self, ctx, formatter) -> None:
        """Each command with the first paragraph of its help, wrapped to the terminal (click cuts it at 45 chars)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            text = cmd.short_help or (cmd.help or "").split("\n\n")[0]
            rows.append((name, " ".join(text.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="exitvoice: simulate exit under pressure (mobilisation, exit controls, emigration).")
console = Console()
err = Console(stderr=True, soft_wrap=True)


def _set_option(help_: str):
    return typer.Option("--set", metavar="NAME=VALUE", help=help_)


def _out_path(text: str) -> Path:
    """`--out` as a path; an empty one is refused here, since `Path("")` is the current directory."""
    if str(text).strip() == "":
        raise ExitvoiceError("the output path is empty", field="--out", given=str(text),
                             allowed="a path, e.g. results/run1")
    return Path(text)


def _nonempty(option: str, allowed: str):
    """A parser of a text option that refuses an empty value (else it would read as the option left out)."""

    def parse(text) -> str:
        if str(text).strip() == "":
            raise ExitvoiceError("empty", field=option, given=str(text), allowed=allowed)
        return str(text)

    return parse


def _scheduler_address(text: str) -> str:
    """`--scheduler` as given; an empty one is refused here (it is not "no scheduler": that is leaving it out)."""
    from .ensemble import SCHEDULER_ALLOWED

    if str(text).strip() == "":
        raise ExitvoiceError("the scheduler address is empty", field="--scheduler", given=str(text),
                             allowed=f"{SCHEDULER_ALLOWED}; leave --scheduler out to run here")
    return str(text)


def _scheduler_option(help_: str):
    return typer.Option("--scheduler", parser=_scheduler_address, metavar="ADDRESS", help=help_)


def _out_option(help_: str):
    return typer.Option("--out", "-o", parser=_out_path, metavar="PATH", help=help_)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        console.print(f"exitvoice {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool | None, typer.Option("--version", metavar="", callback=_version, is_eager=True,
                                                       help="print the version and exit")] = None) -> None:
    """exitvoice: simulate exit under pressure (mobilisation, exit controls, emigration)."""

def _whole(option: str, low: int, high: int | None = None):
    """A parser of a whole-number option: a bad value is an `ExitvoiceError` naming the option, given and allowed.

    The command line prints it as every bad input (exit code 2, one line), not as typer's boxed message.
    """
    allowed = (f"a whole number from {low:,} to {high:,}" if high is not None else
               f"a whole number, at least {low:,}")

    def parse(text) -> int:
        if isinstance(text, int) and not isinstance(text, bool):
            value = text
        else:
            try:
                value = int(str(text).strip())
            except ValueError:
                raise ExitvoiceError("not a whole number", field=option, given=str(text), allowed=allowed) from None
        if value < low or (high is not None and value > high):
            raise ExitvoiceError("too small" if value < low else "too large", field=option, given=value,
                                 allowed=allowed)
        return value

    return parse


def _real(option: str, allowed: str = "a finite number"):
    """A parser of a number option: not a number, `nan` or `inf` is an `ExitvoiceError` naming the option."""
    import math

    def parse(text) -> float:
        try:
            value = float(str(text).strip())
        except ValueError:
            raise ExitvoiceError("not a number", field=option, given=str(text), allowed=allowed) from None
        if not math.isfinite(value):
            raise ExitvoiceError("not a finite number", field=option, given=str(text), allowed=allowed)
        return value

    return parse


def _whole_option(option: str, low: int, high: int | None = None, *, help_: str):
    return typer.Option(option, parser=_whole(option, low, high), metavar="N", help=help_)


# Options shared by several commands.
Seed = _whole_option("--seed", 0, MAX_SEED, help_="random seed (default: the scenario's, else 0)")
Jobs = _whole_option("--jobs", 1, help_="local worker processes")
Members = _whole_option("--ensemble", 1, MAX_ENSEMBLE_MEMBERS, help_="run an ensemble of N members (quantile "
                        "bands)")
OutsideRange = typer.Option("--allow-outside-range", help="accept parameter values outside their declared range "
                            "(each is listed as a warning in the run's summary)")


def _parse_sets(sets: list[str]) -> dict[str, str]:
    out = {}
    for item in sets:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise ExitvoiceError("expected NAME=VALUE", file="--set", given=item,
                                 allowed="e.g. exit.beta_risk=60 or mobilisation.target=300000")
        k, v = item.split("=", 1)
        if k.strip() in out:  # else the last would win, silently
            raise ExitvoiceError("a name set twice", file="--set", field=k.strip(),
                                 given=[f"{k.strip()}={out[k.strip()]}", f"{k.strip()}={v.strip()}"],
                                 allowed="each name once")
        out[k.strip()] = v.strip()
    return out


def _currency(summary: dict) -> str | None:
    """The currency of a run's money (its pack's), None when the pack cannot be read."""
    from .pack import load_pack

    if summary.get("currency"):
        return summary["currency"]
    try:
        return load_pack(summary.get("country") or DEFAULT_PACK).currency
    except ExitvoiceError:
        return None


def _covers(summary: dict) -> str:
    """What a run covers and what its printed figures are, in words (a sample, some regions, the whole country)."""
    scale = summary.get("population_scale", 1.0)
    cov = summary.get("coverage") or {}
    what = cov.get("description") or (f"a {scale:.4g} sample of the whole country" if scale < 1 else
                                      "the whole country")
    where = "of the regions simulated" if cov.get("regions") else "of the country"
    text = f"covers {what}: {summary.get('population', 0):,} people simulated."
    if scale < 1:
        text += (f" Counts are scaled up by 1/{scale:.4g} to the whole population {where} (summary.json keeps the "
                 "sample's own counts); sampling adds noise to small numbers.")
    if cov.get("regions"):
        scaled = [f"{f['policy']}: {f['field']} {f['regions']:,.0f} of the national {f['national']:,}"
                  for f in cov.get("figures_for_regions", []) if f.get("given_for") == "country"]
        text += (" Figures are for these regions only" + (f"; national figures scaled to their share ("
                                                          f"{'; '.join(scaled)})" if scaled else "") + ".")
    return text


def _fmt_total(key: str, x, scale: float) -> str:
    """A summary total as the report shows it: whole-population terms, one rounding rule (`units.fmt_metric`)."""
    from .units import fmt_metric, scaled_up

    return fmt_metric(key, scaled_up(key, x, scale))


def _summary_table(summary: dict) -> Table:
    from .labels import label, metric_label
    from .units import tidy_summary

    summary = tidy_summary(summary)  # whole people, as written to summary.json and read by the report
    scale = summary.get("population_scale", 1.0)
    t = Table(title=f"{summary['scenario']} · seed {summary['seed']} · {summary['start']} to {summary['end']}",
              caption=escape(_covers(summary)), caption_justify="left")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    tot = summary["totals"]
    rows = [(metric_label(k), _fmt_total(k, tot[k], scale))
            for k in ("left", "abroad_at_end", "returned", "summons_served", "mobilised")]
    rows.append((metric_label("quota_fill"), _fmt_total("quota_fill", tot["quota_fill"], scale)
                 if tot["quota_fill"] is not None else "no call-up"))
    rows += [(metric_label(k), _fmt_total(k, tot[k], scale))
             for k in ("hiding_at_end", "stopped_at_border", "passports_issued", "peak_queue_wait_hours")]
    for key in ("exempt_at_end", "visas_issued", "visa_pending_at_end", "conscripted"):
        if tot.get(key):
            rows.append((metric_label(key), _fmt_total(key, tot[key], scale)))
    for key in ("illegal_caught", "illegal_turned_away"):  # a pack with illegal routes (docs/routes.md)
        if key in tot:
            rows.append((metric_label(key), _fmt_total(key, tot[key], scale)))
    econ, vo = summary.get("economy"), summary.get("voice")
    if econ:
        currency = _currency(summary)
        rows += [(metric_label(k, currency), _fmt_total(k, econ[k], scale))
                 for k in ("output_loss_pct_end", "output_loss_cumulative", "workers_lost_end")]
    if vo:
        rows += [(metric_label("protesters_peak"),
                  f"{_fmt_total('protesters_peak', vo['protesters_peak'], scale)} ({vo['protest_peak_date']})"),
                 (metric_label("detained"), _fmt_total("detained", vo["detained"], scale))]
    for name, q in summary["quota"].items():
        days = str(q["days_to_fill"]) if q["days_to_fill"] else "not filled"
        rows.append((f"days to fill: {escape(name)}" if len(summary["quota"]) > 1 else "days to fill the quota",
                     days))
    top = sorted(summary["left_by_destination"].items(), key=lambda kv: -kv[1])[:5]
    country = summary.get("country") or DEFAULT_PACK
    rows.append(("main destinations", ", ".join(f"{escape(label(d, country))} {_fmt_total('left', n, scale)}"
                                                for d, n in top)))
    rows.append(("wall time (s)", f"{summary['wall_seconds']:.1f}"))
    for warning in summary.get("warnings", []):
        rows.append(("warning", escape(warning)))
    for k, v in rows:
        t.add_row(k, v)
    return t


def _scenario(path: Path, sets: list[str] | None, allow_outside_range: bool = False):
    from .scenario import Scenario

    sc = Scenario.from_toml(path, allow_outside_range=allow_outside_range)
    if sets:
        sc = sc.with_overrides(_parse_sets(sets), allow_outside_range=allow_outside_range)
    return sc


def _preflight(sc, *, members: int = 1, jobs: int = 1, scheduler: str | None = None, field: str = "--ensemble"
               ) -> None:
    """Refuse up front what would fail later: more memory than the machine has, a scheduler that cannot be reached."""
    from .limits import check_memory

    check_memory(len(sc.days), members=members, jobs=1 if scheduler is not None else jobs, field=field)
    if scheduler is not None:
        from .ensemble import check_scheduler

        check_scheduler(scheduler)


def _free(target: Path, force: bool, inputs=()) -> Path:
    """Check the output folder before any work is done (see `outputs.check_output`).

    It is none of the `inputs` (files and folders the command reads), nor holds one (`outputs.check_not_input`).
    """
    from .outputs import check_output

    return check_output(target, force=force, inputs=inputs)


def _progress(description: str, total: int, unit: str):
    """A progress bar on the terminal (silent when stderr is not a terminal); returns (bar, callback)."""
    bar = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn(f"{{task.completed:.{1 if unit == 'members' else 0}f}}/{{task.total:.0f}} {unit}"),
                   TimeElapsedColumn(),
                   TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(description, total=total)
    return bar, lambda done, total: bar.update(task, completed=done, total=total)


def _ensemble(sc, n: int, seed: int | None, jobs: int, posterior: Path | None, scheduler: str | None,
              checkpoint: Path | None = None, draw_priors: list[str] | None = None, no_posterior: bool = False):
    from .ensemble import resolve_posterior, run_ensemble

    post = resolve_posterior(sc, _posterior_spec(posterior, no_posterior), n)
    base = seed if seed is not None else (sc.scenario.seed or 0)
    bar, tick = _progress(f"ensemble of {n} · {sc.name}", n, "members")
    with bar:
        return run_ensemble(sc, n, seed=base, jobs=jobs, posterior=post, scheduler=scheduler, progress=tick,
                            checkpoint=checkpoint, notify=_checkpoint_notice("members"), draw_priors=draw_priors)


NoPosterior = typer.Option("--no-posterior", metavar="",
                           help="draw no posterior, not even the pack's: the band is seed noise only (with "
                                "--draw-priors, the priors too)")
PosteriorFile = typer.Option("--posterior", metavar="FILE",
                             help="parameter sets for the ensemble (a calibration's posterior.parquet, or CSV); "
                                  "default: the posterior the pack ships, if any")


def _posterior_spec(posterior: Path | None, no_posterior: bool):
    """What `--posterior FILE` and `--no-posterior` ask for: a file, none, or the pack's posterior (neither given)."""
    from .ensemble import PACK_POSTERIOR

    if posterior is not None and no_posterior:
        raise ExitvoiceError("--posterior names a posterior and --no-posterior asks for none", field="--no-posterior",
                             given=["--posterior", str(posterior), "--no-posterior"],
                             allowed="one of the two, or neither (the pack's posterior, if it ships one)")
    return None if no_posterior else posterior if posterior is not None else PACK_POSTERIOR


def _prior_groups(text: str) -> str:
    """`--draw-priors` as given; one naming no group ("" or ",") is refused, not read as the option left out."""
    from .ensemble import PRIOR_GROUPS

    if not [g for g in str(text).split(",") if g.strip()]:
        raise ExitvoiceError("names no parameter group", field="--draw-priors", given=str(text),
                             allowed=f"comma-separated groups among {', '.join(PRIOR_GROUPS)}; leave the option out "
                                     "to draw none")
    return str(text)


DrawPriors = typer.Option("--draw-priors", parser=_prior_groups, metavar="GROUPS",
                          help="draw the parameters of these groups (comma-separated, e.g. economy,voice,events2022) "
                               "from their declared priors in every member")


def _groups(text: str | None) -> list[str] | None:
    return [g.strip() for g in text.split(",") if g.strip()] if text else None


def _checkpoint(target: Path) -> Path:
    """Where a run to `target` (an ensemble, a comparison, a sensitivity analysis) keeps its finished runs."""
    return target.parent / f".{target.name}.members"


def _checkpoint_notice(unit: str, name: str | None = None):
    """What `run_ensemble` says about its checkpoint, said to the user: runs found, or a changed input."""
    of = f" {escape(name)}" if name else ""

    def notify(event: str, done: int, total: int, folder: Path) -> None:
        if event == "resumed":
            err.print(f"resuming{of}: {done} of {total} {unit} were done before (checkpoint "
                      f"{escape(str(folder))})", highlight=False)
        else:
            err.print(f"starting{of} afresh: the checkpoint {escape(str(folder))} held {unit} of other inputs (the "
                      "scenario, the seed or the parameter sets changed)", highlight=False)

    return notify


@app.command(cls=_Command)
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    out: Annotated[Path | None, _out_option("output folder (default results/<name>)")] = None,
    seed: Annotated[int | None, Seed] = None,
    set_: Annotated[list[str] | None, _set_option("override: <group>.<parameter>=VALUE, or "
                                                  "policy.<type>.<field>=VALUE for every policy of a type")]
    = None,
    allow_outside_range: Annotated[bool, OutsideRange] = False,
    ensemble: Annotated[int | None, Members] = None,
    jobs: Annotated[int, Jobs] = 1,
    posterior: Annotated[Path | None, PosteriorFile] = None,
    no_posterior: Annotated[bool, NoPosterior] = False,
    scheduler: Annotated[str | None, _scheduler_option("Dask scheduler address for the ensemble")] = None,
    draw_priors: Annotated[str | None, DrawPriors] = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="replace an existing output folder")] = False,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="also draw the PNG plots (about a second; "
                                        "`exitvoice report` draws the same charts)")] = False,
) -> None:
    """Run a scenario (or an ensemble) and write the summary and Parquet series (and, with --plots, the plots)."""
    from .api import run as run_api

    sc = _scenario(scenario, set_, allow_outside_range)
    target = _free(out or Path("results") / sc.name, force, inputs=(scenario, posterior))
    _preflight(sc, members=ensemble or 1, jobs=jobs, scheduler=scheduler)
    if ensemble is not None:
        ens = _ensemble(sc, ensemble, seed, jobs, posterior, scheduler, checkpoint=_checkpoint(target),
                        draw_priors=_groups(draw_priors), no_posterior=no_posterior)
        ens.write(target, force=force, plots=plots)
        shutil.rmtree(_checkpoint(target), ignore_errors=True)
        console.print(_ensemble_table(ens.summary()))
    else:
        if posterior or no_posterior or scheduler is not None or jobs != 1 or draw_priors:
            raise ExitvoiceError("--jobs, --posterior, --no-posterior, --draw-priors and --scheduler go with "
                                 "--ensemble N", field="--ensemble")
        bar, tick = _progress(f"running {sc.name}", len(sc.days), "days")
        with bar:
            res = run_api(sc, seed=seed, progress=tick)
        res.scenario_toml = Path(scenario).read_text()
        res.write(target, force=force, plots=plots)
        console.print(_summary_table(res.summary))
    console.print(f"results written to [bold]{escape(str(target))}[/]", soft_wrap=True)
    if not plots:
        console.print(f"plots: not drawn; add --plots to write them to {escape(str(target / 'plots'))}, or run "
                      f"exitvoice report {escape(str(target))}")


def _ensemble_table(summary: dict) -> Table:
    from .labels import metric_label
    from .units import tidy_summary

    summary = tidy_summary(summary)  # whole people, as written to summary.json and read by the report
    scale = summary.get("population_scale", 1.0)
    t = Table(title=f"{summary['scenario']} · ensemble of {summary['ensemble']} · seed {summary['seed']}",
              caption=escape(f"{_covers(summary)} The band includes: {summary.get('band', 'seed noise only')}."),
              caption_justify="left")
    for c in ("quantity", "5%", "median", "95%"):
        t.add_column(c, justify="right" if c != "quantity" else "left")
    for k in ("left", "abroad_at_end", "returned", "mobilised", "quota_fill", "summons_served",
              "peak_queue_wait_hours", "output_loss_pct_end", "workers_lost_end", "protesters_peak", "detained"):
        q = summary["totals"].get(k)
        if q:
            t.add_row(metric_label(k), *(_fmt_total(k, q[c], scale) for c in ("q05", "q50", "q95")))
    for warning in summary.get("warnings", []):
        t.add_row("warning", escape(warning), "", "")
    return t


@app.command(cls=_Command)
def compare(
    inputs: Annotated[list[Path], typer.Argument(help="scenario TOML files or run/ensemble folders (the first is "
                                                "the reference)")],
    ensemble: Annotated[int, _whole_option("--ensemble", 1, MAX_ENSEMBLE_MEMBERS,
                                           help_="members per scenario run here (90% bands)")] = 1,
    jobs: Annotated[int, Jobs] = 1,
    scheduler: Annotated[str | None, _scheduler_option("Dask scheduler address for the runs")] = None,
    posterior: Annotated[Path | None, PosteriorFile] = None,
    no_posterior: Annotated[bool, NoPosterior] = False,
    seed: Annotated[int | None, _whole_option("--seed", 0, MAX_SEED, help_="seed of every scenario run (default: each "
                                             "scenario's)")] = None,
    draw_priors: Annotated[str | None, DrawPriors] = None,
    set_: Annotated[list[str] | None, _set_option("override in every scenario file compared, as for `run` (e.g. "
                                                  "population.scale=0.01 for a quick look)")] = None,
    allow_outside_range: Annotated[bool, OutsideRange] = False,
    out: Annotated[Path | None, _out_option("output folder (default results/compare)")] = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="replace an existing output folder")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", metavar="", help="skip the PNG plots")] = False,
) -> None:
    """Compare scenarios side by side: table with 90% bands, comparison.csv/.json, findings.md, overlaid plots."""
    from .compare import compare as compare_api

    folders = [p for p in inputs if p.is_dir()]
    if set_ and folders:
        raise ExitvoiceError("--set changes scenario files, not result folders", field="--set",
                             given=str(folders[0]), allowed="scenario TOML files only (or run the folder's "
                                                            "scenario again with --set)")
    n_runs = sum(1 for p in inputs if not p.is_dir())
    for_runs = {"--ensemble": ensemble != 1, "--seed": seed is not None, "--jobs": jobs != 1,
                "--scheduler": scheduler is not None, "--posterior": posterior is not None,
                "--no-posterior": no_posterior, "--draw-priors": bool(draw_priors)}
    if not n_runs and any(for_runs.values()):  # stored folders only: nothing is run, the options would be ignored
        given = [k for k, v in for_runs.items() if v]
        raise ExitvoiceError("options of the scenario runs, which a comparison of stored result folders would "
                             "ignore", field=given[0], given=given,
                             allowed="scenario TOML files among the inputs (they are run with them), or none of them")
    spec = _posterior_spec(posterior, no_posterior)
    scenarios = [p if p.is_dir() else _scenario(p, set_, allow_outside_range) for p in inputs]
    target = _free(out or Path("results") / "compare", force, inputs=(*inputs, posterior))
    if scheduler is not None:
        from .ensemble import check_scheduler

        check_scheduler(scheduler)
    total = max(1, n_runs * ensemble)
    bar, tick = _progress(f"comparing {n_runs} scenario(s)", total, "members")
    done: dict[str, int] = {}

    def progress(name: str, i: int, n: int) -> None:
        done[name] = i
        tick(sum(done.values()), total)

    with bar:
        cmp = compare_api(scenarios, ensemble=ensemble, seed=seed, jobs=jobs, scheduler=scheduler,
                          posterior=spec, progress=progress, checkpoint=_checkpoint(target),
                          notify=lambda name, *event: _checkpoint_notice("members", name)(*event),
                          draw_priors=_groups(draw_priors))
    cmp.write(target, force=force, plots=not no_plots)
    shutil.rmtree(_checkpoint(target), ignore_errors=True)
    title, caption = _comparison_title(cmp)
    console.print(_comparison_table(cmp.wide(), title, console.width, caption))
    console.print(escape(cmp.findings()))
    console.print(f"comparison written to [bold]{escape(str(target))}[/]", soft_wrap=True)


def _comparison_title(cmp) -> tuple[str, str]:
    """The compare table's title (short: one line at 80 columns) and its caption (what the bands include)."""
    from .folders import band_includes

    members = sorted({c.sim.members for c in cmp.cases})
    n = "/".join(map(str, members))
    title = (f"{len(cmp.cases)} scenarios · median [5%–95%] of {n} members" if max(members) > 1 else
             f"{len(cmp.cases)} scenarios · single runs, no band")
    bands = sorted({b for c in cmp.cases if (b := band_includes(c))})
    caption = f"Bands include: {'; '.join(bands)}." if bands and max(members) > 1 else ""
    return title, caption


def _comparison_table(wide, title: str, width: int, caption: str = "") -> Table:
    """Metric × scenario when it fits the terminal; else one block per metric, a scenario a row (fits 80 columns).

    The title stays on one line: the table is at least as wide as its title (up to the terminal's width).
    """
    cells = [[str(i), *map(str, r)] for i, r in zip(wide.index, wide.to_numpy(), strict=True)]
    widths = [max(len(str(h)), *(len(r[k]) for r in cells)) for k, h in enumerate(["", *wide.columns])]
    kw = dict(title=escape(title), caption=escape(caption) or None, caption_justify="left",
              min_width=min(width, len(title) + 4))
    if sum(widths) + 3 * len(widths) + 1 <= width:
        t = Table(**kw)
        t.add_column("")
        for c in wide.columns:
            t.add_column(str(c), justify="right")
        for r in cells:
            t.add_row(*r)
        return t
    t = Table(show_lines=False, **kw)
    bands = any(" [" in str(cell) for cell in wide.to_numpy().ravel())  # single runs: no band column
    t.add_column("metric · scenario", no_wrap=False)
    t.add_column("median" if bands else "value", justify="right", no_wrap=True)
    if bands:
        t.add_column("5%–95%", justify="right", no_wrap=True)
    for metric, row in wide.iterrows():
        t.add_row(f"[bold]{escape(str(metric))}[/]", *[""] * (1 + bands), end_section=False)
        for k, (name, cell) in enumerate(row.items()):
            median, _, rest = str(cell).partition(" [")
            t.add_row(f"  {escape(str(name))}", median, *([rest.removesuffix("]")] if bands else []),
                      end_section=k == len(row) - 1)
    return t


@app.command(cls=_Command)
def validate(
    target: Annotated[Path, typer.Argument(help="a run or ensemble folder, or a scenario TOML to run")],
    observations: Annotated[Path | None, typer.Option(help="observation file (default: the pack's calibration set)")]
    = None,
    out: Annotated[Path | None, _out_option("scorecard folder")] = None,
    seed: Annotated[int | None, _whole_option("--seed", 0, MAX_SEED, help_="seed when a scenario is run")] = None,
    set_: Annotated[list[str] | None, _set_option("override when a scenario is run")] = None,
    allow_outside_range: Annotated[bool, OutsideRange] = False,
    ensemble: Annotated[int | None, _whole_option("--ensemble", 1, MAX_ENSEMBLE_MEMBERS,
                                                  help_="run the scenario as an ensemble of N members")] = None,
    jobs: Annotated[int, Jobs] = 1,
    posterior: Annotated[Path | None, PosteriorFile] = None,
    no_posterior: Annotated[bool, NoPosterior] = False,
    draw_priors: Annotated[str | None, DrawPriors] = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="replace an existing scorecard folder")] = False,
) -> None:
    """Score a run or an ensemble against observations: scorecard.csv/.json/.png. Exit 0 whatever the score."""
    from .observations import pack_observations, read_observations
    from .validate import Simulated, score

    for_a_run = {"--seed": seed is not None, "--set": bool(set_), "--allow-outside-range": allow_outside_range,
                 "--ensemble": ensemble is not None}
    for_an_ensemble = {"--jobs": jobs != 1, "--posterior": posterior is not None, "--no-posterior": no_posterior,
                       "--draw-priors": bool(draw_priors)}
    if target.is_dir():  # a stored result: nothing is run, and options of a run would be ignored
        given = [k for k, v in {**for_a_run, **for_an_ensemble}.items() if v]
        if given:
            raise ExitvoiceError("options of a run, which validating a stored result folder would ignore",
                                 field=given[0], given=given,
                                 allowed="a scenario TOML as the target (it is run with them), or none of them")
    elif ensemble is None and any(for_an_ensemble.values()):
        raise ExitvoiceError("--jobs, --posterior, --no-posterior and --draw-priors go with --ensemble N",
                             field="--ensemble",
                             given=[k for k, v in for_an_ensemble.items() if v])
    sc, band = None, None
    if target.is_dir():
        dest = _free(out or target / "validation", force, inputs=(target, observations))
        sim = Simulated.from_folder(target)
        sc = _stored_scenario(target)
        band = _stored_band(target)
        # the calibration observations of the result's own pack (a stored scenario of another pack says which)
        obs = read_observations(observations or pack_observations(sc.scenario.country if sc else DEFAULT_PACK))
    else:
        from .api import run as run_api

        sc = _scenario(target, set_, allow_outside_range)
        obs = read_observations(observations or pack_observations(sc.scenario.country))
        dest = _free(out or Path("results") / f"{sc.name}-validation", force,
                     inputs=(target, observations, posterior))
        _preflight(sc, members=ensemble or 1, jobs=jobs)
        if ensemble is not None:
            ens = _ensemble(sc, ensemble, seed, jobs, posterior, None, draw_priors=_groups(draw_priors),
                            no_posterior=no_posterior)
            band = ens.band
            sim = Simulated.from_timeseries(ens.member_series(), scale=sc.population.scale, pack=sc.scenario.country)
        else:
            sim = Simulated.from_timeseries(run_api(sc, seed=seed).timeseries, scale=sc.population.scale,
                                            pack=sc.scenario.country)  # its crossing groups, code and currency
    from .regional import national_comparison_warning

    warning = national_comparison_warning(sc) if sc is not None else None  # the observations are national figures
    card = score(obs, sim, warnings=[warning] if warning else None)
    if card.metrics["n_scored"] == 0:  # a scorecard of nothing would look like a result: say why instead
        reasons = "; ".join(f"{n} {r}" for r, n in card.metrics["skipped"].items())
        raise ExitvoiceError("no observation could be scored against this run (skipped: " + reasons + ")",
                             file=str(observations or "the calibration observations"), field="quantity, date",
                             allowed="rows of quantities the run records (docs/validation.md), dated within the run")
    if sim.members > 1 and band:  # what the band includes, with the coverage it is scored on
        card.band = card.metrics["band"] = band
    card.write(dest, force=force)
    m = card.metrics
    from .validate import SCORE_MEANINGS

    t = Table(title=f"validation against {escape(str(observations or 'the calibration observations'))} "
                    f"({f'an ensemble of {sim.members} members' if sim.members > 1 else 'a single run'})",
              caption=escape(f"The band includes: {card.band}.") if card.band else None, caption_justify="left")
    t.add_column("score")
    t.add_column("value", justify="right")
    t.add_column("meaning")
    from .labels import metric_label
    from .units import fmt_score

    for k, meaning in SCORE_MEANINGS.items():
        t.add_row(f"{metric_label(k)} ({k})", fmt_score(m[k]), meaning)
    console.print(t)
    if m.get("coverage_by_quantity"):
        c = Table(title="coverage by quantity (goal: about 50% inside the 25–75% band, 90% inside the 5–95% band, "
                        "with bands no wider than the data justify)")
        for col in ("quantity", "observations", "in 25–75%", "in 5–95%", "5–95% width (log)"):
            c.add_column(col, justify="left" if col == "quantity" else "right")
        for q, v in m["coverage_by_quantity"].items():
            c.add_row(q, str(v["n"]), f"{v['coverage_50']:.0%}", f"{v['coverage_90']:.0%}",
                      f"{v['band_width_log90']:.2f}")
        console.print(c)
    for reason, n in m["skipped"].items():
        console.print(f"  skipped {n}: {escape(str(reason))}")
    for warning in m.get("warnings", []):  # once, under the scores it qualifies
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    console.print(f"scorecard written to [bold]{escape(str(dest))}[/]", soft_wrap=True)


def _stored_band(folder: Path) -> str | None:
    """What a stored ensemble's band includes, as its summary.json says (None: not said, or a single run)."""
    import json

    try:
        band = json.loads((folder / "summary.json").read_text()).get("band")
    except (OSError, ValueError, AttributeError):
        return None
    return band if isinstance(band, str) else None


def _stored_scenario(folder: Path):
    """The scenario of a run or ensemble folder (its scenario.json), or None if it has none."""
    import json

    from .scenario import Scenario

    path = folder / "scenario.json"
    if not path.is_file():
        return None
    try:
        return Scenario.from_dict(json.loads(path.read_text()), source=str(path))
    except (ValueError, ExitvoiceError):
        return None


@app.command(cls=_Command)
def report(
    results: Annotated[list[Path], typer.Argument(help="run, ensemble, comparison or validation folders")],
    out: Annotated[Path, _out_option("the HTML file to write, in a folder that exists")] = Path("report.html"),
    force: Annotated[bool, typer.Option("--force", metavar="", help="replace a report written earlier")] = False,
) -> None:
    """One self-contained HTML report (interactive charts, opens offline) of result folders."""
    from .report import check_report_file, write_report

    check_report_file(out, force=force, field="--out")
    write_report(results, out, force=force)
    console.print(f"report written to [bold]{escape(str(out))}[/] ({out.stat().st_size / 1e6:.1f} MB; open it in a "
                  "browser)", soft_wrap=True)  # a path is never broken across lines


@app.command(cls=_Command)
def serve(
    results: Annotated[Path, typer.Argument(help="results folder: saved runs are read from it and written to it")]
    = Path("results"),
    port: Annotated[int, _whole_option("--port", 0, 65535, help_="port (0: any free port)")] = 8050,
    host: Annotated[str, typer.Option(parser=_nonempty("--host", "an address to bind: 127.0.0.1 (this computer "
                                                        "only), or 0.0.0.0 (every interface: anyone who can reach it)"),
                                      metavar="ADDRESS", help="address to bind; the default serves this computer "
                                      "only")] = "127.0.0.1",
    scenarios: Annotated[Path | None, typer.Option(
        parser=lambda text: Path(_nonempty("--scenarios", "a folder of scenario TOML files")(text)), metavar="PATH",
        help="folder of the scenario files to offer (default: the scenarios that come with exitvoice, the "
             "repository's scenarios/ folder, whatever the current folder)", show_default=False)] = None,
) -> None:
    """A dashboard in the browser: move the levers of a scenario, run it, see the map, routes, quota and costs."""
    from .dashboard import serve as make_server

    server = make_server(results, scenarios, host=host, port=port)
    where = f"http://{host}:{server.server_address[1]}/"
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning:[/] serving on {host}: anyone who can reach this address can run simulations")
    console.print(f"dashboard at [bold]{where}[/] (results folder {escape(str(results))}, scenarios from "
                  f"{escape(str(server.scenarios_folder))}); Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        server.server_close()


def _calibrate_abc(sc, params_: str, observations, seed: int, jobs: int, out, force: bool, particles: int,
                   generations: int, walltime: float | None, min_acceptance: float, scenario: Path) -> None:
    from .abcsmc import AbcSettings, check_history, fit, history_file, plot_posterior
    from .calibrate import Settings, check_settings
    from .observations import pack_observations, read_observations

    names = [p.strip() for p in params_.split(",") if p.strip()]
    decl = check_settings(Settings(params=names), sc)
    settings = AbcSettings(params=names, particles=particles, generations=generations, walltime_minutes=walltime,
                           min_acceptance=min_acceptance, seed=seed, jobs=jobs)
    settings.check()
    obs = read_observations(observations or pack_observations(sc.scenario.country))
    target = Path(out or Path("results") / f"{sc.name}-abc")
    check_history(target, decl)
    resuming = history_file(target).exists() and (target / "posterior.json").is_file()
    if not resuming:
        target = _free(target, force, inputs=(scenario, observations))
    else:  # the same command again replaces the folder's outputs: what stops it is found now, not after the work
        from .outputs import check_output

        check_output(target, force=True, field="--out", replacing="resuming, which replaces this folder,",
                     inputs=(scenario, observations))
    err.print(f"ABC-SMC of {sc.name}: {len(names)} parameters, {particles} particles, up to {generations} "
              f"generations{'' if walltime is None else f' or {walltime:g} min'}"
              f"{' (resuming)' if resuming else ''}")
    summary = fit(sc, obs, decl, settings, target, progress=err.print)
    plot_posterior(target)
    console.print(_posterior_table(summary))
    console.print(f"posterior written to [bold]{escape(str(target))}[/]", soft_wrap=True)


def _posterior_table(summary: dict) -> Table:
    t = Table(title=f"posterior: {summary['generations']} generations, {summary['particles']} particles, "
                    f"ESS {summary['effective_sample_size']}, {summary['total_simulations']} simulations, "
                    f"last ε {summary['epsilon'][-1] if summary['epsilon'] else '—'}")
    for c in ("parameter", "median", "90% interval", "prior range", "the data"):
        t.add_column(c, justify="left" if c in ("parameter", "the data") else "right")
    for name, p in summary["parameters"].items():
        t.add_row(name, f"{p['median']:.4g}", f"{p['q05']:.4g} – {p['q95']:.4g}",
                  f"{p['prior'][0]:.4g} – {p['prior'][1]:.4g}",
                  f"{p['identified']} ({100 * p['interval_share_of_prior']:.0f}% of the prior)")
    return t


@app.command(cls=_Command)
def posterior(
    folder: Annotated[Path, typer.Argument(help="output folder of `calibrate --method abc-smc`")],
) -> None:
    """Show a posterior: medians, 90% credible intervals, which parameters the data pin down; draw posterior.png."""
    from .abcsmc import plot_posterior, read_posterior

    summary, _ = read_posterior(folder)  # a damaged or foreign folder is refused before anything is printed
    console.print(_posterior_table(summary))
    for p in plot_posterior(folder):
        console.print(f"plot written to [bold]{escape(str(p))}[/]", soft_wrap=True)


OPTUNA_ONLY = {"trials": "--trials", "storage": "--storage", "study": "--study", "sampler": "--sampler",
               "loss": "--loss", "tolerance": "--tolerance", "min_sets": "--min-sets"}
ABC_ONLY = {"particles": "--particles", "generations": "--generations", "walltime": "--walltime",
            "min_acceptance": "--min-acceptance"}
"""Options of `calibrate` that belong to one method: given with the other method, they are refused (not ignored)."""


def _check_method_options(ctx: typer.Context, method: str) -> None:
    """Refuse an option of the other calibration method, given on the command line (it would be ignored)."""
    other, owner = (ABC_ONLY, "abc-smc") if method == "optuna" else (OPTUNA_ONLY, "optuna")
    given = [flag for name, flag in other.items()
             if (src := ctx.get_parameter_source(name)) is not None and src.name not in ("DEFAULT", "DEFAULT_MAP")]
    if given:
        raise ExitvoiceError(f"{'an option' if len(given) == 1 else 'options'} of --method {owner}, which --method "
                             f"{method} would ignore", field=given[0], given=given,
                             allowed=f"with --method {method}, none of {', '.join(other.values())}; or "
                                     f"--method {owner}")


@app.command(cls=_Command)
def calibrate(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    params_: Annotated[str, typer.Option("--params", help="comma-separated parameter names to fit")],
    observations: Annotated[Path | None, typer.Option(help="observation file (default: the pack's calibration set)")]
    = None,
    trials: Annotated[int, _whole_option("--trials", 1, help_="optuna: completed trials the study should have")]
    = 100,
    jobs: Annotated[int, _whole_option("--jobs", 1, help_="worker processes on the same study")] = 1,
    storage: Annotated[str | None, typer.Option(parser=_nonempty("--storage", "sqlite:///file.db, journal:<file>, "
                                                                 "or a SQLAlchemy URL; leave it out for the "
                                                                 "default"),
                                                metavar="URL", help="sqlite:///file.db (default), journal:<file>, or "
                                                "any SQLAlchemy URL")] = None,
    study: Annotated[str | None, typer.Option(parser=_nonempty("--study", "a name; leave it out for the scenario's"),
                                              metavar="NAME", help="study name (default: the scenario's name)")]
    = None,
    sampler: Annotated[str, typer.Option(help="tpe, cmaes or random")] = "tpe",
    loss: Annotated[str, typer.Option(help="sse (weighted squared log errors) or nll")] = "sse",
    seed: Annotated[int, _whole_option("--seed", 0, MAX_SEED, help_="seed of the runs and of the sampler")] = 0,
    tolerance: Annotated[float, typer.Option(parser=_real("--tolerance", "a finite number >= 0"), metavar="X",
                                             help="optuna: the posterior accepts loss <= best + tolerance * |best|")]
    = 0.1,
    min_sets: Annotated[int, _whole_option("--min-sets", 1, help_="optuna: the posterior has at least this many "
                                           "sets")] = 10,
    out: Annotated[Path | None, _out_option("output folder")] = None,
    set_: Annotated[list[str] | None, _set_option("override before fitting")] = None,
    allow_outside_range: Annotated[bool, OutsideRange] = False,
    force: Annotated[bool, typer.Option("--force", metavar="", help="replace an existing output folder")] = False,
    method: Annotated[str, typer.Option(help="optuna (a point fit) or abc-smc (a posterior, docs/calibration.md)")]
    = "optuna",
    particles: Annotated[int, _whole_option("--particles", 2, help_="abc-smc: particles of the first generation")]
    = 100,
    generations: Annotated[int, _whole_option("--generations", 1, help_="abc-smc: generations in all (a rerun "
                                              "resumes)")] = 10,
    walltime: Annotated[float | None, typer.Option(parser=_real("--walltime", "a positive number of minutes"),
                                                   metavar="MINUTES", help="abc-smc: stop after this many minutes")]
    = None,
    min_acceptance: Annotated[float, typer.Option("--min-acceptance", parser=_real("--min-acceptance",
                                                                                   "a number in [0, 1)"),
                                                  metavar="X", help="abc-smc: stop below this acceptance rate")]
    = 0.01,
) -> None:
    """Fit parameters to observations: a point fit with Optuna, or a posterior with ABC-SMC. Resumable.

    Optuna writes calibrated.toml (the best values) and posterior.parquet (the sets near the best); ABC-SMC writes
    particles.parquet, posterior.parquet (an equally weighted resample), posterior.json and calibrated.toml (the
    posterior medians).
    """
    from .calibrate import Settings, check_settings, check_storage, completed_trials, previous_outputs, write_outputs
    from .calibrate import calibrate as fit
    from .observations import pack_observations, read_observations

    if method not in ("optuna", "abc-smc"):
        raise ExitvoiceError("unknown calibration method", field="--method", given=method,
                             allowed=["optuna", "abc-smc"])
    _check_method_options(ctx, method)
    sc = _scenario(scenario, set_, allow_outside_range)
    if method == "abc-smc":
        _calibrate_abc(sc, params_, observations, seed, jobs, out, force, particles, generations, walltime,
                       min_acceptance, scenario)
        return
    settings = Settings(params=[p.strip() for p in params_.split(",") if p.strip()], trials=trials,
                        sampler=sampler, loss=loss, seed=seed, tolerance=tolerance, min_sets=min_sets)
    check_settings(settings, sc)
    from .limits import check_memory

    check_memory(len(sc.days), runs_at_once=min(jobs, trials), field="--jobs")
    obs = read_observations(observations or pack_observations(sc.scenario.country))
    target = Path(out or Path("results") / f"{sc.name}-calibration")
    url = storage or f"sqlite:///{target.parent / (target.name + '.db')}"
    name = study or sc.name
    previous = previous_outputs(target, storage=url, study=name)
    if previous is None:
        target = _free(target, force, inputs=(scenario, observations))
    if storage is None:  # the default study file lies beside the output folder, whose parent may not exist yet
        target.parent.mkdir(parents=True, exist_ok=True)
    existing = check_storage(url, name, settings)
    if previous is not None:  # the outputs of this very study: the same command again resumes it and replaces them
        done = completed_trials(existing)
        if done >= trials and previous.get("completed_trials") == done:
            console.print(f"calibration finished: study {escape(name)} has {done} completed trials (--trials "
                          f"{trials}); results in [bold]{escape(str(target))}[/]")
            return
        from .outputs import check_output

        # the same command again replaces the folder's outputs: what stops it is found now, not after the work
        check_output(target, force=True, field="--out", replacing="resuming, which replaces this folder,",
                     inputs=(scenario, observations))
        force = True
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TextColumn("best loss {task.fields[best]}"), TimeElapsedColumn(), console=err, transient=True,
                   disable=not err.is_terminal)
    task = bar.add_task(f"calibrating {sc.name}", total=trials, best="—")
    with bar:
        st = fit(sc, obs, settings, storage=url, study=name, jobs=jobs,
                 notify=lambda message: err.print(f"[yellow]warning:[/] {escape(message)}", highlight=False),
                 progress=lambda done, total, best: bar.update(
                     task, completed=done, best="—" if best is None else f"{best:.4g}"))
    write_outputs(st, settings, target, scenario=sc, storage=url, force=force)
    t = Table(title=f"calibration of {sc.name}: best of {_trial_counts(st)} (loss {st.best_value:.4g})")
    t.add_column("parameter")
    t.add_column("best", justify="right")
    from .calibrate import at_range_end

    ends = at_range_end(st.best_params, check_settings(settings, sc))
    for name in settings.params:
        t.add_row(name, f"{st.best_params[name]:.4g}" + (" [yellow](at a range end)[/]" if name in ends else ""))
    console.print(t)
    if ends:
        console.print(f"[yellow]warning:[/] {len(ends)} fitted parameter(s) within 2% of a range end: a symptom of a "
                      "missing or wrong mechanism, not a result (docs/calibration.md)")
    console.print(f"study in [bold]{escape(url)}[/] (resume with the same command); results in "
                  f"[bold]{escape(str(target))}[/]")


def _trial_counts(study) -> str:
    """The trials a best value is the best of, in words: the completed ones, and how many failed or were set aside."""
    import optuna

    states = [t.state for t in study.trials]
    done = states.count(optuna.trial.TrialState.COMPLETE)
    text = f"{done} completed trial{'s' if done != 1 else ''}"
    failed = states.count(optuna.trial.TrialState.FAIL)
    pruned = states.count(optuna.trial.TrialState.PRUNED)
    notes = ([f"{failed} failed (interrupted or in error)"] if failed else []) + \
        ([f"{pruned} set aside (a parameter set already run)"] if pruned else [])
    return text + (f"; {', '.join(notes)}, not counted" if notes else "")


def _simulated(sc) -> str:
    """What a run simulates, in a few words: the whole population, or a sample of some regions."""
    scale, regions = sc.population.scale, sc.population.regions
    where = f"{len(regions)} region{'s' if len(regions) != 1 else ''}" if regions else "the whole country"
    return where if scale >= 1 else f"a {scale:.4g} sample of {where}"


@app.command(cls=_Command)
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    params_: Annotated[str, typer.Option("--params", help="comma-separated parameter names to vary")],
    outputs: Annotated[str, typer.Option(help="comma-separated scalar outputs")] = (
        "left_total,mobilised_cum,quota_fill"),
    method: Annotated[str, typer.Option(help="sobol or morris")] = "sobol",
    samples: Annotated[int, _whole_option("--samples", 2, help_="base sample size N; the cost is N(D+2) full runs "
                                          "for Sobol, N(D+1) for Morris (D parameters), printed before the runs "
                                          "start")] = 64,
    seed: Annotated[int, _whole_option("--seed", 0, MAX_SEED, help_="seed of the design and the runs")] = 0,
    jobs: Annotated[int, Jobs] = 1,
    scheduler: Annotated[str | None, _scheduler_option("Dask scheduler address")] = None,
    out: Annotated[Path | None, _out_option("output folder")] = None,
    set_: Annotated[list[str] | None, _set_option("override before the analysis")] = None,
    allow_outside_range: Annotated[bool, OutsideRange] = False,
    force: Annotated[bool, typer.Option("--force", metavar="", help="replace an existing output folder")] = False,
) -> None:
    """SALib Morris screening or Sobol indices of scalar outputs over declared parameter ranges."""
    from .sensitivity import analyse, check_options, notices, output_notices, run_seconds, write
    from .sensitivity import runs as design_runs
    from .units import current_name

    sc = _scenario(scenario, set_, allow_outside_range)
    names = [p.strip() for p in params_.split(",") if p.strip()]
    outs = [current_name(o.strip()) for o in outputs.split(",") if o.strip()]  # old names are read too
    check_options(sc, names, outs, method=method, samples=samples)  # all of them before anything is printed
    target = _free(out or Path("results") / f"{sc.name}-sensitivity-{method}", force, inputs=(scenario,))
    runs = design_runs(method, samples, len(names))
    _preflight(sc, members=runs, jobs=jobs, scheduler=scheduler, field="--samples")
    seconds = runs * run_seconds(sc) / max(1, min(jobs, runs))
    cost = f"{seconds / 60:,.0f} min" if seconds >= 60 else f"{seconds:.0f} s"
    err.print(f"{method} with {len(names)} parameter(s) and N={samples}: {runs} full runs of {len(sc.days)} days "
              f"(N(D+{1 if method == 'morris' else 2})), roughly {cost} on {jobs} worker(s) for "
              f"{escape(_simulated(sc))}; `--method morris --samples 10` screens first at a fraction of the cost",
              highlight=False)
    for notice in notices(method, samples):
        err.print(f"notice: {escape(notice)}", highlight=False)
    bar, tick = _progress(f"{method} · {sc.name}", runs, "runs")
    with bar:
        indices, design = analyse(sc, names, outs, method=method, samples=samples, seed=seed, jobs=jobs,
                                  scheduler=scheduler, progress=tick, checkpoint=_checkpoint(target),
                                  notify=_checkpoint_notice("runs"))
    for notice in output_notices(design, outs):
        err.print(f"notice: {escape(notice)}", highlight=False)
    write(indices, design, target, method=method, force=force,
          meta={"scenario": sc.name, "samples": samples, "runs": len(design), "seed": seed})
    shutil.rmtree(_checkpoint(target), ignore_errors=True)
    t = Table(title=f"{method} sensitivity of {sc.name} ({len(design)} runs)")
    cols = ["mu_star", "mu_star_conf", "sigma"] if method == "morris" else ["S1", "S1_conf", "ST", "ST_conf"]
    for c in ("output", "parameter", *cols):
        t.add_column(c, justify="left" if c in ("output", "parameter") else "right")
    for r in indices.itertuples(index=False):
        t.add_row(escape(r.output), escape(r.parameter), *(f"{getattr(r, c):.3g}" for c in cols))
    console.print(t)
    console.print(f"results written to [bold]{escape(str(target))}[/]", soft_wrap=True)


PARAMS_TABLE_WIDTH = 140
"""Terminal width from which `exitvoice params` prints a table (below it, a block per parameter)."""


@app.command(cls=_Command)
def params(
    country: Annotated[str, typer.Option(help="country pack")] = DEFAULT_PACK,
    grep: Annotated[str | None, typer.Argument(metavar="NAME", help="show only names containing this (e.g. exit. "
                                               "or beta)")] = None,
) -> None:
    """List the declared parameters: name, default, unit, range, meaning and source.

    A table on a wide terminal; on a narrower one (80 columns), a block per parameter, wrapped between words (a
    web address longer than a line is kept whole, for the terminal to fold).
    """
    import textwrap

    from .pack import load_pack
    from .params import fmt_interval

    pack = load_pack(country)
    shown = [p for p in pack.declarations.values() if not grep or grep in p.name]
    if not shown:
        groups = sorted({n.split(".")[0] for n in pack.declarations})
        raise ExitvoiceError(f"no parameter of the {country} pack has a name containing this", field="NAME",
                             given=grep, allowed=f"part of a name, e.g. a group: {', '.join(groups)}; or nothing, "
                                                 "for every parameter")
    title = f"parameters of the {country} pack" + (f" whose name holds {grep!r}" if grep else "")

    def possible(p) -> str:
        lo, hi, open_low, _ = p.domain()
        return fmt_interval(lo, hi, open_low=open_low)

    if console.width >= PARAMS_TABLE_WIDTH:
        t = Table(title=escape(f"{title} ({len(shown)})"),
                  caption="range: the plausible values (--allow-outside-range lets a value leave it); in brackets "
                          "below it, the possible values (nothing leaves them)", caption_justify="left")
        t.add_column("name", no_wrap=True)
        for c in ("default", "unit", "range (possible)"):
            t.add_column(c)
        t.add_column("meaning", ratio=1, overflow="fold")
        t.add_column("source", ratio=1, overflow="fold")
        for p in shown:
            t.add_row(p.name, f"{p.default:g}", escape(p.unit), f"{p.low:g} – {p.high:g}\n({escape(possible(p))})",
                      escape(p.meaning), escape(p.source))
        console.print(t)
        return

    def block(text: str, first: str, rest: str) -> str:
        return textwrap.fill(" ".join(text.split()), width=console.width, initial_indent=first,
                             subsequent_indent=rest, break_long_words=False, break_on_hyphens=False)

    out = [block(f"{title} ({len(shown)}): name = default unit (declared range; possible: the values it can take at "
                 "all, which --allow-outside-range never leaves), its meaning and source", "", "")]
    for p in shown:
        out += ["", block(f"{p.name} = {p.default:g} {p.unit} ({p.low:g} – {p.high:g}; possible: {possible(p)})",
                          "", "    ")]
        out += [block(what, "  ", "  ") for what in (p.meaning, f"source: {p.source}") if what.strip()]
    console.print(escape("\n".join(out)), soft_wrap=True, highlight=False)


@app.command(cls=_Command)
def regions(country: Annotated[str, typer.Option(help="country pack")] = DEFAULT_PACK) -> None:
    """List the region codes of a pack (for `population.regions` and policy `who.regions`)."""
    from .pack import load_pack

    pack = load_pack(country)
    t = Table(title=f"regions of the {country} pack")
    for c in ("code", "name", "population"):
        t.add_column(c)
    for r in pack.regions.itertuples():
        t.add_row(r.region_id, r.name_en, f"{r.pop_total:,}")
    console.print(t)


@app.command(cls=_Command)
def check(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="override, as for `run`")] = None,
    allow_outside_range: Annotated[bool, OutsideRange] = False,
) -> None:
    """Validate a scenario file without running it: everything `run` would refuse, `check` refuses."""
    from .engine.cells import CellEngine

    sc = _scenario(scenario, set_, allow_outside_range)
    _preflight(sc)
    CellEngine(sc, params=sc.parameter_set(), check=False)  # what `run` sets up before its first day
    console.print(f"{escape(str(scenario))}: ok ({sc.name}, {len(sc.days)} days, {len(sc.policy)} policies)")
    for warning in sc.parameter_set().outside_range():
        console.print(f"warning: {escape(warning)}")


pack_app = typer.Typer(cls=_Group, no_args_is_help=True, rich_markup_mode=None,
                       help="Country packs (docs/packs.md): check a pack before using it.")
app.add_typer(pack_app, name="pack")


@pack_app.command("check", cls=_Command)
def pack_check(
    pack: Annotated[str, typer.Argument(help="a pack folder, or the name of a pack shipped with exitvoice")],
) -> None:
    """Check a country pack: files, columns, values, references, parameters, observations. Exit 2 on any problem."""
    from .pack import available_countries, pack_path
    from .packcheck import check_pack

    shipped = ", ".join(available_countries())
    if not pack.strip():  # Path("") is the current folder
        raise ExitvoiceError("empty", field="PACK", given=pack,
                             allowed=f"a pack folder, or the name of a pack shipped with exitvoice ({shipped})")
    if Path(pack).exists() and not Path(pack).is_dir():
        from .outputs import what_is

        raise ExitvoiceError(f"{what_is(Path(pack))}, not a pack folder", file=pack,
                             allowed="a pack folder (pack.toml, regions.csv, …; docs/packs.md), or the name of a pack "
                                     f"shipped with exitvoice ({shipped})")
    path = Path(pack) if Path(pack).is_dir() else pack_path(pack)
    report = check_pack(path)
    if report.ok:
        console.print(f"{escape(str(path))}: ok — {escape(report.summary_line())}", soft_wrap=True)
        return
    for problem in report.problems:
        console.print(f"  {escape(str(problem))}", soft_wrap=True, highlight=False)
    n = len(report.problems)
    err.print(f"[bold red]error:[/] {escape(str(path))}: {n} problem{'s' if n > 1 else ''} in the pack (listed above; "
              "the format: docs/packs.md)", highlight=False)
    raise typer.Exit(2)


def main() -> None:
    """Entry point of the `exitvoice` console script.

    Run without typer's standalone mode, so that a mistake on the command line (a missing argument, an unknown
    option) is printed in the same one-line form as every other bad input, not in typer's box.
    """
    from .outputs import CLI_WORDING

    token = CLI_WORDING.set(True)  # a late refusal of an output says --out and --force, not force=True
    try:
        _main()
    finally:  # called in-process (a test, a script), the caller's Python wording comes back
        CLI_WORDING.reset(token)


def _main() -> None:
    try:
        code = app(standalone_mode=False)
    except ExitvoiceError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(getattr(exc, "exit_code", 2))  # 2: bad input; 1: work left undone (errors.IncompleteError)
    except KeyboardInterrupt:  # raised outside a command (typer turns one inside into exit code 130)
        _interrupted()
    except SystemExit as exc:
        if exc.code == 130:  # Ctrl-C during a command
            _interrupted()
        raise
    except Exception as exc:
        if not _is_usage_error(exc):
            raise
        _usage_error(exc)
    if code == 130:  # Ctrl-C during a command (typer's exit code for it)
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)


def _is_usage_error(exc: Exception) -> bool:
    """Whether `exc` is the argument parser's (click's, inside typer) error about the command line."""
    return hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int) and any(
        k.__name__ in ("UsageError", "ClickException", "Abort") for k in type(exc).__mro__)


def _usage_error(exc: Exception) -> None:
    """The parser's error in the project's one-line form: what is wrong, and where the help is; exit code 2."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # no command: the help, with the exit code of a usage error
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            print(ctx.get_help())
        sys.exit(exc.exit_code)
    if type(exc).__name__ == "Abort":
        err.print("aborted", highlight=False)
        sys.exit(1)
    ctx = getattr(exc, "ctx", None)
    where = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
    message = " ".join(str(exc.format_message()).split()).rstrip(".")
    err.print(f"[bold red]error:[/] {escape(message)}{escape(where)}", highlight=False)
    sys.exit(exc.exit_code)


def _interrupted() -> None:
    err.print("[bold]interrupted[/]: no output folder was written; the same command again resumes a calibration, "
              "an ensemble, a comparison or a sensitivity analysis where it stopped", highlight=False)
    sys.exit(130)
