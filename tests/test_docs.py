"""The docs point at things that exist: paths in commands, and sections of docs/model.md; the commands they show
work (they parse, the scenarios they read pass `exitvoice check`, the cheap ones run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_paths_in_commands_exist():
    missing = []
    for page in PAGES:
        for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", page.read_text(), flags=re.S):
            for path in re.findall(r"(?<![\w/.])((?:scenarios|src|scripts|benchmarks|docs)/[\w./-]+\.\w+)", block):
                if not (ROOT / path).exists():
                    missing.append(f"{page.relative_to(ROOT)}: {path}")
    assert not missing, missing


def test_model_sections_are_cited_from_docs_model_md():
    model = (ROOT / "docs" / "model.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
               for h in re.findall(r"^#+ (.*)$", model, flags=re.M)}
    for n in range(1, 16):
        assert re.search(rf"^## {n}\. ", model, flags=re.M), f"docs/model.md lacks section {n}"
    for page in PAGES:
        text = page.read_text()
        if page.name != "model.md":
            assert "MODEL §" not in text, f"{page.relative_to(ROOT)} cites a file not in the repository"
        for anchor in re.findall(r"model\.md#([\w-]+)", text):
            assert anchor in anchors, f"{page.relative_to(ROOT)}: no section #{anchor} in docs/model.md"


def test_the_code_cites_sections_that_docs_model_md_has():
    """Docstrings and comments cite `docs/model.md §n` (a file in the repository), and §n exists there."""
    model = (ROOT / "docs" / "model.md").read_text()
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", model, flags=re.M)}
    cited = 0
    for path in sorted((ROOT / "src").rglob("*.py")):
        text = path.read_text()
        assert "MODEL §" not in text, f"{path.relative_to(ROOT)} cites MODEL §n, a file not in the repository"
        for first, last in re.findall(r"docs/model\.md §(\d+)(?:[–-](\d+))?", text):
            cited += 1
            for n in range(int(first), int(last or first) + 1):
                assert n in sections, f"{path.relative_to(ROOT)}: docs/model.md has no §{n}"
    assert cited >= 29


# -- the commands the docs show work --------------------------------------------------------------------------
SCENARIO_COMMANDS = ("run", "compare", "calibrate", "sensitivity", "validate", "check")
CHEAP = ("check", "params", "regions", "pack")
"""Commands run in full by `test_cheap_commands_in_the_readme_run`; the others are parsed, their scenarios checked."""
PLACEHOLDERS = {"my.toml": "scenarios/russia-2022.toml"}
"""A user's own file in an example, read as a scenario that comes with exitvoice."""


def doc_commands(pages=PAGES) -> list[tuple[str, list[str]]]:
    """Every `exitvoice …` command in the code blocks of `pages`: (page, arguments), comments and `\\` joined."""
    import shlex

    out = []
    for page in pages:
        for block in re.findall(r"```(?:bash|sh|console|shell)?\n(.*?)```", page.read_text(), flags=re.S):
            for line in re.sub(r"\\\n\s*", " ", block).splitlines():
                m = re.match(r"^\s*(?:\$ )?(?:\.venv/bin/|\S*/)?exitvoice\s+(.*)$", line)
                if m:
                    out.append((page.name, shlex.split(m.group(1), comments=True)))
    return out


def _parse(args: list[str]):
    """Parse a command line as `exitvoice` does (options known, values valid); return (command name, its params)."""
    import typer

    from exitvoice.cli import app

    cmd = typer.main.get_command(app)  # a command of typer's own click
    ctx = cmd.make_context("exitvoice", list(args))
    names = []
    while hasattr(cmd, "resolve_command"):  # a group of commands
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, cmd, rest = cmd.resolve_command(ctx, rest)
        names.append(name)
        ctx = cmd.make_context(name, rest, parent=ctx)
    return " ".join(names), ctx.params


def test_readme_commands_cover_every_command():
    used = {args[0] for page, args in doc_commands() if page == "README.md"}
    assert {"run", "compare", "validate", "calibrate", "posterior", "sensitivity", "report", "serve", "check",
            "params", "regions", "pack"} <= used


@pytest.mark.parametrize("page,args", doc_commands(), ids=lambda x: " ".join(x) if isinstance(x, list) else x)
def test_doc_commands_parse(page, args):
    """Every command the docs show is one `exitvoice` takes: its options exist and their values are valid."""
    _parse([PLACEHOLDERS.get(a, a) for a in args])


def _scenario_checks() -> list[tuple[str, tuple[str, ...], bool]]:
    """(scenario file, --set values, --allow-outside-range) of every command of README.md that reads scenario files,
    and of the `--set` examples in its text (on russia-2022.toml)."""
    checks = set()
    for _page, args in doc_commands([ROOT / "README.md"]):
        if args[0] not in SCENARIO_COMMANDS:
            continue
        name, params = _parse([PLACEHOLDERS.get(a, a) for a in args])
        files = params.get("inputs") or [params.get("scenario") or params.get("target")]
        for f in files:
            if str(f).endswith(".toml"):
                checks.add((str(f), tuple(params.get("set_") or ()), bool(params.get("allow_outside_range"))))
    for example in re.findall(r"`([a-z_]+\.[a-z_.]+=[^` ]+)`", (ROOT / "README.md").read_text()):
        checks.add(("scenarios/russia-2022.toml", (example,), False))
    return sorted(checks)


@pytest.mark.parametrize("scenario,sets,allow", _scenario_checks(), ids=str)
def test_readme_scenarios_and_set_examples_pass_check(scenario, sets, allow):
    """The scenarios the README's commands read, with their `--set` values, are valid (`exitvoice check`)."""
    from typer.testing import CliRunner

    from exitvoice.cli import app

    args = ["check", str(ROOT / scenario), *(x for s in sets for x in ("--set", s))]
    r = CliRunner().invoke(app, args + (["--allow-outside-range"] if allow else []))
    assert r.exit_code == 0 and r.exception is None, (args, r.output, r.exception)


def test_readme_parameter_names_are_declared():
    """`--params` of calibrate and sensitivity in the README name declared parameters."""
    from exitvoice.pack import load_pack

    declared = load_pack("russia").declarations
    for _page, args in doc_commands([ROOT / "README.md"]):
        if args[0] in ("calibrate", "sensitivity"):
            names = _parse(args)[1]["params_"].split(",")
            assert set(names) <= set(declared), (args, set(names) - set(declared))


def test_cheap_commands_in_the_readme_run():
    from typer.testing import CliRunner

    from exitvoice.cli import app

    for _page, args in doc_commands([ROOT / "README.md"]):
        if args[0] in CHEAP:
            args = [str(ROOT / PLACEHOLDERS[a]) if a in PLACEHOLDERS else a for a in args]
            r = CliRunner().invoke(app, args)
            assert r.exit_code == 0 and r.exception is None, (args, r.output, r.exception)


def test_tables_have_no_blank_lines_inside():
    """Every run of table rows (`| ... |`, outside code blocks) starts with a header and its `|---|` line: a blank
    line inside a table ends it, and the rows after it would render as text."""
    broken = []
    for page in PAGES:
        rows: list[tuple[int, str]] = []
        fenced = False
        for number, line in enumerate([*page.read_text().splitlines(), ""], start=1):
            if line.startswith("```"):
                fenced = not fenced
            if not fenced and line.strip().startswith("|") and line.strip().endswith("|"):
                rows.append((number, line.strip()))
                continue
            if rows and not (len(rows) >= 2 and re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", rows[1][1])):
                broken.append(f"{page.relative_to(ROOT)}:{rows[0][0]}: table rows without a header line")
            rows = []
    assert not broken, broken
