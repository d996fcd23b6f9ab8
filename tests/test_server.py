"""The clinic API and order page, through the framework's test client.

Fast tier: the real app and its worker pool, rendering with the stand-in engine (conftest: the
"PDF" is the HTML). What the PDF itself shows (the clinic, a translation's markup) is real."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.render.options import LOCALE_MAX_LENGTH, RenderOptions, options_for
from leafletgen.serve.app import create_app
from leafletgen.serve.pool import ApiError, Renderer
from leafletgen.translate.catalogs import available_locales, po_path, read_catalog, write_catalog
from leafletgen.translate.snapshot import Snapshot, load_leaflets

from conftest import (
    LEAFLET_ID,
    NEW_LOCALE,
    ROOT,
    copy_project,
    install_stand_in_engine,
    is_rendered_html,
    leaflet_ids,
    normalize,
    plain_text_ids,
)

ROOT_PROJECT = Project(ROOT)

PDF_URL = f"/api/leaflets/{LEAFLET_ID}/de.pdf"


def _app(project: Project, cache: Path) -> TestClient:
    assert main(["--project", str(project.root), "init", NEW_LOCALE]) == 0  # an incomplete language
    return TestClient(create_app(project, cache_dir=cache, workers=2, rate=0), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a scratch project with an incomplete new locale, shared by the tests that change no file.

    Its render workers are forked while the stand-in engine is in place (conftest), so they render
    with it; this process gets the real engine back at once, for the tests that render real PDFs.
    """
    root = tmp_path_factory.mktemp("server")
    with pytest.MonkeyPatch.context() as patch:
        install_stand_in_engine(patch)
        test_client = _app(copy_project(root / "project"), root / "cache").__enter__()
        pool = test_client.app.state.renderer.pool  # type: ignore[attr-defined]
        pool.submit(int).result()  # a forked pool starts every worker with its first task
    try:
        yield test_client
    finally:
        test_client.__exit__(None, None, None)


@pytest.fixture()
def real_client(scratch: Project, tmp_path: Path) -> Iterator[TestClient]:
    """The same app, rendering real PDFs."""
    with _app(scratch, tmp_path / "cache") as test_client:
        yield test_client


def pdf_text(data: bytes, tmp_path: Path) -> str:
    import subprocess

    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_leaflets_list_readiness_per_locale_with_native_names(client: TestClient) -> None:
    body = client.get("/api/leaflets").json()
    leaflet = body["leaflets"][0]
    revision = load_leaflets(ROOT_PROJECT, [LEAFLET_ID])[0].meta.revision
    assert leaflet["id"] == LEAFLET_ID and leaflet["revision"] == revision
    locales = {entry["code"]: entry for entry in leaflet["locales"]}
    assert locales["ar"]["name"] == "العربية" and locales["ar"]["direction"] == "rtl"
    assert locales["de"]["ready"] is True and locales["de"]["reviewed"] is False
    assert locales[NEW_LOCALE]["ready"] is False and locales[NEW_LOCALE]["problems"]


def test_pdf_has_a_stable_etag_and_revalidates_cheaply(client: TestClient) -> None:
    first = client.get(PDF_URL)
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    assert is_rendered_html(first.content, "de")
    etag = first.headers["etag"]
    again = client.get(PDF_URL)
    assert again.headers["etag"] == etag and again.content == first.content
    assert client.get(PDF_URL, headers={"If-None-Match": etag}).status_code == 304
    letter = client.get(PDF_URL, params={"paper": "letter"})
    assert letter.headers["etag"] != etag


@pytest.mark.parametrize(("url", "status", "error"), [
    ("/api/leaflets/aspirin/de.pdf", 404, "unknown leaflet"),
    (f"/api/leaflets/{LEAFLET_ID}/xx.pdf", 404, "leaflet not offered in this locale"),
    (f"/api/leaflets/{LEAFLET_ID}/..%2F..%2Fetc%2Fpasswd.pdf", 404, None),
    (f"/api/leaflets/{LEAFLET_ID}/de.pdf?with=xx", 404, "leaflet not offered in this locale"),
    (f"/api/leaflets/{LEAFLET_ID}/de.pdf?paper=a5", 422, "invalid request"),
    (f"/api/leaflets/{LEAFLET_ID}/de.pdf?large_print=maybe", 422, "invalid request"),
])
def test_bad_pdf_requests_get_clear_json_errors(client: TestClient, url: str, status: int,
                                                error: str | None) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert "Traceback" not in response.text
    if error:
        assert response.json()["error"] == error


def test_incomplete_locale_is_refused_naming_what_is_missing(client: TestClient) -> None:
    response = client.get(f"/api/leaflets/{LEAFLET_ID}/{NEW_LOCALE}.pdf")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "locale refused: its warnings are not complete"
    assert (f"{NEW_LOCALE} isotretinoin-20mg key.birth-defects: safety-critical message not translated"
            in body["detail"]["problems"])


def _order(*locales: str, **extra: object) -> dict[str, object]:
    return {"items": [{"leaflet": LEAFLET_ID, "locale": loc} for loc in locales], **extra}


def test_order_returns_a_zip_with_a_manifest(client: TestClient) -> None:
    clinic = {"name": "Clinic <img src=file:///etc/passwd>", "address": "1 Road", "phone": "+1 555 0100"}
    response = client.post("/api/orders", json=_order("de", "ar", options={"paper": "letter"}, clinic=clinic))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))["files"]
    assert [entry["file"] for entry in manifest] == [f"{LEAFLET_ID}.de.letter.pdf", f"{LEAFLET_ID}.ar.letter.pdf"]
    for entry in manifest:
        data = archive.read(entry["file"])
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["revision"] == load_leaflets(ROOT_PROJECT, [LEAFLET_ID])[0].meta.revision
        assert entry["review_state"] == "not reviewed"
        assert entry["options"]["paper"] == "letter"
        assert is_rendered_html(data, entry["locale"]) and "size: letter" in data.decode()
    # the clinic is on each leaflet, as text (escaped): what the PDF shows is test_clinic_is_printed_literally
    assert "Clinic &lt;img src=file:///etc/passwd&gt;" in archive.read(f"{LEAFLET_ID}.de.letter.pdf").decode()


@pytest.mark.pdf
def test_clinic_is_printed_literally(real_client: TestClient, tmp_path: Path) -> None:
    clinic = {"name": "Clinic <img src=file:///etc/passwd>", "address": "1 Road", "phone": "+1 555 0100"}
    response = real_client.post("/api/orders", json=_order("de", options={"paper": "letter"}, clinic=clinic))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    assert normalize("Clinic <img src=file:///etc/passwd>") in normalize(text)


def test_order_of_one_item_returns_the_pdf(client: TestClient) -> None:
    response = client.post("/api/orders", json=_order("en"))
    assert response.status_code == 200 and is_rendered_html(response.content, "en")
    assert f"{LEAFLET_ID}.en.pdf" in response.headers["content-disposition"]


def test_a_locale_asked_in_bcp_47_is_served_by_its_canonical_name(client: TestClient) -> None:
    response = client.get(f"/api/leaflets/{LEAFLET_ID}/pt-br.pdf")
    assert response.status_code == 200 and is_rendered_html(response.content, "pt_BR")
    assert f"{LEAFLET_ID}.pt_BR.pdf" in response.headers["content-disposition"]
    order = client.post("/api/orders", json=_order("zh-Hans"))
    assert order.status_code == 200 and f"{LEAFLET_ID}.zh_CN.pdf" in order.headers["content-disposition"]
    neighbour = client.get(f"/api/leaflets/{LEAFLET_ID}/pt-PT.pdf")  # never Brazilian instead
    assert neighbour.status_code == 404 and neighbour.json()["error"] == "leaflet not offered in this locale"


@pytest.mark.parametrize(("body", "status"), [
    (_order(*(["de"] * 25)), 422),
    ({**_order("de"), "priority": "high"}, 422),
    (_order("de", clinic={"name": "x" * 61, "address": "a", "phone": "1"}), 422),
    (_order("de", clinic={"name": "A\x07", "address": "a", "phone": "1"}), 422),
    (_order("de", clinic={"name": "A", "address": "a\x85b", "phone": "1"}), 422),
    (_order("de", options={"paper": "a3"}), 422),
    (_order(NEW_LOCALE), 409),
    (_order("tlh"), 404),
    ({"items": []}, 422),
])
def test_bad_orders_are_refused(client: TestClient, body: dict[str, object], status: int) -> None:
    response = client.post("/api/orders", json=body)
    assert response.status_code == status
    assert "error" in response.json() and "Traceback" not in response.text


def test_oversized_request_body_is_refused(client: TestClient) -> None:
    response = client.post("/api/orders", content=b"{" + b" " * 70_000 + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_full_queue_answers_503_with_retry_after(scratch: Project, tmp_path: Path, fake_engine: None) -> None:
    renderer = Renderer(scratch, tmp_path, workers=1, queue=1, timeout=60)
    renderer.start()
    leaflet = load_leaflets(scratch)[0]

    async def four_distinct() -> list[object]:
        return await asyncio.gather(*(renderer.pdf(Snapshot(scratch), leaflet, locale, RenderOptions())
                                      for locale in ("de", "fr", "es", "ru")), return_exceptions=True)

    try:
        results = asyncio.run(four_distinct())
    finally:
        renderer.stop()
    busy = [r for r in results if isinstance(r, ApiError)]
    assert len(busy) == 2  # one rendering, one waiting, two turned away
    assert all(r.status == 503 and r.headers == {"Retry-After": "5"} for r in busy)


def test_weak_and_listed_etags_revalidate(client: TestClient) -> None:
    etag = client.get(PDF_URL).headers["etag"]
    assert client.get(PDF_URL, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304


def test_chunked_oversized_body_is_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"items": ['
        for _ in range(3000):
            yield b'{"leaflet": "isotretinoin-20mg", "locale": "de"},'
        yield b"]}"

    response = client.post("/api/orders", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_order_form_with_an_overlong_choice_is_a_form_error(client: TestClient) -> None:
    response = client.post("/order", data={"choice": [f"{'x' * 200}:de"]})
    assert response.status_code == 422 and 'role="alert"' in response.text


def test_render_time_limit_answers_504(scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_stand_in_engine(monkeypatch, seconds=5)  # a render takes far longer than the limit
    with TestClient(create_app(scratch, cache_dir=tmp_path, workers=1, timeout=0.001)) as slow:
        response = slow.get(PDF_URL)
    assert response.status_code == 504 and "render took longer" in response.json()["error"]


def test_unexpected_errors_never_show_a_stack_trace(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.app.state.catalogue, "refresh", boom)  # type: ignore[attr-defined]
    response = client.get("/api/leaflets")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal error" and body["code"] == "internal" and "secret" not in response.text


def test_identical_requests_share_one_render(scratch: Project, tmp_path: Path, fake_engine: None) -> None:
    renderer = Renderer(scratch, tmp_path, workers=2, queue=8, timeout=60)
    renderer.start()
    submitted = []
    real_submit = renderer.pool.submit  # type: ignore[union-attr]

    def counting_submit(fn, *args):  # type: ignore[no-untyped-def]
        submitted.append(args)
        return real_submit(fn, *args)

    renderer.pool.submit = counting_submit  # type: ignore[union-attr,method-assign]
    leaflet = load_leaflets(scratch)[0]

    async def three() -> list[tuple[bytes, str]]:
        snapshot = Snapshot(scratch)
        return await asyncio.gather(*(renderer.pdf(snapshot, leaflet, "de", RenderOptions()) for _ in range(3)))

    try:
        results = asyncio.run(three())
        assert len(submitted) == 1
        assert len({data for data, _ in results}) == 1
        asyncio.run(three())  # now from the content-addressed cache
        assert len(submitted) == 1
    finally:
        renderer.stop()


@pytest.mark.pdf
def test_translation_with_html_cannot_make_the_renderer_read_a_file(scratch: Project, tmp_path: Path) -> None:
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.context == plain_text_ids()[0])
    message.string = 'Fragen? <img src="file:///etc/passwd"> url(file:///etc/passwd) Apotheke.'
    write_catalog(path, catalog)
    with TestClient(create_app(scratch, cache_dir=tmp_path / "c", workers=1)) as app_client:
        response = app_client.get(PDF_URL)
    assert response.status_code == 200
    assert normalize('<img src="file:///etc/passwd">') in normalize(pdf_text(response.content, tmp_path))


def test_order_page_is_accessible_html(client: TestClient) -> None:
    page = client.get("/").text
    assert '<html lang="en"' in page and "<title>" in page
    project = client.app.state.catalogue.project  # type: ignore[attr-defined]
    units = len(leaflet_ids(project)) * len(available_locales(project.locales_dir))  # the new locale included
    assert page.count('type="checkbox" name="choice"') == units
    assert page.count("<label for=\"c-") == units
    # an unavailable language is reachable (not `disabled`) and says why
    box = re.search(f'<input[^>]*id="c-{LEAFLET_ID}-{NEW_LOCALE}"[^>]*>', page)
    assert box and 'aria-disabled="true"' in box.group() and " disabled" not in box.group()
    assert f'aria-describedby="c-{LEAFLET_ID}-{NEW_LOCALE}-state"' in box.group()
    # every language name says which language it is in
    assert page.count('class="native" lang="') == units


def test_order_form_downloads_a_zip_or_explains_the_problem(client: TestClient) -> None:
    response = client.post("/order", data={"choice": [f"{LEAFLET_ID}:de", f"{LEAFLET_ID}:en"], "paper": "a4",
                                           "name": "Clinic", "address": "Road 1", "phone": "123"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    empty = client.post("/order", data={"paper": "a4"})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    refused = client.post("/order", data={"choice": [f"{LEAFLET_ID}:{NEW_LOCALE}"]})
    assert refused.status_code == 409 and "key.birth-defects" in refused.text  # in the details for translators


# -- orders that keep the work: plain reasons, the form refilled, partial orders -------------------

def _language_name(client: TestClient, code: str) -> str:
    return str(client.app.state.catalogue.readiness[LEAFLET_ID][code].english_name)  # type: ignore[attr-defined]


def test_form_error_comes_back_filled_in_with_a_summary_that_links_to_each_field(client: TestClient) -> None:
    sent = {"choice": [f"{LEAFLET_ID}:de", f"{LEAFLET_ID}:{NEW_LOCALE}"], "paper": "letter",
            "name": "Praxis Sonnenhof", "phone": "+49 30 1234567", "address": ""}
    response = client.post("/order", data=sent)
    assert response.status_code == 422
    page = response.text
    assert re.search(r"<title>Error: [^<]+</title>", page)
    summary = page[page.index('id="error-summary"'):page.index("<form")]
    assert 'href="#address"' in summary and f'href="#c-{LEAFLET_ID}-{NEW_LOCALE}"' in summary
    assert f"{_language_name(client, NEW_LOCALE)} is not available for" in summary
    assert "safety-critical" not in summary.split("<details")[0]  # technical lines only under the details
    address = re.search(r'<input[^>]*id="address"[^>]*>', page)
    assert address and 'aria-invalid="true"' in address.group()
    assert 'aria-describedby="address-error"' in address.group()
    assert 'id="address-error"' in page
    assert 'value="Praxis Sonnenhof"' in page and 'value="+49 30 1234567"' in page
    for choice in sent["choice"]:
        box = re.search(f'<input[^>]*value="{choice}"[^>]*>', page)
        assert box and " checked" in box.group(), choice
    letter = re.search(r'<input[^>]*name="paper"[^>]*value="letter"[^>]*>', page)
    assert letter and " checked" in letter.group()


def test_a_refused_language_offers_the_rest_and_the_partial_order_says_what_was_left_out(
        client: TestClient) -> None:
    choices = [f"{LEAFLET_ID}:de", f"{LEAFLET_ID}:{NEW_LOCALE}", f"{LEAFLET_ID}:ar"]
    refused = client.post("/order", data={"choice": choices, "paper": "a4"})
    assert refused.status_code == 409
    offer = refused.text[refused.text.index('id="offer"'):]
    assert 'name="partial" value="yes"' in offer and "Order the 2 available leaflets" in offer
    assert _language_name(client, NEW_LOCALE) in offer.split("Left out:")[1]

    delivered = client.post("/order", data={"choice": choices, "paper": "a4", "partial": "yes"})
    assert delivered.status_code == 200 and delivered.headers["content-type"] == "application/zip"
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(delivered.content)).read("manifest.json"))
    assert sorted(f["locale"] for f in manifest["files"]) == ["ar", "de"]
    [left] = manifest["left_out"]
    assert (left["leaflet"], left["locale"], left["code"]) == (LEAFLET_ID, NEW_LOCALE, "language_unavailable")
    assert left["message"].startswith(f"{_language_name(client, NEW_LOCALE)} is not available")


def test_api_refusal_gives_code_plain_message_unit_and_what_is_available(client: TestClient) -> None:
    response = client.post("/api/orders", json=_order("de", NEW_LOCALE))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "language_unavailable"
    assert body["unit"] == {"leaflet": LEAFLET_ID, "locale": NEW_LOCALE}
    assert body["message"] == (f"{_language_name(client, NEW_LOCALE)} is not available for "
                               f"{load_leaflets(ROOT_PROJECT, [LEAFLET_ID])[0].title.text.replace('**', '')} yet: "
                               "its warnings are not translated yet.")
    assert body["available"] == [{"leaflet": LEAFLET_ID, "locale": "de"}]
    assert any("key.birth-defects" in line for line in body["errors"][0]["problems"])
    partial = client.post("/api/orders", json=_order("de", NEW_LOCALE, partial=True))
    assert partial.status_code == 200
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(partial.content)).read("manifest.json"))
    assert [f["locale"] for f in manifest["files"]] == ["de"] and manifest["left_out"][0]["locale"] == NEW_LOCALE


def test_an_outdated_warning_is_explained_as_being_updated(scratch: Project, tmp_path: Path,
                                                          fake_engine: None) -> None:
    path = po_path(scratch.locales_dir, "fr", LEAFLET_ID)
    catalog = read_catalog(path)
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    critical = next(t.id for t, is_critical in leaflet.texts() if is_critical)
    message = next(m for m in catalog if m.context == critical)
    message.flags.add("fuzzy")
    write_catalog(path, catalog)
    with TestClient(create_app(scratch, cache_dir=tmp_path, workers=1)) as app_client:
        body = app_client.post("/api/orders", json=_order("fr")).json()
    assert body["message"].endswith("yet: its warnings are being updated.")
    assert body["message"].startswith("French is not available for")


def test_zip_is_named_after_the_order_and_its_manifest_describes_every_file(client: TestClient) -> None:
    clinic = {"name": "Praxis Sonnenhof", "address": "Lindenstraße 7", "phone": "+49 30 1234567"}
    response = client.post("/api/orders", json=_order("de", "en", options={"with": "en"}, clinic=clinic))
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    name = re.search(r'filename="([^"]+)"', disposition).group(1)  # type: ignore[union-attr]
    assert re.fullmatch(r"leaflets-praxis-sonnenhof-\d{4}-\d{2}-\d{2}\.zip", name), disposition
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["order"]["file"] == name and manifest["order"]["clinic"]["name"] == clinic["name"]
    leaflet = load_leaflets(ROOT_PROJECT, [LEAFLET_ID])[0]
    by_locale = {entry["locale"]: entry for entry in manifest["files"]}
    for entry in by_locale.values():
        assert entry["title"] == leaflet.title.text.replace("**", "")
        assert entry["revision"] == leaflet.meta.revision
        assert entry["revision_date"] == leaflet.meta.revision_date.isoformat()
        assert entry["created"].endswith("Z") and entry["review_state"] in {"reviewed", "not reviewed"}
        assert "pages" in entry  # a count for real PDFs (test_browser.py); the stand-in's HTML has none
        assert entry["sha256"] == hashlib.sha256(archive.read(entry["file"])).hexdigest()
    german = by_locale["de"]
    assert (german["language_tag"], german["language"], german["language_english"]) == ("de", "Deutsch", "German")
    assert german["with"]["locale"] == "en" and german["options"]["with"] == "en"
    # English with English is no second language: the entry and its options agree
    assert by_locale["en"]["with"] is None and by_locale["en"]["options"]["with"] is None


def test_a_multi_item_order_takes_one_place_in_a_small_queue(scratch: Project, tmp_path: Path,
                                                             fake_engine: None) -> None:
    locales = [code for code in available_locales(scratch.locales_dir)][:6]
    with TestClient(create_app(scratch, cache_dir=tmp_path, workers=1, queue=1)) as small:
        response = small.post("/api/orders", json=_order(*locales))
        assert response.status_code == 200
        assert len(zipfile.ZipFile(io.BytesIO(response.content)).namelist()) == len(locales) + 1
        renderer = small.app.state.renderer  # type: ignore[attr-defined]
        renderer.orders = renderer.workers + renderer.queue  # every place taken by other orders
        busy = small.post("/api/orders", json=_order("de", "ar"))
        form = small.post("/order", data={"choice": [f"{LEAFLET_ID}:de"], "name": "Clinic", "address": "Road 1",
                                          "phone": "1"})
        renderer.orders = 0
    assert busy.status_code == 503 and busy.headers["retry-after"]
    assert busy.json()["code"] == "busy" and "try again" in busy.json()["message"]
    assert form.status_code == 503 and "The server is busy" in form.text and 'value="Clinic"' in form.text


def test_an_emoji_in_the_clinic_name_is_a_field_error(client: TestClient) -> None:
    form = client.post("/order", data={"choice": [f"{LEAFLET_ID}:de"], "name": "Clinic \U0001f600",
                                       "address": "Road 1", "phone": "1"})
    assert form.status_code == 422 and 'href="#name"' in form.text and "cannot be printed" in form.text
    api = client.post("/api/orders", json=_order("de", clinic={"name": "Clinic \U0001f600", "address": "a",
                                                               "phone": "1"}))
    assert api.status_code == 422 and api.json()["code"] == "invalid" and api.json()["errors"][0]["field"] == "name"


def test_order_progress_counts_items_then_says_what_was_delivered(client: TestClient) -> None:
    ident = "progress-test-0123456789"
    response = client.post("/order", data={"choice": [f"{LEAFLET_ID}:de", f"{LEAFLET_ID}:es"], "progress": ident})
    assert response.status_code == 200
    progress = client.get(f"/order/progress/{ident}").json()
    assert progress["state"] == "delivered" and progress["done"] == progress["total"] == 2
    assert progress["file"].endswith(".zip") and len(progress["delivered"]) == 2 and progress["left_out"] == []
    assert client.get("/order/progress/unknown-order-00000000").status_code == 404


def test_api_docs_are_a_page_of_their_own_without_a_cdn(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    for path in client.get("/openapi.json").json()["paths"]:
        assert path in page
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    assert client.get("/redoc").status_code == 404


def test_every_link_of_the_error_summary_leads_to_a_control_on_the_page(client: TestClient) -> None:
    specs = [spec for spec in options_for("form") if spec.form]
    sent: dict[str, object] = {"choice": [f"{LEAFLET_ID}:de"], "address": "x" * 500}
    wrong = {"choice": "not-an-option", "locale": "x" * (LOCALE_MAX_LENGTH + 1)}
    sent |= {str(spec.form): wrong[spec.kind] for spec in specs if spec.kind in wrong}
    response = client.post("/order", data=sent)
    assert response.status_code == 422
    page = response.text
    summary = page[page.index('id="error-summary"'):page.index("<form")]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert len(targets) >= 1 + sum(1 for spec in specs if spec.kind in wrong)  # the address and each option
    assert [t for t in targets if f'id="{t}"' not in page] == []
