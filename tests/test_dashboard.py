"""`exitvoice serve`: server-side validation over HTTP, and the page driven in a real browser (Playwright)."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import write_scenario
from exitvoice.dashboard import serve
from exitvoice.errors import ExitvoiceError

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("dash")
    (base / "scenarios").mkdir()
    write_scenario(base / "scenarios" / "a.toml", "dash-a", "2022-10-10")
    write_scenario(base / "scenarios" / "b.toml", "dash-b", "2022-10-10", mobilisation=False)
    (base / "scenarios" / "c.toml").write_text(RUMOUR_SCENARIO)
    srv = serve(base / "results", base / "scenarios", port=0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", base
    srv.shutdown()
    srv.server_close()


def post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


LEVERS = {"scenario": "dash-a", "callup_target": 300000, "callup_start": "2022-09-21"}
# A rumour whose credibility names a declared parameter, set by the scenario to 0.35 (the parameter's default and
# the slider's old fallback are both 0.5): the page must start from 0.35.
RUMOUR_SCENARIO = """[scenario]
name = "dash-c"
start = 2022-09-14
end = 2022-10-10
[population]
scale = 0.02
regions = ["SE", "AST"]
[parameters]
"events2022.closure_rumour_credibility" = 0.35
[[policy]]
type = "rumour"
start = 2022-09-25
kind = "closure"
credibility = "events2022.closure_rumour_credibility"
half_life_days = 4
"""


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def test_options_give_a_rumours_credibility_as_a_number_even_when_it_names_a_parameter(server):
    url, _ = server
    scenarios = {s["name"]: s for s in get(url + "/api/options")["scenarios"]}
    assert scenarios["dash-c"]["rumour_credibility"] == 0.35
    assert scenarios["dash-a"]["rumour_credibility"] is None


def test_an_untouched_rumour_lever_keeps_the_scenarios_rumour(server):
    from exitvoice.dashboard import Levers, apply_levers
    from exitvoice.scenario import Scenario

    base = Scenario.from_toml(server[1] / "scenarios" / "c.toml")
    lv = Levers(scenario="dash-c", callup_target=0, callup_start="2022-09-21")  # what the page sends untouched
    (rumour,) = [p for p in apply_levers(base, lv, []).policy if p.type == "rumour"]
    assert rumour.credibility == "events2022.closure_rumour_credibility"  # still the named parameter
    lv = Levers(scenario="dash-c", callup_target=0, callup_start="2022-09-21", rumour_credibility=0.8)
    (rumour,) = [p for p in apply_levers(base, lv, []).policy if p.type == "rumour"]
    assert rumour.credibility == 0.8


def test_the_rumour_lever_is_the_rumour_the_scenario_applies(tmp_path):
    # closure-rumour.toml inherits the 2022 rumour (0.5, 25 Sep 2022) from russia-2022 and adds its own (0.8)
    from exitvoice.dashboard import Dashboard, Levers, apply_levers, load_scenarios, shipped_scenarios

    scenarios = load_scenarios(shipped_scenarios())
    options = {s["name"]: s for s in Dashboard(tmp_path, scenarios).options()["scenarios"]}
    assert options["closure-rumour"]["rumour_credibility"] == 0.8
    assert options["closure-rumour"]["rumour_start"] == "2023-01-10"
    assert options["russia-2022"]["rumour_credibility"] == 0.5  # its one rumour, a named parameter's value
    base = scenarios["closure-rumour"]
    lv = Levers(scenario="closure-rumour", callup_target=1_000_000, callup_start="2023-01-10", rumour_credibility=0.3)
    old, new = sorted((p for p in apply_levers(base, lv, []).policy if p.type == "rumour"), key=lambda p: p.start)
    assert new.credibility == 0.3  # the lever moves the scenario's own rumour
    assert old.credibility == "events2022.closure_rumour_credibility"  # the 2022 rumour stays as it was


def test_the_charts_of_the_regional_sample_say_what_it_covers(server):
    url, _ = server
    status, body = post(url + "/api/run", LEVERS)
    assert status == 200, body
    for key in ("output", "protest"):
        (name,) = [t["name"] for t in body["figures"][key]["data"] if t.get("name") and "5–95%" not in t["name"]]
        assert name.startswith("regions: Moscow (city), Saint Petersburg") and name.endswith("5% sample, scaled up")
        assert all(len(line) <= 60 for line in name.split("<br>"))  # in lines, under the chart: the plot keeps
        assert body["figures"][key]["layout"]["legend"]["y"] < 0  # its width and the legend is not cut off


def test_binds_localhost_by_default(server):
    url, _ = server
    assert url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("change, field", [
    ({"callup_target": -1}, "callup_target"),
    ({"exit_ban_enforcement": 2}, "exit_ban_enforcement"),
    ({"closed_crossings": ["../../etc/passwd"]}, "closed_crossings"),
    ({"scenario": "nope"}, "scenario"),
    ({"callup_start": "2021-01-01"}, "callup_start"),
    ({"overlay": "../outside"}, "overlay"),
    ({"shell": "rm -rf /"}, "shell"),
])
def test_every_input_is_validated_on_the_server(server, change, field):
    url, _ = server
    status, body = post(url + "/api/run", {**LEVERS, **change})
    assert status == 400
    assert f"'{field}'" in body["error"]


@pytest.mark.parametrize("change, field", [
    ({"callup_target": True}, "callup_target"),
    ({"callup_target": "300000"}, "callup_target"),
    ({"callup_target": 300000.5}, "callup_target"),
    ({"exit_ban_enforcement": "0.5"}, "exit_ban_enforcement"),
    ({"exit_ban_enforcement": True}, "exit_ban_enforcement"),
    ({"social_contract_offer": False}, "social_contract_offer"),
    ({"rumour_credibility": "0.5"}, "rumour_credibility"),
    ({"seed": "7"}, "seed"),
    ({"exit_ban": 1}, "exit_ban"),
    ({"exit_ban": "true"}, "exit_ban"),
    ({"observations": 0}, "observations"),
])
def test_numbers_and_switches_are_strict(server, change, field):
    """A number is a JSON number, not true or text; a switch is true or false: else 400 naming the field, in plain
    words (not the validator's)."""
    url, _ = server
    status, body = post(url + "/api/run", {**LEVERS, **change})
    assert status == 400
    assert f"'{field}'" in body["error"] and "given:" in body["error"] and "allowed:" in body["error"], body
    assert "Input should" not in body["error"]


def test_nan_is_not_a_lever_value(server):
    url, _ = server
    req = urllib.request.Request(url + "/api/run", headers={"Content-Type": "application/json"},
                                 data=json.dumps(LEVERS)[:-1].encode() + b', "exit_ban_enforcement": NaN}')
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=60)
    assert exc.value.code == 400 and "exit_ban_enforcement" in json.loads(exc.value.read())["error"]


@pytest.mark.parametrize("body", [b"[" * 9000 + b"]" * 9000, b"\xff\xfe{", b"{not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_a_400(server, body):
    url, _ = server
    req = urllib.request.Request(url + "/api/run", data=body, headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=60)
    assert exc.value.code == 400 and "JSON" in json.loads(exc.value.read())["error"]


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "99999999"])
def test_a_bad_content_length_is_a_400_not_a_traceback(server, length):
    """A Content-Length that is not a whole number of bytes within the limit: 400 in JSON (it raised in the server
    thread, which printed a traceback and dropped the connection; a negative one read until the client closed)."""
    import http.client

    url, _ = server
    host, port = url.removeprefix("http://").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=60)
    con.putrequest("POST", "/api/run")
    con.putheader("Content-Type", "application/json")
    con.putheader("Content-Length", length)
    con.endheaders()
    r = con.getresponse()
    assert r.status == 400 and "Content-Length" in json.loads(r.read())["error"]
    con.close()


def test_save_writes_only_a_slug_under_the_results_folder(server):
    url, base = server
    for name in ("../escape", "/tmp/x", "a/b", ""):
        status, body = post(url + "/api/save", {"name": name})
        assert status == 400 and "slug" in body["error"]
    assert not (base / "escape").exists()
    status, body = post(url + "/api/run", LEVERS)
    assert status == 200, body
    status, body = post(url + "/api/save", {"name": "saved-a"})
    assert status == 200 and "saved-a" in body["runs"]
    assert (base / "results" / "saved-a" / "summary.json").is_file()
    status, body = post(url + "/api/save", {"name": "saved-a"})  # the page cannot say "replace": another name
    assert status == 400 and "another name" in body["error"] and "force" not in body["error"], body
    status, body = post(url + "/api/run", {**LEVERS, "overlay": "saved-a", "observations": True})
    assert status == 200
    names = [t.get("name") for t in body["figures"]["quota"]["data"]]
    assert "mobilised · saved: saved-a" in names and any(n and n.startswith("observed 2022") for n in names)
    observed = [t["name"] for t in body["figures"]["entries"]["data"] if t["name"].startswith("observed")]
    assert observed == ["observed 2022 (whole country): Kazakhstan (KZ)"]  # the chart is of Kazakhstan only
    status, body = post(url + "/api/run", {**LEVERS, "observations": True})
    traces = {t["name"]: t for t in body["figures"]["entries"]["data"]}
    for g in ("Kazakhstan (KZ)", "Georgia (GE)", "Finland (FI)"):  # each point in the colour of its line
        assert traces[f"observed 2022 (whole country): {g}"]["marker"]["color"] == traces[g]["line"]["color"], g


def test_a_port_in_use_is_a_clear_error(server, tmp_path):
    url, base = server
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(ExitvoiceError, match="cannot listen there"):
        serve(tmp_path / "r", base / "scenarios", port=port)


def browser():
    """Playwright with Debian's chromium, or a skip saying what is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        pytest.skip("no browser: /usr/bin/chromium is missing (apt-get install chromium; .ci/run does it)")
    return sync_api


def test_dashboard_in_a_real_browser(server, tmp_path):
    sync_api = browser()
    url, _ = server
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium")),
                              args=BROWSER_ARGS)
        try:
            page = b.new_page(viewport={"width": 1400, "height": 1600})
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            sent = []
            page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/api/run") else None)
            page.goto(url)
            page.wait_for_selector("#scenario option", state="attached")
            assert page.input_value("#callup_target") == "300000"
            # before the first run: a plain message, no empty chart frames
            assert page.is_visible("#placeholder") and "press Run" in page.inner_text("#placeholder")
            assert not page.is_visible("#charts") and page.locator(".js-plotly-plot").count() == 0
            page.select_option("#scenario", "dash-c")  # its rumour's credibility names a parameter set to 0.35
            assert page.input_value("#rumour_credibility") == "0.35"
            assert page.inner_text("#rumour_credibility_v") == "0.35"
            page.select_option("#scenario", "dash-a")
            run_id = page.evaluate("document.body.dataset.runId")
            page.click("#run")
            page.wait_for_function(f"document.body.dataset.runId !== '{run_id}'", timeout=300_000)
            assert sent[-1]["rumour_credibility"] is None  # not moved: not sent, the scenario's rumours stay
            assert not page.is_visible("#placeholder") and page.is_visible("#charts")
            first = page.inner_text("[data-metric=mobilised] b")
            # the map: regions, crossings and destinations with their flows, named, the full width of the charts
            names = page.evaluate("document.getElementById('chart-map').data.map((t) => t.name || '')")
            assert {"regions of origin (area: leavers)", "land crossings (area: people crossed)",
                    "destinations (area: leavers who went there)", "by land: crossing → country"} <= set(names)
            assert page.evaluate("document.getElementById('chart-map').layout.annotations.length") >= 3
            widths = page.evaluate("['chart-map', 'chart-routes'].map((i) => document.getElementById(i)"
                                   ".getBoundingClientRect().width)")
            assert widths[0] > 1.8 * widths[1]  # a row of its own
            first_line = page.evaluate("JSON.stringify(document.getElementById('chart-quota').data[0].y)")
            assert "regional sample" in page.inner_text("#scope_note")
            page.fill("#callup_target", "100000")  # a lever changes
            page.select_option("#closed_crossings", ["upper_lars"])
            page.locator("#rumour_credibility").fill("0.2")  # moved by the user: sent
            page.locator("#rumour_credibility").dispatch_event("input")
            run_id = page.evaluate("document.body.dataset.runId")
            page.click("#run")
            page.wait_for_function(f"document.body.dataset.runId !== '{run_id}'", timeout=300_000)
            assert sent[-1]["rumour_credibility"] == 0.2
            second = page.inner_text("[data-metric=mobilised] b")
            second_line = page.evaluate("JSON.stringify(document.getElementById('chart-quota').data[0].y)")
            assert first != second  # a headline number changed
            assert second_line != first_line  # and a chart: the mobilised line was redrawn
            assert errors == [], errors  # no console error on load or in two runs
            page.fill("#callup_target", "-5")  # refused by the server, shown on the page
            page.click("#run")
            page.wait_for_function("document.getElementById('status').className === 'error'")
            assert "callup_target" in page.inner_text("#status")
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            assert (tmp_path / "dashboard.png").stat().st_size > 10_000
        finally:
            b.close()


def test_serve_with_bad_input_is_exit_2(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "exitvoice", "serve", str(tmp_path / "res"), "--scenarios",
                        str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no scenario files" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "file").write_text("x")
    r = subprocess.run([sys.executable, "-m", "exitvoice", "serve", str(tmp_path / "file")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "not a folder" in r.stderr
    r = subprocess.run([sys.executable, "-m", "exitvoice", "serve", str(tmp_path / "typo" / "res"), "--port", "0"],
                       capture_output=True, text=True, timeout=60)  # a typo makes no tree of folders
    assert r.returncode == 2 and "Traceback" not in r.stderr and "RESULTS_DIR" in r.stderr
    assert not (tmp_path / "typo").exists()


def test_serve_offers_the_scenarios_that_come_with_exitvoice_from_any_folder(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(tmp_path)  # no scenarios/ here
    srv = serve(tmp_path / "results", port=0)
    try:
        assert srv.scenarios_folder == root / "scenarios"
    finally:
        srv.server_close()
    r = subprocess.run([sys.executable, "-m", "exitvoice", "serve", "--help"], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "200"}, timeout=60)
    assert "scenarios that come with exitvoice" in r.stdout and "whatever the current folder" in r.stdout


@pytest.fixture(scope="module")
def myanmar_board(tmp_path_factory):
    """A dashboard offering a short myanmar-2024 (to the end of May 2024) beside a Russian scenario."""
    from exitvoice.dashboard import Dashboard
    from exitvoice.scenario import Scenario

    root = Path(__file__).resolve().parents[1] / "scenarios"
    data = Scenario.from_toml(root / "myanmar-2024.toml").model_dump(mode="json")
    data["scenario"]["end"] = "2024-05-31"
    data["policy"] = [p for p in data["policy"] if p["start"] <= "2024-05-31"]
    scenarios = {"myanmar-2024": Scenario.from_dict(data, source="myanmar-2024, shortened"),
                 "russia-2022": Scenario.from_toml(root / "russia-2022.toml")}
    return Dashboard(tmp_path_factory.mktemp("mm-dash"), scenarios)


def test_the_levers_are_those_of_each_scenarios_country_pack(myanmar_board):
    """Crossings, the sample, whom the controls target and the observations follow the scenario's pack."""
    options = {s["name"]: s for s in myanmar_board.options()["scenarios"]}
    mm, ru = options["myanmar-2024"], options["russia-2022"]
    assert [c["id"] for c in mm["crossings"]] == ["myawaddy", "tachileik", "kawthaung"]
    assert {c["label"] for c in mm["crossings"]} >= {"Myawaddy → Thailand"}
    assert "upper_lars" in {c["id"] for c in ru["crossings"]}
    assert mm["controls_for"] == "people of call-up age (men 18–35, women 18–27)"
    assert ru["controls_for"] == "people of call-up age (men 18–55)"
    assert "Yangon" in mm["sample"] and "Moscow" in ru["sample"]
    assert (mm["country"], mm["currency"], mm["observations"]) == ("Myanmar", "MMK", False)
    assert (ru["country"], ru["currency"], ru["observations"]) == ("Russia", "RUB", True)


def test_a_myanmar_scenario_runs_through_the_dashboard(myanmar_board):
    """The server-side run of a Myanmar scenario: its crossings can be closed, its controls target whom its law
    reaches, and no chart or number names Russia, its origin code or its money."""
    levers = {"scenario": "myanmar-2024", "callup_target": 5000, "callup_start": "2024-04-01", "exit_ban": True,
              "closed_crossings": ["myawaddy"], "exit_visa_capacity": 1000}
    body = myanmar_board.run(levers)
    assert body["country"] == "Myanmar" and "Yangon" in body["scope"]
    assert {"left", "mobilised"} <= set(body["headline"])
    text = json.dumps(body["figures"])
    for word in ('"RU"', "RUB", "Russia", "Kazakhstan", "Moscow"):
        assert word not in text, word
    entries = [t["name"] for t in body["figures"]["entries"]["data"] if "5–95%" not in t["name"]]
    assert entries and all(n.endswith(")") for n in entries) and "Thailand (TH)" in entries
    assert body["figures"]["queues"]["data"], "the waits of the busiest Thai crossings"
    sc = myanmar_board.last.extra["scenario"]
    ours = {p["type"]: p for p in sc["policy"] if (p.get("label") or "").endswith("(dashboard)")}
    assert ours["exit_ban"]["who"]["callup_age"] is True and ours["exit_visa"]["who"]["callup_age"] is True
    assert ours["border_closure"]["routes"] == ["myawaddy"]
    with pytest.raises(ExitvoiceError, match="unknown crossings") as exc:  # a Russian crossing: not this pack's
        myanmar_board.run({**levers, "closed_crossings": ["upper_lars"]})
    assert "myawaddy" in str(exc.value)
    with pytest.raises(ExitvoiceError, match="no observations"):
        myanmar_board.run({**levers, "observations": True})
