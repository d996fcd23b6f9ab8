"""The warnings gate: a locale is printed only when every warning is translated, current and checked.

Fast tier: the gate's decisions, rendered with conftest.HtmlRenderer; the draft marks are in the PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pikepdf
import pytest

from leafletgen.build.runner import build
from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import po_path, read_catalog, write_catalog
from leafletgen.translate.snapshot import load_leaflets

from conftest import LEAFLET_ID, NEW_LOCALE, fake_build, normalize, pdf_text

LOCALE = "en_GB"  # a complete "translation" we can break on purpose; English-identical text is allowed
CRITICAL_ID = "before.pregnancy.tests"


def make_complete_locale(project: Project, locale: str = LOCALE) -> None:
    assert main(["--project", str(project.root), "init", locale]) == 0
    for path in (project.locales_dir / locale / "LC_MESSAGES").glob("*.po"):
        catalog = read_catalog(path)
        for message in catalog:
            if message.id:
                message.string = message.id
        write_catalog(path, catalog)


def edit(project: Project, ctxt: str, change: object, domain: str = LEAFLET_ID) -> None:
    path = po_path(project.locales_dir, LOCALE, domain)
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.context == ctxt)
    change(message)  # type: ignore[operator]
    write_catalog(path, catalog)


def refusal_lines(project: Project, out: Path) -> list[str]:
    report = fake_build(project, out, locales=["en", LOCALE])
    by_locale = {o.locale: o for o in report.outcomes}
    assert by_locale["en"].status == "built"  # other locales still build
    assert not report.ok
    assert by_locale[LOCALE].status == "refused"
    assert not (out / LEAFLET_ID / f"{LEAFLET_ID}.{LOCALE}.pdf").exists()
    return list(by_locale[LOCALE].problems)


@pytest.fixture()
def complete(scratch: Project) -> Project:
    make_complete_locale(scratch)
    return scratch


def test_complete_locale_builds(complete: Project, tmp_path: Path) -> None:
    report = fake_build(complete, tmp_path, locales=[LOCALE])
    assert report.ok, report.outcomes


def test_fuzzy_warning_is_refused(complete: Project, tmp_path: Path) -> None:
    edit(complete, CRITICAL_ID, lambda m: m.flags.add("fuzzy"))
    assert refusal_lines(complete, tmp_path) == [
        f"{LOCALE} {LEAFLET_ID} {CRITICAL_ID}: safety-critical message fuzzy: "
        "read the translation against the current English, then clear the fuzzy flag"]


def test_missing_warning_is_refused(complete: Project, tmp_path: Path) -> None:
    edit(complete, CRITICAL_ID, lambda m: setattr(m, "string", ""))
    assert refusal_lines(complete, tmp_path) == [
        f"{LOCALE} {LEAFLET_ID} {CRITICAL_ID}: safety-critical message not translated"]


def test_changed_number_in_a_warning_is_refused(complete: Project, tmp_path: Path) -> None:
    edit(complete, "before.pregnancy.bc-timing",
         lambda m: setattr(m, "string", m.string.replace("1 month", "2 months", 1)))
    assert refusal_lines(complete, tmp_path) == [
        f"{LOCALE} {LEAFLET_ID} before.pregnancy.bc-timing: numbers differ from the source (missing 1; unexpected 2)"]


def test_missing_template_string_is_refused_too(complete: Project, tmp_path: Path) -> None:
    edit(complete, "footer.page", lambda m: setattr(m, "string", ""), domain="templates")
    assert refusal_lines(complete, tmp_path) == [f"{LOCALE} templates footer.page: not translated"]


def test_changed_english_warning_makes_locales_fuzzy_and_refused_until_retranslated(
        complete: Project, tmp_path: Path) -> None:
    source = complete.leaflets_dir / f"{LEAFLET_ID}.yaml"
    old = next(t.text for t, _ in load_leaflets(complete, [LEAFLET_ID])[0].texts() if t.id == CRITICAL_ID)
    new = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), old, count=1)  # one number changes
    assert new != old and f'"{old}"' in source.read_text()
    source.write_text(source.read_text().replace(f'"{old}"', f'"{new}"'))
    # before `update`: the catalog's translation is for the older English
    assert refusal_lines(complete, tmp_path / "a") == [
        f"{LOCALE} {LEAFLET_ID} {CRITICAL_ID}: safety-critical message outdated: translated from older English "
        "(run 'leafletgen update')"]
    assert main(["--project", str(complete.root), "update"]) == 0
    message = next(m for m in read_catalog(po_path(complete.locales_dir, LOCALE, LEAFLET_ID))
                   if m.context == CRITICAL_ID)
    assert message.fuzzy and message.previous_id == [old] and message.string == old
    assert len(refusal_lines(complete, tmp_path / "b")) == 1
    edit(complete, CRITICAL_ID, lambda m: (setattr(m, "string", new), m.flags.discard("fuzzy")))
    assert fake_build(complete, tmp_path / "c", locales=[LOCALE]).ok


def test_build_exit_code_and_one_line_per_refused_message(complete: Project, tmp_path: Path, fake_engine: None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    edit(complete, CRITICAL_ID, lambda m: m.flags.add("fuzzy"))
    code = main(["--project", str(complete.root), "build", "-L", LOCALE, "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{LOCALE} {LEAFLET_ID} {CRITICAL_ID}: safety-critical message fuzzy" in err
    assert "Traceback" not in err


@pytest.mark.pdf
def test_draft_renders_an_incomplete_locale_marked_and_highlighted(scratch: Project, tmp_path: Path) -> None:
    assert main(["--project", str(scratch.root), "init", NEW_LOCALE]) == 0
    report = build(scratch, tmp_path, locales=[NEW_LOCALE], options=RenderOptions(draft=True))
    assert report.ok
    path = report.outcomes[0].path
    assert path is not None and path.name == f"{LEAFLET_ID}.{NEW_LOCALE}.draft.pdf"
    assert any("not translated" in p for p in report.outcomes[0].problems)  # the gate's answer, reported
    pages = pdf_text(path).split("\f")[:-1]
    assert all("DRAFT – not for patients" in page for page in pages)
    assert normalize("Condoms alone are not enough.") in normalize(pdf_text(path))
    with pikepdf.open(path) as pdf:
        assert str(pdf.docinfo.Title).startswith("DRAFT: ")


def test_unreviewed_catalog_prints_the_not_reviewed_notice(complete: Project, tmp_path: Path) -> None:
    notice = '<p class="notice">This translation has not yet been checked by a professional translator.</p>'
    report = fake_build(complete, tmp_path, locales=[LOCALE])
    assert report.outcomes[0].path is not None
    assert notice in report.outcomes[0].path.read_text(encoding="utf-8")  # the "PDF" is the HTML
    assert main(["--project", str(complete.root), "review", LOCALE, "--leaflet", LEAFLET_ID,
                 "--by", "A. Translator"]) == 0
    report = fake_build(complete, tmp_path, locales=[LOCALE])
    assert report.outcomes[0].status == "built"  # the review record is an input: the PDF is rebuilt
    assert report.outcomes[0].path is not None
    assert "not yet been checked" not in report.outcomes[0].path.read_text(encoding="utf-8")


def test_status_exit_code_follows_completeness(complete: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(complete.root), "status", "-L", LOCALE]) == 0
    capsys.readouterr()
    edit(complete, CRITICAL_ID, lambda m: m.flags.add("fuzzy"))
    assert main(["--project", str(complete.root), "status", "-L", LOCALE, "--json"]) == 1
    rows = {row["domain"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[LEAFLET_ID]["fuzzy"] == 1
    assert rows[LEAFLET_ID]["critical_ok"] == rows[LEAFLET_ID]["critical_total"] - 1
    assert rows[LEAFLET_ID]["complete"] is False and rows["templates"]["complete"] is True
    assert rows[LEAFLET_ID]["reviewed"] is False


def test_check_reports_locale_domain_context_and_problem(complete: Project,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    edit(complete, "how.steps.dose", lambda m: setattr(m, "string", ""))
    edit(complete, "key.not-if-pregnant", lambda m: setattr(m, "string", m.string.replace("**", "")))
    assert main(["--project", str(complete.root), "check", LOCALE]) == 1
    out = capsys.readouterr().out
    assert (f"{LOCALE} {LEAFLET_ID} key.not-if-pregnant: error: bold markup '**' differs: source has 1, "
            "translation 0 [safety-critical]") in out


def test_character_no_font_covers_refuses_the_locale_naming_it(complete: Project, tmp_path: Path) -> None:
    edit(complete, "what.intro", lambda m: setattr(m, "string", m.string + " 𓀀"))
    report = fake_build(complete, tmp_path, locales=[LOCALE])
    outcome = report.outcomes[0]
    assert outcome.status == "failed"
    assert outcome.problems == (
        f"{LEAFLET_ID} {LOCALE}: what.intro: character U+13000 EGYPTIAN HIEROGLYPH A001 ('𓀀') "
        "is in no font of this locale (Noto Sans)",)
    assert not list(tmp_path.rglob("*.pdf"))
