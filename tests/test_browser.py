"""The order page in a real browser: Chromium (headless, via Playwright) against the real server.

The server runs as a subprocess on a free loopback port, with ``--project`` pointing at a scratch
copy of the project so that its cache (``<project>/out/.server-cache``) starts empty and is private
to this test. A catalog of a language the data lacks is started in the copy
(``leafletgen init NEW_LOCALE``) so that one language is not ready and must be offered disabled.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, Playwright, sync_playwright

from leafletgen.project import Project
from leafletgen.translate.catalogs import offered_locales, po_path, read_catalog, write_catalog
from leafletgen.translate.snapshot import load_leaflets

from conftest import LEAFLET_ID, NEW_LOCALE, ROOT, normalize

pytestmark = [pytest.mark.browser, pytest.mark.pdf]  # Chromium, and the server renders the PDFs it downloads

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
READY_SECONDS = 30.0
CLINIC = {"name": "Praxis Sonnenhof Keyboard", "phone": "+49 30 1234567", "address": "Lindenstraße 7, 10969 Berlin"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    """The base URL of a real ``leafletgen serve`` on a scratch project with an incomplete new locale."""
    project = tmp_path / "project"
    for name in ("leaflets", "locales", "templates"):
        shutil.copytree(ROOT / name, project / name)
    cli = [sys.executable, "-m", "leafletgen.cli", "--project", str(project)]
    subprocess.run([*cli, "init", NEW_LOCALE], check=True, capture_output=True, cwd=tmp_path, timeout=60)

    port = _free_port()
    log_path = tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                                   cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode} before answering:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with direct.open(f"{base}/api/leaflets", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /api/leaflets within {READY_SECONDS:g} s:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        _stop(process)


def _tab_to(page: Page, target: Locator, visited: list[str], limit: int = 200) -> None:
    """Press Tab until ``target`` has the focus, recording what was focused on the way."""
    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
        visited.append(page.evaluate("() => document.activeElement.id || document.activeElement.name || ''"))
    pytest.fail(f"{target} not reachable with Tab in {limit} presses; focused on the way: {visited}")


def test_order_page_in_chromium(server: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is required for this test and was not found at {CHROMIUM} "
                    "(on Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:
            pytest.fail(f"could not launch Chromium at {CHROMIUM}: {exc}")
        try:
            context = browser.new_context(accept_downloads=True, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{server}/")

            # The document: language and title.
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.title().strip()

            # Every checkbox has a label, and that label finds it again.
            checkboxes = page.locator("input[type=checkbox]").all()  # each leaflet x language, and options
            offered = sum(len(offered_locales(ROOT / "locales", p.stem)) + 1  # and the new locale just started
                          for p in (ROOT / "leaflets").glob("*.yaml"))
            choices = page.locator("input[type=checkbox][name=choice]").count()
            assert choices == offered
            for box in checkboxes:
                texts = box.evaluate("e => [...e.labels].map(l => l.innerText.trim())")
                assert texts and all(texts), f"checkbox {box.get_attribute('name')} has no label"
                first_line = texts[0].splitlines()[0].strip()
                same = [c for c in page.get_by_label(first_line).all()
                        if c.evaluate("(c, e) => c === e", box.element_handle())]
                assert same, f"get_by_label({first_line!r}) does not find its checkbox"

            # A language whose warnings are incomplete is offered, reachable, marked unavailable and explained;
            # it cannot be ticked. (The fixture leaflet's boxes: every leaflet has its own group of languages.)
            unavailable = page.locator(f"#c-{LEAFLET_ID}-{NEW_LOCALE}")
            assert unavailable.get_attribute("aria-disabled") == "true"
            assert unavailable.evaluate("e => !e.disabled"), "reachable: aria-disabled, never disabled"
            explanation = unavailable.get_attribute("aria-describedby")
            assert explanation and "warnings are not complete" in page.locator(f"#{explanation}").inner_text()
            unavailable.focus()
            page.keyboard.press("Space")
            assert not unavailable.is_checked()
            german, arabic = page.locator(f"#c-{LEAFLET_ID}-de"), page.locator(f"#c-{LEAFLET_ID}-ar")
            assert "Deutsch" in german.evaluate("e => e.labels[0].innerText")
            assert "العربية" in arabic.evaluate("e => e.labels[0].innerText")
            assert german.is_enabled() and arabic.is_enabled()

            # The keyboard: Tab to each control, Space to tick, arrows in the radio group, type the fields.
            visited: list[str] = []
            page.locator("body").click(position={"x": 1, "y": 1})
            _tab_to(page, arabic, visited)
            page.keyboard.press("Space")
            _tab_to(page, german, visited)
            page.keyboard.press("Space")
            assert arabic.is_checked() and german.is_checked()

            a4, letter = page.get_by_label("A4", exact=True), page.get_by_label("US Letter")
            _tab_to(page, a4, visited)
            page.keyboard.press("ArrowRight")
            assert letter.is_checked() and not a4.is_checked()

            for field, value in (("Name", CLINIC["name"]), ("Phone", CLINIC["phone"]),
                                 ("Address", CLINIC["address"])):
                _tab_to(page, page.get_by_label(field, exact=True), visited)
                page.keyboard.type(value)
            assert page.get_by_label("Address", exact=True).input_value() == CLINIC["address"]
            assert f"c-{LEAFLET_ID}-{NEW_LOCALE}" in visited, "Tab never reached the unavailable language"

            screenshot = tmp_path / "order.png"
            page.screenshot(path=str(screenshot), full_page=True)
            png = screenshot.read_bytes()
            assert len(png) > 1000 and png.startswith(b"\x89PNG\r\n\x1a\n")

            submit = page.get_by_role("button", name="Download PDFs")
            _tab_to(page, submit, visited)
            with page.expect_download(timeout=45_000) as download_info:
                page.keyboard.press("Enter")
            download = download_info.value
            assert download.failure() is None
            archive_path = tmp_path / download.suggested_filename
            download.save_as(str(archive_path))
            context.close()
        finally:
            browser.close()

    # The download: a ZIP of two letter-size PDFs and a manifest that describes them.
    data = archive_path.read_bytes()
    assert zipfile.is_zipfile(io.BytesIO(data)), f"not a ZIP: {data[:200]!r}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        pdfs = {name: archive.read(name) for name in names if name.endswith(".pdf")}
        manifest = json.loads(archive.read("manifest.json"))
    assert sorted(names) == sorted([*pdfs, "manifest.json"])
    assert len(pdfs) == 2
    assert any(".de.letter.pdf" in name for name in pdfs), names
    assert any(".ar.letter.pdf" in name for name in pdfs), names
    assert all(body.startswith(b"%PDF-") for body in pdfs.values())

    entries = manifest["files"]
    assert sorted(e["file"] for e in entries) == sorted(pdfs)
    for entry in entries:
        for field in ("leaflet", "revision", "locale", "review_state", "options", "sha256"):
            assert field in entry, f"manifest entry without {field}: {entry}"
        assert entry["leaflet"] == LEAFLET_ID
        assert entry["locale"] in {"de", "ar"}
        assert entry["review_state"] in {"reviewed", "not reviewed"}
        assert entry["options"]["paper"] == "letter"
        assert entry["options"]["large_print"] is False
        assert entry["options"]["clinic"]["name"] == CLINIC["name"]
        assert entry["sha256"] == hashlib.sha256(pdfs[entry["file"]]).hexdigest()

    # The clinic is printed: read the German PDF's text layer back.
    german_pdf = tmp_path / next(name for name in pdfs if ".de.letter.pdf" in name)
    german_pdf.write_bytes(pdfs[german_pdf.name])
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(german_pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    assert normalize(CLINIC["name"]) in normalize(text)
    assert normalize(CLINIC["phone"]) in normalize(text)


# -- the page under pressure: accessibility, an error that keeps the work, a partial order ----------

#: Where the journey test leaves its screenshots and the axe result, when set (for a person to look at).
ARTIFACTS = os.environ.get("LEAFLETGEN_BROWSER_ARTIFACTS")


def _launch(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is required for this test and was not found at {CHROMIUM}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def _axe(page: Page, name: str) -> None:
    """axe-core (Deque) on the page as it is: no violation at all."""
    results = Axe().run(page)
    if ARTIFACTS:
        Path(ARTIFACTS, f"axe-{name}.json").write_text(json.dumps(
            {"url": page.url, "violations": results.response["violations"],
             "passes": len(results.response.get("passes", [])), "axe": results.response["testEngine"]},
            indent=2), encoding="utf-8")
    assert results.violations_count == 0, results.generate_report()


def _luminance(rgb: str) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (float(v) for v in re.findall(r"[\d.]+", rgb)[:3])
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(first: str, second: str) -> float:
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _shot(page: Page, name: str, width: int) -> None:
    if ARTIFACTS:
        page.set_viewport_size({"width": width, "height": 1800})
        page.screenshot(path=str(Path(ARTIFACTS, f"{name}.png")))
        page.set_viewport_size({"width": 1280, "height": 1800})


def _make_fuzzy(project: Path, leaflet_id: str, locale: str) -> None:
    """A translator's update arrives: one safety-critical message of ``locale`` becomes fuzzy."""
    leaflet = load_leaflets(Project(project), [leaflet_id])[0]
    critical = next(t.id for t, is_critical in leaflet.texts() if is_critical)
    path = po_path(project / "locales", locale, leaflet_id)
    catalog = read_catalog(path)
    next(m for m in catalog if m.context == critical).flags.add("fuzzy")
    write_catalog(path, catalog)


def test_keyboard_order_with_a_refused_language_keeps_the_form_and_delivers_the_rest(
        server: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    leaflets = sorted(p.stem for p in (project / "leaflets").glob("*.yaml"))[:2]
    languages = ("de", "fr", "ar")  # French is refused after the page was loaded
    refused = "fr"
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            context = browser.new_context(accept_downloads=True, locale="en-US",
                                          viewport={"width": 1280, "height": 1800})
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{server}/")
            _axe(page, "order")
            _shot(page, "desktop", 1280)
            _shot(page, "phone", 390)

            # Accessible details: every language name says its language; controls the same size.
            assert page.locator(".native:not([lang])").count() == 0
            sizes = {tuple(round(v) for v in (box["width"], box["height"]))
                     for box in (b.bounding_box() for b in page.locator("input[type=checkbox]").all()) if box}
            sizes |= {tuple(round(v) for v in (box["width"], box["height"]))
                      for box in (b.bounding_box() for b in page.locator("input[type=radio]").all()) if box}
            assert len(sizes) == 1 and min(next(iter(sizes))) >= 24, sizes

            visited: list[str] = []
            page.locator("body").click(position={"x": 1, "y": 1})
            for leaflet_id in leaflets:
                for code in languages:
                    box = page.locator(f"#c-{leaflet_id}-{code}")
                    _tab_to(page, box, visited)
                    page.keyboard.press("Space")
                    assert box.is_checked()
            # The focus ring: at least 3:1 against the page (WCAG 1.4.11).
            ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineColor")
            assert _contrast(ring, page.evaluate("() => getComputedStyle(document.body).backgroundColor")) >= 3

            _tab_to(page, page.get_by_label("A4", exact=True), visited)
            page.keyboard.press("ArrowRight")
            for field, value in (("Name", CLINIC["name"]), ("Phone", CLINIC["phone"]),
                                 ("Address", CLINIC["address"])):
                _tab_to(page, page.get_by_label(field, exact=True), visited)
                page.keyboard.type(value)

            for leaflet_id in leaflets:
                _make_fuzzy(project, leaflet_id, refused)
            _tab_to(page, page.get_by_role("button", name="Download PDFs"), visited)
            with page.expect_navigation():
                page.keyboard.press("Enter")

            # The error: said in the title, a summary with the focus and a link per refused unit, form refilled.
            assert page.title().startswith("Error:")
            assert page.evaluate("() => document.activeElement.id") == "error-summary"
            links = page.locator("#error-summary a")
            assert sorted(links.evaluate_all("ls => ls.map(l => l.getAttribute('href'))")) == \
                sorted(f"#c-{leaflet_id}-{refused}" for leaflet_id in leaflets)
            assert "French is not available for" in links.first.inner_text()
            assert "being updated" in links.first.inner_text()
            for leaflet_id in leaflets:
                for code in languages:
                    assert page.locator(f"#c-{leaflet_id}-{code}").is_checked()
                invalid = page.locator(f"#c-{leaflet_id}-{refused}")
                assert invalid.get_attribute("aria-invalid") == "true"
                assert f"c-{leaflet_id}-{refused}-error" in (invalid.get_attribute("aria-describedby") or "")
            assert page.get_by_label("Name", exact=True).input_value() == CLINIC["name"]
            assert page.get_by_label("US Letter").is_checked()
            _axe(page, "error")
            _shot(page, "error", 1280)

            page.keyboard.press("Tab")  # the first link of the summary takes the focus to its checkbox
            page.keyboard.press("Enter")
            assert page.evaluate("() => document.activeElement.id") == f"c-{leaflets[0]}-{refused}"

            offer = page.get_by_role("button", name=re.compile(r"Order the 4 available leaflets"))
            _tab_to(page, offer, visited)
            with page.expect_download(timeout=120_000) as download_info:
                page.keyboard.press("Enter")
                assert offer.get_attribute("aria-disabled") == "true"  # no second order while this one runs
                page.keyboard.press("Enter")
            download = download_info.value
            page.locator("#status.done").wait_for(timeout=30_000)
            confirmation = page.locator("#status").inner_text()
            assert confirmation.startswith("Done:") and "4 leaflets" in confirmation and "Left out:" in confirmation
            archive_path = tmp_path / download.suggested_filename
            download.save_as(str(archive_path))
            context.close()
        finally:
            browser.close()

    assert re.fullmatch(r"leaflets-praxis-sonnenhof-keyboard-\d{4}-\d{2}-\d{2}\.zip", archive_path.name)
    with zipfile.ZipFile(archive_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        files = manifest["files"]
        assert sorted((f["leaflet"], f["locale"]) for f in files) == \
            sorted((leaflet_id, code) for leaflet_id in leaflets for code in languages if code != refused)
        for entry in files:
            data = archive.read(entry["file"])
            assert data.startswith(b"%PDF-") and entry["sha256"] == hashlib.sha256(data).hexdigest()
            assert entry["pages"] >= 1 and entry["options"]["paper"] == "letter"
    assert sorted((e["leaflet"], e["locale"], e["code"]) for e in manifest["left_out"]) == \
        sorted((leaflet_id, refused, "language_unavailable") for leaflet_id in leaflets)
