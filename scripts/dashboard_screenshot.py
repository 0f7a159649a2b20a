"""Screenshot of the dashboard for docs/img/dashboard.png: russia-2022 on the whole country, 2022 observations on.

Needs Playwright and Debian's chromium (`apt-get install chromium`). Usage: python scripts/dashboard_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from exitvoice.dashboard import serve

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(out: Path = ROOT / "docs" / "img" / "dashboard.png") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        srv = serve(Path(tmp) / "results", ROOT / "scenarios", port=0)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = b.new_page(viewport={"width": 1500, "height": 1250})
                page.goto(f"http://127.0.0.1:{srv.server_address[1]}/")
                page.wait_for_selector("#scenario option", state="attached")
                page.select_option("#scope", "whole")
                page.check("#observations")
                page.click("#run")
                page.wait_for_function("document.body.dataset.runId !== '0'", timeout=600_000)
                page.wait_for_timeout(1000)
                page.screenshot(path=str(out))
                b.close()
        finally:
            srv.shutdown()
    print(out)


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
