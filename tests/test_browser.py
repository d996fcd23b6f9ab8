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
from playwright.sync_api import Locator, Page, sync_playwright

from leafletgen.translate.catalogs import offered_locales

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


def _tab_to(page: Page, target: Locator, visited: list[str], limit: int = 80) -> None:
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

            # A language whose warnings are incomplete is offered, but disabled and explained.
            # (the fixture leaflet's boxes: every leaflet has its own group of languages)
            polish = page.locator(f"#c-{LEAFLET_ID}-{NEW_LOCALE}")
            assert polish.is_disabled()
            explanation = polish.get_attribute("aria-describedby")
            assert explanation and "warnings incomplete" in page.locator(f"#{explanation}").inner_text()
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
            assert f"c-{LEAFLET_ID}-{NEW_LOCALE}" not in visited, "Tab stopped on the disabled new-locale checkbox"

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
