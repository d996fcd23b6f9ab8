"""Review bound to content: per leaflet and locale, computed from hashes of the reviewed text."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, po_path, read_catalog, template_messages, write_catalog
from leafletgen.translate.gate import expected_messages
from leafletgen.translate.review import message_hash, record_path, unit_reviewed
from leafletgen.translate.snapshot import load_catalog, load_leaflets

from conftest import LEAFLET_ID, NEW_LOCALE

LOCALE = "de"  # complete in the repository, so the gate lets it be reviewed
OTHER = "second-leaflet"
NAME = "A. Müller"


def cli(project: Project, *args: str) -> int:
    return main(["--project", str(project.root), *args])


def review(project: Project, *args: str, leaflet: str = LEAFLET_ID, by: str = NAME) -> int:
    return cli(project, "review", LOCALE, "--leaflet", leaflet, "--by", by, *args)


def reviewed(project: Project, leaflet_id: str = LEAFLET_ID, locale: str = LOCALE) -> bool:
    """The unit as the build would ask: the leaflet's domain and the template strings it prints."""
    leaflet = load_leaflets(project, [leaflet_id])[0]
    return (unit_reviewed(project.locales_dir, locale, leaflet_id, load_catalog(project, locale, leaflet_id),
                          expected_messages(leaflet))
            and unit_reviewed(project.locales_dir, locale, TEMPLATES_DOMAIN,
                              load_catalog(project, locale, TEMPLATES_DOMAIN), template_messages(project)))


def status_rows(project: Project, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    capsys.readouterr()
    assert cli(project, "status", "-L", LOCALE, "--json") == 0
    return {row["domain"]: row for row in json.loads(capsys.readouterr().out)}


def edit(project: Project, ctxt: str, change: object, domain: str = LEAFLET_ID) -> None:
    path = po_path(project.locales_dir, LOCALE, domain)
    catalog = read_catalog(path)
    change(next(m for m in catalog if m.context == ctxt))  # type: ignore[operator]
    write_catalog(path, catalog)


def add_second_leaflet(project: Project) -> None:
    source = (project.leaflets_dir / f"{LEAFLET_ID}.yaml").read_text(encoding="utf-8")
    assert f"\nid: {LEAFLET_ID}\n" in source
    (project.leaflets_dir / f"{OTHER}.yaml").write_text(source.replace(f"\nid: {LEAFLET_ID}\n", f"\nid: {OTHER}\n"),
                                                        encoding="utf-8")
    shutil.copy(po_path(project.locales_dir, LOCALE, LEAFLET_ID), po_path(project.locales_dir, LOCALE, OTHER))


def record(project: Project, leaflet_id: str = LEAFLET_ID) -> Path:
    return record_path(project.locales_dir, LOCALE, leaflet_id)


def test_review_marks_one_leaflet_reviewed_and_not_another_of_the_same_locale(
        scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    add_second_leaflet(scratch)
    assert not reviewed(scratch) and not reviewed(scratch, OTHER)
    assert review(scratch) == 0
    assert f"reviewed by {NAME}: {LEAFLET_ID} {LOCALE}" in capsys.readouterr().out
    assert reviewed(scratch)
    assert not reviewed(scratch, OTHER)
    assert not record(scratch, OTHER).exists()
    rows = status_rows(scratch, capsys)
    assert rows[LEAFLET_ID]["reviewed"] is True and rows[LEAFLET_ID]["review"] == "reviewed"
    assert rows[LEAFLET_ID]["reviewed_by"] == NAME
    assert rows[OTHER]["reviewed"] is False and rows[OTHER]["review_state"] == "not reviewed"
    other_locale = {r["domain"]: r for r in json.loads(_status_json(scratch, capsys, "fr"))}
    assert other_locale[LEAFLET_ID]["reviewed"] is False


def _status_json(project: Project, capsys: pytest.CaptureFixture[str], locale: str) -> str:
    capsys.readouterr()
    cli(project, "status", "-L", locale, "--json")
    return capsys.readouterr().out


def test_review_writes_a_diffable_record_of_who_when_which_revision_and_each_message(
        scratch: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764633600")  # 2025-12-02 UTC
    po_before = {p: p.read_bytes() for p in (scratch.locales_dir / LOCALE / "LC_MESSAGES").glob("*.po")}
    assert review(scratch) == 0
    data = record(scratch).read_bytes()
    text = data.decode("utf-8")
    saved = json.loads(text)
    assert text == json.dumps(saved, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    assert {k: saved[k] for k in saved if k != "messages"} == {
        "by": NAME, "date": "2025-12-02", "format": 1, "leaflet": LEAFLET_ID,
        "leaflet_revision": leaflet.meta.revision, "leaflet_revision_date": leaflet.meta.revision_date.isoformat(),
        "locale": LOCALE}
    assert set(saved["messages"]) == {LEAFLET_ID, TEMPLATES_DOMAIN}
    assert set(saved["messages"][LEAFLET_ID]) == set(expected_messages(leaflet))
    assert set(saved["messages"][TEMPLATES_DOMAIN]) == set(template_messages(scratch))
    title = next(m for m in read_catalog(po_path(scratch.locales_dir, LOCALE, LEAFLET_ID)) if m.context == "title")
    title_hash = message_hash("title", str(title.id), str(title.string))
    assert saved["messages"][LEAFLET_ID]["title"] == title_hash
    assert f'      "title": "{title_hash}",\n' in text  # one message a line
    assert {p: p.read_bytes() for p in po_before} == po_before  # no header written into any catalog
    assert review(scratch) == 0 and record(scratch).read_bytes() == data  # reproducible


def test_a_translation_changed_after_review_is_stale_and_status_says_so(
        scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert review(scratch) == 0
    edit(scratch, "subtitle", lambda m: setattr(m, "string", m.string + " (neu)"))
    assert not reviewed(scratch)
    rows = status_rows(scratch, capsys)
    assert rows[LEAFLET_ID]["reviewed"] is False
    assert rows[LEAFLET_ID]["review_state"] == "stale" and rows[LEAFLET_ID]["review_changed"] == 1
    assert cli(scratch, "status", "-L", LOCALE) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if LEAFLET_ID in line)
    assert "stale (1 changed)" in line
    assert review(scratch) == 0 and reviewed(scratch)  # reviewed again: current


def test_english_or_template_changed_after_review_is_stale(scratch: Project,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert review(scratch) == 0
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    catalog = load_catalog(scratch, LOCALE, LEAFLET_ID)
    expected = expected_messages(leaflet)
    assert unit_reviewed(scratch.locales_dir, LOCALE, LEAFLET_ID, catalog, expected)
    assert not unit_reviewed(scratch.locales_dir, LOCALE, LEAFLET_ID, catalog,
                             {**expected, "title": "Isotretinoin 20 mg soft capsules"})
    assert not unit_reviewed(scratch.locales_dir, LOCALE, LEAFLET_ID, catalog, {**expected, "new.id": "New"})
    edit(scratch, "footer.page", lambda m: setattr(m, "string", m.string + " "), domain=TEMPLATES_DOMAIN)
    assert not reviewed(scratch)
    rows = status_rows(scratch, capsys)
    assert rows[LEAFLET_ID]["review_state"] == "stale" and rows[TEMPLATES_DOMAIN]["review_state"] == "stale"


def test_english_is_the_source_and_always_reviewed(scratch: Project) -> None:
    assert unit_reviewed(scratch.locales_dir, "en", LEAFLET_ID, None, {"title": "Isotretinoin"})


@pytest.mark.parametrize("domain", [LEAFLET_ID, TEMPLATES_DOMAIN])
def test_review_refuses_a_fuzzy_catalog_one_line_each(scratch: Project, capsys: pytest.CaptureFixture[str],
                                                      domain: str) -> None:
    ctxt = "before.pregnancy.tests" if domain == LEAFLET_ID else "footer.page"
    edit(scratch, ctxt, lambda m: m.flags.add("fuzzy"), domain=domain)
    capsys.readouterr()
    assert review(scratch) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"{LOCALE} {domain} {ctxt}:" in err[0] and "fuzzy" in err[0]
    assert not record(scratch).exists() and not reviewed(scratch)


def test_review_refuses_missing_and_failing_messages(scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(scratch, "how.steps.dose", lambda m: setattr(m, "string", ""))
    edit(scratch, "key.not-if-pregnant", lambda m: setattr(m, "string", m.string.replace("**", "")))
    capsys.readouterr()
    assert review(scratch) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("error: cannot record the review: ") for line in err)
    assert not record(scratch).exists()


@pytest.mark.parametrize("name", ["", "   ", "A.\u2028Müller", "A.\nMüller", "A.\u2029B", "A.\x85B", "A.\u202eB",
                                  "A.\x00B", "x" * 81], ids=["empty", "blank", "U+2028", "newline", "U+2029",
                                                             "NEL", "bidi-override", "NUL", "too-long"])
def test_review_refuses_an_unusable_name(scratch: Project, capsys: pytest.CaptureFixture[str], name: str) -> None:
    capsys.readouterr()
    assert review(scratch, by=name) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: --by: the reviewer's name ")
    assert not record(scratch).exists()
    assert read_catalog(po_path(scratch.locales_dir, LOCALE, LEAFLET_ID))  # catalogs still readable


def test_review_without_leaflet_is_refused_with_a_usage_line(scratch: Project,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli(scratch, "review", LOCALE, "--by", NAME) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--leaflet ID" in err[0]
    assert not (scratch.locales_dir / LOCALE / "reviews").exists()
    assert cli(scratch, "review", LOCALE, "--leaflet", "aspirin", "--by", NAME) == 2


def test_review_of_several_leaflets_records_each_or_none(scratch: Project) -> None:
    add_second_leaflet(scratch)
    edit(scratch, "title", lambda m: m.flags.add("fuzzy"), domain=OTHER)
    args = ("review", LOCALE, "--leaflet", LEAFLET_ID, "--leaflet", OTHER, "--by", NAME)
    assert cli(scratch, *args) == 1
    assert not record(scratch).exists() and not record(scratch, OTHER).exists()
    edit(scratch, "title", lambda m: m.flags.discard("fuzzy"), domain=OTHER)
    assert cli(scratch, *args) == 0
    assert reviewed(scratch) and reviewed(scratch, OTHER)
    assert cli(scratch, "review", LOCALE, "--leaflet", OTHER, "--undo") == 0
    assert reviewed(scratch) and not reviewed(scratch, OTHER)


def test_review_of_a_locale_without_catalogs_is_one_line(scratch: Project,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli(scratch, "review", NEW_LOCALE, "--leaflet", LEAFLET_ID, "--by", NAME) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"leafletgen init {NEW_LOCALE}" in err[0]


def test_record_survives_a_po_tool_save_that_drops_x_headers(scratch: Project) -> None:
    assert review(scratch) == 0
    for domain in (LEAFLET_ID, TEMPLATES_DOMAIN):
        path = po_path(scratch.locales_dir, LOCALE, domain)
        with path.open("rb") as fh:
            catalog = read_po(fh)
        out = io.BytesIO()
        write_po(out, catalog)  # what pybabel update / a PO editor would save
        path.write_bytes(out.getvalue())
        assert b"X-Review-Status" not in path.read_bytes()
    assert reviewed(scratch)


def test_legacy_review_header_alone_is_not_reviewed(scratch: Project) -> None:
    path = po_path(scratch.locales_dir, LOCALE, LEAFLET_ID)
    path.write_bytes(path.read_bytes().replace(b"X-Review-Status: not-reviewed", b"X-Review-Status: reviewed"))
    assert not reviewed(scratch)


def test_undo_removes_the_record(scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert review(scratch) == 0 and reviewed(scratch)
    assert cli(scratch, "review", LOCALE, "--leaflet", LEAFLET_ID, "--undo") == 0
    assert not record(scratch).exists() and not reviewed(scratch)
    assert status_rows(scratch, capsys)[LEAFLET_ID]["review_state"] == "not reviewed"
    assert cli(scratch, "review", LOCALE, "--leaflet", LEAFLET_ID, "--undo") == 0  # nothing to undo: fine


CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "bom": lambda data: b"\xef\xbb\xbf" + data,
    "not-utf8": lambda data: data.replace(b"M\xc3\xbcller", b"M\xfcller"),
    "list": lambda data: b"[]",
    "bad-hash": lambda data: data.replace(b'"title": "', b'"title": "zz', 1),
    "duplicate-key": lambda data: data.replace(b'  "format": 1,', b'  "format": 1,\n  "format": 1,'),
    "other-leaflet": lambda data: data.replace(f'"leaflet": "{LEAFLET_ID}"'.encode(), b'"leaflet": "x"'),
    "other-locale": lambda data: data.replace(b'"locale": "de"', b'"locale": "fr"'),
    "newline-in-name": lambda data: data.replace(b"A. M", b"A.\\u2028M"),
    "deep": lambda data: b"[" * 100_000,
    "huge-number": lambda data: re.sub(rb'"leaflet_revision": \d+', b'"leaflet_revision": ' + b"9" * 5000, data),
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS))
def test_a_corrupted_record_counts_as_not_reviewed_without_traceback(
        scratch: Project, capsys: pytest.CaptureFixture[str], corrupt: str) -> None:
    assert review(scratch) == 0
    path = record(scratch)
    path.write_bytes(CORRUPTIONS[corrupt](path.read_bytes()))
    assert not reviewed(scratch)
    capsys.readouterr()
    assert cli(scratch, "status", "-L", LOCALE) == 0  # the translation itself is still complete
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "invalid record" in next(line for line in out.splitlines() if LEAFLET_ID in line)
    warnings = err.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: review record locales/{LOCALE}/reviews/")


def test_a_record_that_is_a_folder_counts_as_not_reviewed(scratch: Project) -> None:
    record(scratch).mkdir(parents=True)
    assert not reviewed(scratch)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["format", "locale", "leaflet", "by", "date", "leaflet_revision", "leaflet_revision_date", "messages",
         LEAFLET_ID, "title", "x"]), inner, max_size=8), max_leaves=30).map(
    lambda value: json.dumps(value).encode())))
def test_unit_reviewed_never_raises_on_any_record_bytes(scratch: Project, data: bytes) -> None:
    path = record(scratch)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    for domain, expected in ((LEAFLET_ID, expected_messages(leaflet)), (TEMPLATES_DOMAIN, template_messages(scratch))):
        assert unit_reviewed(scratch.locales_dir, LOCALE, domain, load_catalog(scratch, LOCALE, domain),
                             expected) is False
