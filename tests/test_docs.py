"""The docs point at things that exist: paths in commands, and sections of docs/model.md."""

from __future__ import annotations

import re
from pathlib import Path

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
