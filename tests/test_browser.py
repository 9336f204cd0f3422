"""The web page at `/` in a real headless Chromium (Debian's), driven by Playwright,
against the firmware under MicroPython fed by meter-timed telegrams."""

import json
import os
import shutil
import sys
import time

import pytest

from harness import ROOT, wait_for

sys.path.insert(0, ROOT)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

if not CHROMIUM or sync_playwright is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium or playwright is missing: `make test` installs them")
    pytest.skip("needs Debian's chromium (apt-get install chromium)", allow_module_level=True)

from firmware.simulator import Meter  # noqa: E402

SHOTS = os.path.join(ROOT, "build")


def feed_hours(meter, fw, hours=3):
    """Meter-timed telegrams a minute apart, ending now: history and samples to draw."""
    m = Meter(seed=3)
    now = int(time.time())
    start = now - hours * 3600
    data = b"".join(m.telegram(t) for t in range(start, now + 1, 60))
    last = m.telegram(now + 60)
    meter.send(data + last)
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == last, 60, "the telegrams")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, fw, **kw):
    page = browser.new_page(**kw)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("http://127.0.0.1:%d/" % fw.port)
    return page, errors


def test_page_shows_live_values_charts_and_history(browser, fw, meter):
    feed_hours(meter, fw)
    page, errors = open_page(browser, fw, viewport={"width": 1280, "height": 1600})
    page.wait_for_function("document.getElementById('state').textContent === 'live'", timeout=10000)
    actual = {e["name"]: e["value"] for e in fw.get("/api/v1/sm/actual").json()["actual"]}
    page.wait_for_function("document.getElementById('pin').textContent !== '–'", timeout=10000)
    assert page.inner_text("#pin") == "%.3f" % actual["power_delivered"]
    assert page.inner_text("#pout") == "%.3f" % actual["power_returned"]
    page.wait_for_function("Number(document.getElementById('hour').dataset.points) > 10", timeout=10000)
    page.wait_for_function("Number(document.getElementById('bars').dataset.bars) >= 2", timeout=10000)
    assert "L1" in page.inner_text("#phases") and "L3" in page.inner_text("#phases")
    page.wait_for_function("document.getElementById('today').textContent.includes('kWh')", timeout=10000)
    page.click("text=days")
    page.wait_for_function("document.querySelector('[data-h=days]').getAttribute('aria-pressed') === 'true'")
    page.wait_for_function("document.getElementById('raw').textContent.startsWith('/')", timeout=20000)
    # the device card answers "is it working?"; every counter is folded away
    assert "connected, last telegram" in page.inner_text("#health")
    assert "telegramcount" in page.text_content("#dev") and "telegramcount" not in page.inner_text("#dev")
    os.makedirs(SHOTS, exist_ok=True)
    page.click("text=hours")
    time.sleep(0.5)
    assert page.evaluate("document.getElementById('hour').dataset.points") == str(
        len(fw.get("/api/v1/sm/samples").json()["watts"])) == "61"  # 3 h a minute apart: the last hour
    # labelled within the hour, never "-180 min"
    assert page.evaluate("document.getElementById('hour').dataset.axis") == "-60 min,-45 min,-30 min,-15 min,now"
    page.screenshot(path=os.path.join(SHOTS, "screenshot.png"), full_page=True)
    assert errors == []


def test_settings_change_round_trips(browser, fw, meter):
    feed_hours(meter, fw, 1)
    choose_no_password(fw)
    page, errors = open_page(browser, fw)
    page.wait_for_selector("input[name=http_timeout]", state="attached")
    page.click("text=Advanced")  # folded away
    page.fill("input[name=http_timeout]", "9")
    page.click("text=Save changes")
    page.wait_for_function("document.getElementById('saved').textContent.startsWith('saved')", timeout=10000)
    assert page.inner_text("#saved") == "saved: Request timeout"
    assert page.is_hidden("#restart")  # takes effect at once
    assert page.is_visible("input[name=http_timeout]")  # Advanced stays open
    by = {s["name"]: s["value"] for s in fw.get("/api/v1/dev/settings").json()["settings"]}
    assert by["http_timeout"] == 9
    page.fill("input[name=hostname]", "")  # invalid (the browser checks numbers itself)
    page.click("text=Save changes")
    page.wait_for_function("document.getElementById('saved').textContent.startsWith('not saved')", timeout=10000)
    assert "hostname must be 1..32 bytes" in page.inner_text("#saved")
    # Chromium logs every non-2xx answer; the 400 we asked for is the only one
    assert errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]


def choose_no_password(fw):
    r = fw.get("/api/v1/dev/settings", method="POST", body=b'{"writes_open": true}',
               headers={"Content-Type": "application/json"})
    assert r.status == 200


def test_states_no_telegram_yet_then_unreachable(browser, fw):
    page, errors = open_page(browser, fw, viewport={"width": 390, "height": 844})  # a phone
    page.wait_for_function("document.getElementById('state').textContent.includes('no telegram')", timeout=10000)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    fw.stop()
    page.wait_for_function("document.getElementById('state').textContent === 'dongle unreachable'", timeout=15000)
    assert "bad" in page.get_attribute("#state", "class")  # told apart by text, not colour alone


def test_a_meter_gone_quiet_is_shown(browser, fw, meter):
    feed_hours(meter, fw, 1)
    page = browser.new_page()
    page.goto("http://127.0.0.1:%d/?quiet=2" % fw.port)
    page.wait_for_function("document.getElementById('state').textContent === 'live'", timeout=10000)
    page.wait_for_function("document.getElementById('state').textContent.startsWith('meter quiet for')",
                           timeout=15000)
    assert "warn" in page.get_attribute("#state", "class")


def test_dark_mode_follows_the_system(browser, fw):
    light, _ = open_page(browser, fw, color_scheme="light")
    dark, _ = open_page(browser, fw, color_scheme="dark")
    bg = "getComputedStyle(document.body).backgroundColor"
    assert light.evaluate(bg) != dark.evaluate(bg)


def stamped(ts):
    """The spec telegram with meter time `ts` (b'YYMMDDhhmmssX'), CRC sealed."""
    from dsmr import seal
    from harness import fixture

    t = fixture("dsmr50_spec")
    at = t.index(b"0-0:1.0.0(") + 10
    return seal(t[:at] + ts + t[at + 13 : t.index(b"!") + 1])


def test_the_meter_clock_is_readable_with_summer_or_winter_on_hover(browser, fw, meter):
    page, errors = open_page(browser, fw)
    for ts, text, title in ((b"261126080254W", "Thu 26 Nov 2026 08:02:54", "winter time (CET, UTC+1)"),
                            (b"260705123000S", "Sun 5 Jul 2026 12:30:00", "summer time (CEST, UTC+2)"),
                            (b"240229235959W", "Thu 29 Feb 2024 23:59:59", "winter time (CET, UTC+1)")):
        meter.send(stamped(ts))
        page.wait_for_function("document.getElementById('stamp').textContent.startsWith('meter time %s')" % text,
                               timeout=10000)
        assert page.get_attribute("#stamp", "title") == title
        assert "ago" not in page.inner_text("#stamp")  # it just came
    # no telegram for a while: its age is shown (more than 5 s)
    page.wait_for_function("/, \\d+ s ago$/.test(document.getElementById('stamp').textContent)", timeout=20000)
    age = int(page.inner_text("#stamp").rsplit(", ", 1)[1].split(" ")[0])
    assert 5 < age < 20
    # (before the first telegram the page gets 503s, and their closed connections: not script errors)
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []


# Counts the page's fetches in flight (wrapped before the page's script runs).
COUNT_FETCHES = r"""
window.__fetches = {now: 0, most: 0, all: 0, loaded: 0, mostLoaded: 0};
const f = window.fetch;
window.fetch = (...a) => {
  const c = window.__fetches, loaded = !/\/api\/v1\/sm\/(actual|fields|telegram|samples)/.test(a[0]);
  c.now++; c.all++; c.most = Math.max(c.most, c.now);
  if (loaded) { c.loaded++; c.mostLoaded = Math.max(c.mostLoaded, c.loaded); }
  return f(...a).finally(() => { c.now--; if (loaded) c.loaded--; }); };
"""


def test_the_page_never_has_more_than_two_requests_in_flight(browser, fw, meter):
    # the dongle serves 4 connections at once and drops one for a newcomer: the page
    # must not compete with itself (it starts 6 refreshes and the settings at once)
    feed_hours(meter, fw, 1)
    page = browser.new_page()
    page.add_init_script(COUNT_FETCHES)
    page.goto("http://127.0.0.1:%d/" % fw.port)
    page.wait_for_function("document.getElementById('raw').textContent.startsWith('/')", timeout=20000)
    page.wait_for_selector("input[name=http_timeout]", state="attached")
    counts = page.evaluate("window.__fetches")
    assert counts["all"] >= 7 and counts["most"] == 2, counts
    # of the endpoints the dongle loads per request (device, settings, history, peaks), one at a time
    assert counts["mostLoaded"] == 1, counts


def test_a_request_dropped_by_the_dongle_is_retried_once(browser, fw, meter):
    feed_hours(meter, fw, 1)
    page, errors = open_page_routed(browser, fw, "**/api/v1/dev/settings", failures=1)
    page.wait_for_selector("input[name=http_timeout]", state="attached", timeout=10000)
    assert [e for e in errors if "ERR_CONNECTION_RESET" not in e] == []
    # an answer "out of memory: try again" (503) is asked again once, a second later
    page, errors = open_page_routed(browser, fw, "**/api/v1/dev/settings", failures=1, status=503)
    page.wait_for_selector("input[name=http_timeout]", state="attached", timeout=10000)
    # dropped twice in a row: given up, the form stays empty and the page keeps going
    page, errors = open_page_routed(browser, fw, "**/api/v1/dev/settings", failures=2)
    page.wait_for_function("document.getElementById('state').textContent === 'live'", timeout=10000)
    time.sleep(1)
    assert page.query_selector("input[name=http_timeout]") is None


def open_page_routed(browser, fw, pattern, failures, status=None):
    """The page with its first `failures` requests matching `pattern` reset by the network
    (or answered `status`, out of memory)."""
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    left = [failures]

    def handle(route):
        if left[0]:
            left[0] -= 1
            if status:
                route.fulfill(status=status, content_type="application/json", body='{"error": "out of memory: try again"}')
            else:
                route.abort("connectionreset")
        else:
            route.continue_()

    page.route(pattern, handle)
    page.goto("http://127.0.0.1:%d/" % fw.port)
    return page, errors


def test_the_quarter_hour_peak_card(browser, fw, meter):
    from harness import fixture
    from test_e2e_peaks import DutchMeter, local_ts

    t = fixture("fluvius_peaks_13")  # 450 s into the quarter at 2.351 kW; April's peak 2.589 kW
    meter.send(t)
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == t, 10, "the telegram")
    page, errors = open_page(browser, fw, viewport={"width": 1280, "height": 1600})
    page.wait_for_function("!document.getElementById('peaks').hidden", timeout=15000)
    assert page.inner_text("#qavg") == "2.351" and page.inner_text("#mpeak") == "2.589"
    assert page.inner_text("#qsrc") == "(the meter's figures)"
    width = page.evaluate("document.getElementById('qfill').style.width")
    assert width == "90.8%", width  # 2.351 of 2.589
    assert "over" not in (page.get_attribute("#peaks", "class") or "")
    assert "projected 1.175 kW" in page.inner_text("#qnote")
    assert "3.941 kW, the average of 12 monthly peaks" in page.inner_text("#bill")
    page.click("#peaks summary")
    rows = page.evaluate("[...document.querySelectorAll('#months tr')].map((r) => [...r.cells].map((c) => c.textContent))")
    assert len(rows) == 1 + 1 + 13 and rows[1][:2] == ["2024-04", "2.589"], rows
    assert rows[2] == ["2024-03", "5.980", "2024-03-12 18:30"], rows
    os.makedirs(SHOTS, exist_ok=True)
    page.locator("#peaks").screenshot(path=os.path.join(SHOTS, "peaks.png"))
    # a Dutch meter whose power now will beat this month's peak by the quarter's end
    m = DutchMeter()
    t0 = local_ts(2026, 3, 10, 12, 0, 0)
    tel = m.run(t0, 900, 3600, 1) + m.run(t0 + 900, 300, 1800, 1) + [m.telegram(t0 + 1200, 7200)]
    meter.send(b"".join(tel))
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == tel[-1], 30, "the telegrams")
    page.wait_for_function("document.getElementById('peaks').classList.contains('over')", timeout=15000)
    assert page.inner_text("#qsrc") == "(from the meter's counters)"
    assert page.inner_text("#qavg") == "1.800" and page.inner_text("#mpeak") == "3.600"
    assert "projected 5.400 kW" in page.inner_text("#qnote") and "above this month's peak" in page.inner_text("#qnote")
    # (a connection the dongle dropped is the server's business, tests/test_e2e_fair.py: script errors are ours)
    assert [e for e in errors if not e.startswith("Failed to load resource: net::")] == []


def open_at(browser, fw, path="/", **kw):
    """The page, with its console errors and the bodies of the requests it POSTs."""
    page = browser.new_page(**kw)
    errors, posts = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: posts.append((r.url.split("/", 3)[3], r.post_data)) if r.method == "POST" else None)
    page.goto("http://127.0.0.1:%d%s" % (fw.port, path))
    return page, errors, posts


def test_dutch_and_english_follow_the_browser_with_a_switch(browser, fw, meter):
    feed_hours(meter, fw, 1)
    os.makedirs(SHOTS, exist_ok=True)
    page, errors, _ = open_at(browser, fw, locale="nl-BE", viewport={"width": 1280, "height": 1600})
    page.wait_for_function("document.getElementById('pin').textContent !== '–'", timeout=10000)
    page.wait_for_selector("#settings legend")
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert page.inner_text("section h2 >> nth=0") == "Vermogen nu"
    assert page.inner_text("#state") == "live" and page.inner_text("#stamp").startswith("metertijd ")
    pin = page.inner_text("#pin")
    assert "," in pin and "." not in pin, pin  # a decimal comma
    page.wait_for_function("document.getElementById('health').textContent.includes('verbonden')", timeout=10000)
    assert "In bedrijf" in page.inner_text("#health")
    assert page.inner_text("#settings legend >> nth=0") == "Meteraansluiting"
    assert "Snelheid" in page.inner_text("#settings") and "Geavanceerd" in page.inner_text("#settings")
    assert page.inner_text("#lang") == "English"
    page.wait_for_function("Number(document.getElementById('hour').dataset.points) > 10", timeout=10000)
    page.wait_for_function("document.getElementById('today').textContent.includes('kWh')", timeout=10000)
    time.sleep(0.5)
    page.screenshot(path=os.path.join(SHOTS, "screenshot-nl.png"), full_page=True)
    # the switch: English at once, numbers with a decimal point, and it is remembered
    page.click("#lang")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.inner_text("section h2 >> nth=0") == "Power now"
    assert page.inner_text("#settings legend >> nth=0") == "Meter connection"
    page.wait_for_function("document.getElementById('pin').textContent.includes('.')", timeout=10000)
    page.wait_for_function("document.getElementById('health').textContent.includes('connected, last')", timeout=15000)
    page.reload()
    page.wait_for_selector("#settings legend")
    assert page.inner_text("section h2 >> nth=0") == "Power now"
    # any other language: English
    page2, errors2, _ = open_at(browser, fw, locale="fr-FR")
    page2.wait_for_selector("#settings legend")
    assert page2.inner_text("section h2 >> nth=0") == "Power now" and page2.inner_text("#lang") == "Nederlands"
    assert page2.evaluate("document.documentElement.lang") == "en"
    assert errors == errors2 == []


def test_a_non_zero_error_counter_is_highlighted_with_what_to_check(browser, fw, meter):
    from dsmr import seal
    from harness import fixture

    good = seal(fixture("dsmr50_spec"))
    at = good.index(b"1-0:1.8.1(") + 12
    bad = good[:at] + bytes([good[at] ^ 1]) + good[at + 1 :]  # one digit off: the CRC no longer fits
    meter.send(good + bad + good)
    wait_for(lambda: counters(fw)["crcerrors"] == 1, 10, "a CRC error counted")
    page, errors, _ = open_at(browser, fw, viewport={"width": 390, "height": 844})
    page.wait_for_selector("#problems li")
    problems = page.locator("#problems li")
    assert problems.count() == 1
    assert problems.inner_text().startswith("crcerrors: 1 Telegrams with a bad checksum")
    assert "pull-up" in problems.inner_text() and "bad" in problems.get_attribute("class")
    assert page.evaluate("getComputedStyle(document.querySelector('#problems li')).color") != page.evaluate(
        "getComputedStyle(document.querySelector('#health td')).color")  # it stands out
    page.click("text=All counters")
    assert page.evaluate("[...document.querySelectorAll('#dev tr.hl')].map((r) => r.cells[0].textContent)") == ["crcerrors"]
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")  # a phone, counters open
    # in Dutch
    page2, errors2, _ = open_at(browser, fw, locale="nl-NL")
    page2.wait_for_selector("#problems li")
    assert page2.inner_text("#problems li").startswith("crcerrors: 1 Telegrammen met een fout controlegetal")
    assert errors == errors2 == []


def counters(fw):
    return {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}


def test_settings_send_only_what_changed_and_a_restart_is_offered(browser, fw, meter):
    feed_hours(meter, fw, 1)
    choose_no_password(fw)
    page, errors, posts = open_at(browser, fw, viewport={"width": 390, "height": 844})
    page.wait_for_selector("input[name=hist_hours]")
    # grouped, labelled, with unit, help and range; Advanced and PC-only folded away
    assert page.locator("#settings legend").all_inner_texts() == [
        "Meter connection", "Wi-Fi", "Home Assistant / MQTT", "History", "Security"]
    assert page.is_hidden("input[name=sim_speed]") and page.is_hidden("input[name=http_buffer]")
    baud = page.locator(".set", has=page.locator("input[name=p1_baud]"))
    assert baud.inner_text().startswith("Speed")
    assert "300 to 921600 baud." in baud.inner_text() and "After a restart." in baud.inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")  # a phone
    page.fill("input[name=hist_hours]", "24")
    page.click("text=Save changes")
    page.wait_for_selector("#restart:not([hidden])")
    assert posts == [("api/v1/dev/settings", '{"hist_hours":24}')]  # only what changed
    assert page.inner_text("#rsmsg") == "Takes effect after a restart: Hours kept."
    # the dongle lists the value in effect (48) until the restart: the form shows what was saved
    assert {s["name"]: s["value"] for s in fw.get("/api/v1/dev/settings").json()["settings"]}["hist_hours"] == 48
    assert page.input_value("input[name=hist_hours]") == "24"
    assert "Saved: in effect after a restart." in page.inner_text(".set:has(input[name=hist_hours])")
    # saving again without a change sends nothing
    page.click("text=Save changes")
    assert page.inner_text("#saved") == "nothing changed" and len(posts) == 1
    page.click("#rsbtn")
    assert fw.exited() != 0  # (on a PC the firmware ends where the dongle reboots)
    assert posts[1][0] == "api/v1/dev/restart"
    with open(os.path.join(os.path.dirname(fw.log_path), "settings.json")) as f:
        assert json.load(f)["hist_hours"] == 24  # what the next boot reads
    assert page.inner_text("#rsmsg") == "Restarting…"
    assert [e for e in errors if not e.startswith("Failed to load resource: net::")] == []


def test_the_settings_form_works_with_the_keyboard_alone(browser, fw, meter):
    feed_hours(meter, fw, 1)
    choose_no_password(fw)
    page, errors, posts = open_at(browser, fw)
    page.wait_for_selector("input[name=hist_days]")

    def tab_to(selector):
        for _ in range(150):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError("Tab never reached " + selector)

    tab_to("input[name=hist_days]")
    page.keyboard.press("Control+A")
    page.keyboard.type("7")
    tab_to("#settings summary")  # Advanced, folded: open it with the keyboard
    page.keyboard.press("Enter")
    tab_to("input[name=http_keepalive]")
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("#restart:not([hidden])")
    assert [json.loads(b) for _, b in posts] == [{"hist_days": 7, "http_keepalive": 20}]
    assert page.evaluate("document.activeElement.id") == "rsbtn"  # the next step has the focus
    by = {s["name"]: s["value"] for s in fw.get("/api/v1/dev/settings").json()["settings"]}
    assert by["http_keepalive"] == 20 and by["hist_days"] == 14  # 7 after a restart
    assert page.inner_text("#rsmsg") == "Takes effect after a restart: Days kept."
    page.keyboard.press("Enter")  # the restart button
    assert fw.exited() != 0
    assert [e for e in errors if not e.startswith("Failed to load resource: net::")] == []


def test_the_quarter_hour_peak_card_in_dutch(browser, fw, meter):
    from harness import fixture

    t = fixture("fluvius_peaks_13")  # a Flemish meter: 2.351 kW so far, April's peak 2.589 kW
    meter.send(t)
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == t, 10, "the telegram")
    page, errors, _ = open_at(browser, fw, locale="nl-BE")
    page.wait_for_function("!document.getElementById('peaks').hidden", timeout=15000)
    assert page.inner_text("#peaks h2").startswith("Kwartierpiek")
    assert page.inner_text("#qavg") == "2,351" and page.inner_text("#qsrc") == "(de cijfers van de meter)"
    assert page.inner_text("#qnote").startswith("verwacht 1,175 kW aan het eind van het kwartier")
    assert "3,941 kW, het gemiddelde van 12 maandpieken" in page.inner_text("#bill")
    assert [e for e in errors if not e.startswith("Failed to load resource: net::")] == []


def test_the_device_card_on_the_dongle_shows_the_wifi_signal(browser, tmp_path, meter):
    """The dongle's platform layer over the fakes (tests/test_e2e_esp32.py): its network
    gives a signal of -61 dBm, three bars of four."""
    from test_e2e_esp32 import Dongle

    with Dongle(tmp_path, meter, {"wifi_ssid": "home"}) as d:
        meter.wait_client()
        wait_for(lambda: "joined home" in d.fw.log(), 20, "joined")
        t = stamped(b"261130120000W")
        meter.send(t)
        wait_for(lambda: d.fw.get("/api/v1/sm/telegram").body == t, 10, "the telegram")
        page, errors, _ = open_at(browser, d.fw, locale="nl-NL")
        page.wait_for_function("document.getElementById('health').textContent.includes('dBm')", timeout=15000)
        wifi = page.locator("#health tr", has_text="Wifi")
        assert wifi.inner_text().split("\t")[-1].strip().startswith("-61 dBm")
        assert page.evaluate("document.querySelectorAll('#health .sig i.on').length") == 3
        # (/api/v1/sm/peaks right after another endpoint loaded per request may answer 503,
        # out of memory, at this heap: the page asks again a second later)
        assert [e for e in errors if "status of 503" not in e] == []


def test_the_update_control_sends_a_bundle_with_the_admin_password(browser, meter, tmp_path):
    """The settings card's update control: a bundle (tools/ota.py) and the admin password from
    the form go to POST /api/v1/dev/update; what the dongle says is shown (firmware in a
    folder of its own: an update writes ota/ next to its main.py)."""
    from harness import ON_YARDSTICK, Firmware

    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build
    import ota

    flash = str(tmp_path / "flash")
    build.build("x86" if ON_YARDSTICK else "x64", flash)
    bundle = str(tmp_path / "update.bundle")
    ota.write_bundle(flash, bundle, "0.9.9-page")
    fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, root=flash, admin_password="page-pw1")  # (8..63 characters)
    try:
        page, errors, posts = open_at(browser, fw)
        page.wait_for_selector("input[name=hist_hours]")
        page.click("#upd button")
        assert page.inner_text("#umsg") == "choose a bundle (make ota) first" and posts == []
        page.set_input_files("#ufile", bundle)
        page.fill("#admin", "wrong")
        page.click("#upd button")
        page.wait_for_function("document.getElementById('umsg').textContent.startsWith('not updated')")
        assert page.inner_text("#umsg") == "not updated: admin password required"
        page.fill("#admin", "page-pw1")
        page.click("#upd button")
        page.wait_for_function("document.getElementById('umsg').textContent.includes('0.9.9-page')", timeout=20000)
        assert page.inner_text("#umsg") == "0.9.9-page is checked and starts after the restart"
        assert [p[0] for p in posts] == ["api/v1/dev/update", "api/v1/dev/update"]
        assert fw.exited(10) == 75  # it restarts into it (a PC's firmware ends: bootstate.RESTART)
        with open(os.path.join(flash, "ota", "state.json")) as f:
            assert json.load(f)["vrun"] == "0.9.9-page"
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        fw.stop()


def test_a_page_on_another_site_cannot_change_anything(browser, fw, tmp_path):
    """Issue #13: a web page a household member opens, on another origin, tries every
    write a browser lets it send (a form POST, a text/plain fetch, a JSON fetch that
    needs a preflight); none lands, even with writes open by the owner's choice."""
    import http.server
    import threading

    choose_no_password(fw)
    dongle = "http://127.0.0.1:%d" % fw.port
    evil = ("<!doctype html><title>cats</title><body>"
            "<form id=f method=post action='%s/api/v1/dev/setup' enctype='application/x-www-form-urlencoded'>"
            "<input name=ssid value=evil><input name=password value=evil-pass><input name=writes_open value=on></form>"
            "<iframe name=sink></iframe><script>"
            "const d = '%s', out = [];"
            "async function go() {"
            " try { await fetch(d + '/api/v1/dev/settings', {method: 'POST', mode: 'no-cors',"
            "  headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({hostname: 'pwned1'})}); out.push('sent'); }"
            " catch (e) { out.push('blocked'); }"
            " try { await fetch(d + '/api/v1/dev/settings', {method: 'POST',"
            "  headers: {'Content-Type': 'application/json'}, body: JSON.stringify({hostname: 'pwned2'})}); out.push('read'); }"
            " catch (e) { out.push('preflight refused'); }"
            " document.getElementById('f').target = 'sink'; document.getElementById('f').submit();"
            " document.title = 'done ' + out.join(',');"
            "}; go();</script>") % (dongle, dongle)

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = evil.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.goto("http://localhost:%d/" % srv.server_address[1])  # another origin (and site) than the dongle
        page.wait_for_function("document.title.startsWith('done')", timeout=10000)
        assert page.title() == "done sent,preflight refused"  # the JSON one never left the browser
        time.sleep(1)  # the form's POST lands in the iframe meanwhile
        # (hostname and wifi_ssid apply after a restart: what was saved is in the file)
        assert json.loads((tmp_path / "settings.json").read_text()) == {"writes_open": True}
        assert fw.alive()
    finally:
        srv.shutdown()


def test_the_page_asks_for_a_choice_then_uses_the_new_password(browser, fw, meter):
    """Issue #13: a dongle with no admin password and no choice says writes are not
    protected and takes no change but that choice; the password set on the page is
    used for the next change, and a new visit needs it."""
    feed_hours(meter, fw, 1)
    page, errors, posts = open_at(browser, fw)
    page.wait_for_selector("input[name=http_timeout]", state="attached")
    assert "not protected" in page.inner_text("#writes") and "choose an admin password" in page.inner_text("#writes")
    page.fill("input[name=hist_hours]", "24")
    page.click("text=Save changes")
    page.wait_for_function("document.getElementById('saved').textContent.startsWith('not saved')", timeout=10000)
    assert "no admin password chosen yet" in page.inner_text("#saved")
    page.fill("input[name=hist_hours]", "48")  # (back as it was: only the choice is sent)
    page.fill("input[name=admin_password]", "correct horse")
    page.click("text=Save changes")
    page.wait_for_function("document.getElementById('saved').textContent.startsWith('saved')", timeout=10000)
    page.wait_for_function("document.getElementById('writes').textContent === 'Changes need the admin password.'")
    page.fill("input[name=hist_hours]", "24")  # the password just set goes with this change
    page.click("text=Save changes")
    page.wait_for_function("document.getElementById('saved').textContent.includes('Hours kept')", timeout=10000)
    info = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}
    assert info["writes"] == "password" and info["authfailures"] == 0
    page2, _, _ = open_at(browser, fw)  # a new visit: the password is asked for
    page2.wait_for_selector("input[name=hist_days]", state="attached")
    page2.fill("input[name=hist_days]", "7")
    page2.click("text=Save changes")
    page2.wait_for_function("document.getElementById('saved').textContent.startsWith('not saved')", timeout=10000)
    assert "admin password required" in page2.inner_text("#saved")
    page2.fill("#admin", "correct horse")
    page2.click("text=Save changes")
    page2.wait_for_function("document.getElementById('saved').textContent.startsWith('saved')", timeout=10000)


def test_the_setup_form_asks_for_an_admin_password_or_the_choice_of_none(browser, meter, tmp_path):
    """Issue #13: the first-boot access point's form (www/setup.html, the dongle's layer
    over the fakes): Wi-Fi without a password choice is refused and says so; with the
    admin password it is saved, as JSON from the dongle's own page, and the dongle restarts."""
    from harness import FAKES, HEAP, ON_YARDSTICK, Firmware

    env = {"DSMR_PLATFORM": "esp32", "MICROPYPATH": FAKES + ":.frozen", "FAKE_LOG": str(tmp_path / "hw.log"),
           "FAKE_UART_TCP": "127.0.0.1:%d" % meter.port, "FAKE_WIFI": "ok", "DSMR_NTP_SERVER": ""}
    # (the fakes' own heap added, as test_e2e_esp32.py's Dongle does: the dongle does not carry them)
    heap = "%dk" % (int(HEAP.rstrip("k")) + (15 if ON_YARDSTICK else 21))
    fw = Firmware(tmp_path, "uart", env=env, script=os.path.join(FAKES, "esp32_main.py"), heap=heap)
    try:
        wait_for(lambda: b"name=admin_password" in fw.get("/").body, 10, "the setup form at /")
        # the page from the dongle's name, as a phone on its access point would (192.168.4.1 or
        # dsmr-api.local: a loopback address is not the dongle's own on its layer)
        named = browser.browser_type.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--host-resolver-rules=MAP dsmr-api.local 127.0.0.1"])
        page = named.new_page()
        page.goto("http://dsmr-api.local:%d/" % fw.port)
        page.fill("input[name=ssid]", "home")
        page.fill("input[name=password]", "wifi-pass")
        page.click("text=Save and restart")
        page.wait_for_function("document.getElementById('out').textContent !== ''", timeout=10000)
        assert "no admin password chosen yet" in page.inner_text("#out")
        assert not (tmp_path / "settings.json").exists()
        page.fill("input[name=admin_password]", "owner-password")
        page.click("text=Save and restart")
        page.wait_for_function("document.getElementById('out').textContent.startsWith('Saved')", timeout=15000)
        assert "http://dsmr-api.local/" in page.inner_text("#out")
        saved = json.loads((tmp_path / "settings.json").read_text())
        assert saved == {"wifi_ssid": "home", "wifi_password": "wifi-pass", "hostname": "dsmr-api",
                         "admin_password": "owner-password"}
        assert fw.exited(10) != 0  # it restarts to join the network (a PC's firmware ends)
        named.close()
    finally:
        fw.stop()
