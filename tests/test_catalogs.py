"""Catalog workflow: extraction (ours and pybabel's), init/update round trip, strict PO reading."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leafletgen.catalogs import (
    REVIEW_HEADER,
    merge,
    new_catalog,
    parse_catalog,
    po_path,
    read_catalog,
    write_catalog,
)
from leafletgen.cli import main
from leafletgen.errors import CatalogError
from leafletgen.extract import SAFETY_COMMENT, extract_leaflet
from leafletgen.project import Project

from conftest import LEAFLET_ID, ROOT
from test_source import GOOD


class _Named:
    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name = data, name

    def read(self) -> bytes:
        return self.data


def test_extractor_yields_context_text_line_and_notes() -> None:
    source = GOOD.replace("{id: warn.b1, text: Take 2 tablets at most.}",
                          "{id: warn.b1, text: Take 2 tablets at most., note: a daily maximum}")
    results = list(extract_leaflet(_Named(source.encode(), "leaflets/demo.yaml"), ["pgettext"], [], {}))  # type: ignore[arg-type]
    by_id = {msg[0]: (line, func, msg[1], comments) for line, func, msg, comments in results}
    assert by_id["title"] == (10, "pgettext", "Examplamide 10 mg tablets", [])
    assert by_id["warn.b1"] == (26, "pgettext", "Take 2 tablets at most.", [SAFETY_COMMENT, "a daily maximum"])
    assert by_id["what.p"][3] == []


def _messages(pot: Path) -> set[tuple[str | None, str, str]]:
    catalog = read_catalog(pot)
    return {(m.context, m.id, " ".join(m.auto_comments)) for m in catalog if m.id}


def test_pybabel_extract_with_the_project_mapping_gives_the_same_messages(scratch: Project,
                                                                         tmp_path: Path) -> None:
    assert main(["--project", str(scratch.root), "extract"]) == 0
    pybabel = Path(sys.executable).with_name("pybabel")
    for domain, inputs in ((LEAFLET_ID, [f"leaflets/{LEAFLET_ID}.yaml"]),
                           ("templates", ["templates/leaflet.html.j2", "templates/part.html.j2",
                                          "leafletgen/render.py"])):
        out = tmp_path / f"{domain}.pot"
        subprocess.run([str(pybabel), "-q", "extract", "-F", "locales/babel.cfg", "-o", str(out), *inputs],
                       cwd=ROOT, check=True)
        ours = _messages(scratch.locales_dir / f"{domain}.pot")
        assert len(ours) > 5
        assert _messages(out) == ours


def test_the_repository_pots_are_up_to_date(scratch: Project) -> None:
    before = {p.name: _messages(p) for p in scratch.locales_dir.glob("*.pot")}
    assert main(["--project", str(scratch.root), "extract"]) == 0
    after = {p.name: _messages(p) for p in scratch.locales_dir.glob("*.pot")}
    assert after == before, "run `leafletgen extract` and commit the POT files"


def test_init_writes_plural_forms_language_and_review_state(scratch: Project) -> None:
    assert main(["--project", str(scratch.root), "init", "pl"]) == 0
    po = read_catalog(po_path(scratch.locales_dir, "pl", LEAFLET_ID))
    assert po.locale_identifier == "pl"
    assert po.num_plurals == 3
    assert po.extra_headers[REVIEW_HEADER] == "not-reviewed"
    assert all(not m.string for m in po if m.id)


def test_init_refuses_an_invalid_locale_code(scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(scratch.root), "init", "xx_YY1"]) == 1
    assert capsys.readouterr().err == "error: locale 'xx_YY1': unknown or invalid locale code\n"


def test_update_marks_changed_english_fuzzy_with_previous_text_and_obsoletes_removed() -> None:
    pot = parse_catalog(b'msgctxt "a"\nmsgid "Take 1 capsule."\nmsgstr ""\n\n'
                        b'msgctxt "b"\nmsgid "Gone soon."\nmsgstr ""\n', "x.pot")
    po = new_catalog(pot, "de")
    po.get("Take 1 capsule.", context="a").string = "Nehmen Sie 1 Kapsel."  # type: ignore[union-attr]
    po.get("Gone soon.", context="b").string = "Bald weg."  # type: ignore[union-attr]
    new_pot = parse_catalog(b'msgctxt "a"\nmsgid "Take 2 capsules."\nmsgstr ""\n', "x.pot")
    merged = merge(po, new_pot)
    message = merged.get("Take 2 capsules.", context="a")
    assert message is not None and message.fuzzy
    assert message.string == "Nehmen Sie 1 Kapsel."
    assert message.previous_id == ["Take 1 capsule."]
    assert [m.context for m in merged.obsolete.values()] == ["b"]
    assert merged.extra_headers[REVIEW_HEADER] == "not-reviewed"


def test_written_catalogs_pass_msgfmt_check(tmp_path: Path) -> None:
    pot = parse_catalog(b'msgctxt "a"\nmsgid "Hello %(name)s."\nmsgstr ""\n', "x.pot")
    po = new_catalog(pot, "fr")
    po.get("Hello %(name)s.", context="a").string = "Bonjour %(name)s."  # type: ignore[union-attr]
    path = tmp_path / "fr.po"
    write_catalog(path, po)
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], check=True, capture_output=True)
    assert read_catalog(path).extra_headers[REVIEW_HEADER] == "not-reviewed"


@pytest.mark.parametrize("po", sorted((ROOT / "locales").glob("*/LC_MESSAGES/*.po")),
                         ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_repository_catalogs_pass_msgfmt_check(po: Path) -> None:
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("data", "expected"), [
    (b'msgid "a"\nmsgstr b\n', "x.po: line 2: invalid PO syntax: 'msgstr b'"),
    (b"\xef\xbb\xbfmsgid \"\"\nmsgstr \"\"\n",
     "x.po: line 1: starts with a byte order mark (BOM); save as UTF-8 without BOM"),
    (b'msgid ""\nmsgstr "Content-Type: text/plain; charset=ISO-8859-1\\n"\n',
     "x.po: header Content-Type: charset is 'iso-8859-1'; catalogs must be UTF-8"),
    (b'msgid "caf\xe9"\nmsgstr ""\n', "x.po: line 1: not valid UTF-8; catalogs must be saved as UTF-8"),
    (b'msgctxt "a"\nmsgid "x"\nmsgstr "y"\n\nmsgctxt "a"\nmsgid "x"\nmsgstr "z"\n',
     'x.po: line 6: duplicate message "a" (first at line 2)'),
])
def test_defective_po_files_are_refused_with_file_and_line(data: bytes, expected: str) -> None:
    with pytest.raises(CatalogError) as info:
        parse_catalog(data, "x.po")
    assert str(info.value.problems[0]).startswith(expected)
