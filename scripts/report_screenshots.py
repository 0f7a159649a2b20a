"""Screenshots of the report `make demo` writes, for docs/report.md: docs/img/report-*.png.

Needs Playwright and Debian's chromium (`apt-get install chromium`), and the report of `make demo`
(results/report.html: the russia-2022 run, then the wave-2 comparison). Usage:
python scripts/report_screenshots.py [results/report.html]

Each image is one section of the report (or one chart of it), as a reader sees it in a window 1300 pixels wide.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_HEIGHT = 1500
"""Taller sections are cut at this height (the validation scorecard has a panel per quantity)."""

SHOTS = {  # image: (item of the report, 0 the run and 1 the comparison; the section's heading; a chart in it)
    "report-timeline.png": (0, "Scenario and policy timeline", None),
    "report-headline.png": (0, "Headline numbers", None),
    "report-map.png": (0, "Flows by destination and route", "div.wide"),
    "report-validation.png": (0, "Validation scorecard", None),
    "report-findings.png": (1, "Findings in plain words", None),
    "report-callup.png": (1, "The call-up against its quota", None),
}


def main(report: Path = ROOT / "results" / "report.html", out: Path = ROOT / "docs" / "img") -> None:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = b.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(report.resolve().as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(3000)  # every chart drawn and fitted to its place
        for name, (item, heading, inner) in SHOTS.items():
            section = page.locator(f"section[id^='r{item}-']").filter(
                has=page.locator("h2", has_text=heading)).first
            target = section.locator(inner).first if inner else section
            target.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            box = target.bounding_box()  # in the window: the page is scrolled by window.scrollX/Y
            x, y = page.evaluate("[window.scrollX, window.scrollY]")
            clip = {"x": box["x"] + x, "y": box["y"] + y, "width": box["width"],
                    "height": min(box["height"], MAX_HEIGHT)}
            page.screenshot(path=str(out / name), clip=clip, full_page=True)
            print(out / name)
        b.close()


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
