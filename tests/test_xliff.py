"""XLIFF 1.2 for agencies: every id and state survives the round trip, and the gate judges the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from translate.storage import xliff

from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.translate.catalogs import po_path, read_catalog
from leafletgen.translate.extract import SAFETY_COMMENT
from leafletgen.translate.gate import catalog_refusals, expected_messages
from leafletgen.translate.snapshot import load_leaflets

from conftest import LEAFLET_ID

LOCALE = "de"


def _export(project: Project, out: Path, domain: str = LEAFLET_ID) -> xliff.xlifffile:
    assert main(["--project", str(project.root), "xliff", "export", LOCALE, "-l", domain, "-o", str(out)]) == 0
    return xliff.xlifffile.parsefile(str(out))


def _units(store: xliff.xlifffile) -> dict[str, xliff.xliffunit]:
    return {str(u.xmlelement.get("id")): u for u in store.units}


def test_every_message_id_is_a_unit_id_and_comes_back_unchanged(scratch: Project, tmp_path: Path) -> None:
    path = po_path(scratch.locales_dir, LOCALE, LEAFLET_ID)
    before = path.read_bytes()
    store = _export(scratch, tmp_path / "x.xlf")
    assert sorted(_units(store)) == sorted(m.context for m in read_catalog(path) if m.id)
    assert main(["--project", str(scratch.root), "xliff", "import", str(tmp_path / "x.xlf")]) == 0
    assert path.read_bytes() == before


def test_notes_carry_the_translator_notes_and_the_safety_marking(scratch: Project, tmp_path: Path) -> None:
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    units = _units(_export(scratch, tmp_path / "x.xlf"))
    marked = {ident for ident, unit in units.items() if SAFETY_COMMENT in unit.getnotes("developer")}
    assert marked == set(leaflet.safety_critical_ids())
    noted = next(t for t, _ in leaflet.texts() if t.note)
    assert " ".join(noted.note.split()) in " ".join(units[noted.id].getnotes("developer").split())


def test_an_agency_edit_comes_back_with_its_ids_and_fuzzy_state_and_the_gate_refuses_it(
        scratch: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    critical = sorted(leaflet.safety_critical_ids())[0]
    plain = next(t.id for t, c in leaflet.texts()  # an ordinary sentence: no number, no bold, a full stop
                 if not c and not any(ch.isdigit() for ch in t.text) and "**" not in t.text and t.text.endswith("."))
    store = _export(scratch, tmp_path / "x.xlf")
    units = _units(store)
    units[plain].settarget("Geänderter Text vom Übersetzungsbüro.")
    units[critical].markreviewneeded()
    (tmp_path / "edited.xlf").write_bytes(bytes(store))
    assert main(["--project", str(scratch.root), "xliff", "import", str(tmp_path / "edited.xlf")]) == 0
    out = capsys.readouterr().out
    assert "2 message(s) changed, 1 fuzzy" in out and f"{LOCALE} {LEAFLET_ID} {critical}: safety-critical" in out
    catalog = read_catalog(po_path(scratch.locales_dir, LOCALE, LEAFLET_ID))
    index = {m.context: m for m in catalog if m.id}
    assert index[plain].string == "Geänderter Text vom Übersetzungsbüro." and not index[plain].fuzzy
    assert index[critical].fuzzy
    refused = catalog_refusals(catalog, locale=LOCALE, domain=LEAFLET_ID, expected=expected_messages(leaflet),
                               critical_ids=leaflet.safety_critical_ids())
    assert [(f.msgctxt, f.kind) for f in refused] == [(critical, "fuzzy")]


def test_a_translation_of_older_english_comes_back_fuzzy_with_that_english(scratch: Project,
                                                                          tmp_path: Path) -> None:
    store = _export(scratch, tmp_path / "x.xlf")
    unit = next(iter(store.units))
    ident, old = str(unit.xmlelement.get("id")), "An older English text."
    unit.source = old
    (tmp_path / "old.xlf").write_bytes(bytes(store))
    assert main(["--project", str(scratch.root), "xliff", "import", str(tmp_path / "old.xlf")]) == 0
    message = next(m for m in read_catalog(po_path(scratch.locales_dir, LOCALE, LEAFLET_ID)) if m.context == ident)
    assert message.fuzzy and message.previous_id == [old]


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda data: data.replace(b'id="title"', b'id="no.such.id"'), "trans-unit no.such.id: no message has this id"),
    (lambda data: data.replace(b'LC_MESSAGES/isotretinoin-20mg.po', b'LC_MESSAGES/no-such-leaflet.po'),
     "no catalog locales/de/LC_MESSAGES/no-such-leaflet.po to import into"),
    (lambda data: data[: len(data) // 2], "not a readable XLIFF 1.2 file"),
])
def test_a_bad_file_imports_nothing_and_says_why_in_one_line(scratch: Project, tmp_path: Path, damage: object,
                                                             reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    _export(scratch, tmp_path / "x.xlf")
    (tmp_path / "bad.xlf").write_bytes(damage((tmp_path / "x.xlf").read_bytes()))  # type: ignore[operator]
    catalogs = {p: p.read_bytes() for p in scratch.locales_dir.glob("*/LC_MESSAGES/*.po")}
    assert main(["--project", str(scratch.root), "xliff", "import", str(tmp_path / "bad.xlf")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and reason in err[0] and str(tmp_path / "bad.xlf") in err[0]
    assert err[1] == "nothing imported: 1 problem(s)"
    assert {p: p.read_bytes() for p in catalogs} == catalogs
