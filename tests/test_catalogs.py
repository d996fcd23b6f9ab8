"""Catalog workflow: extraction (ours and pybabel's), init/update round trip, strict PO reading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leafletgen.cli.main import main
from leafletgen.errors import CatalogError
from leafletgen.project import Project
from leafletgen.translate.catalogs import (
    REVIEW_HEADER,
    available_locales,
    merge,
    new_catalog,
    po_path,
    read_catalog,
    write_catalog,
)
from leafletgen.translate.extract import SAFETY_COMMENT, extract_leaflet
from leafletgen.translate.pofile import LeafletCatalog, dump_catalog, parse_catalog
from leafletgen.translate.poscan import NOT_A_PO_LINE
from leafletgen.translate.snapshot import load_leaflets

from conftest import LEAFLET_ID, NEW_LOCALE, ROOT
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
                                          "leafletgen/render/html.py"])):
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
    assert main(["--project", str(scratch.root), "init", NEW_LOCALE]) == 0
    po = read_catalog(po_path(scratch.locales_dir, NEW_LOCALE, LEAFLET_ID))
    assert po.locale_identifier == NEW_LOCALE
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
    (b'msgid "a"\nmsgstr b\n', f"x.po: line 2: invalid PO syntax: {NOT_A_PO_LINE}"),
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


# -- the catalog lifecycle as GNU gettext has it: fuzzy, obsolete, revived ------------------------

_HEADER = ('msgid ""\nmsgstr ""\n"Language: de\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
           '"Content-Type: text/plain; charset=UTF-8\\n"\n\n')
_FUZZY_A = ('# translator note\n#, fuzzy\n#| msgid "Take 1 capsule."\nmsgctxt "a"\nmsgid "Take 2 capsules."\n'
            'msgstr "Nehmen Sie 1 Kapsel."\n\n')
_B = 'msgctxt "b"\nmsgid "Keep out of reach of children."\nmsgstr "Für Kinder unzugänglich aufbewahren."\n'


def _pot(*contexts: str) -> LeafletCatalog:
    texts = {"a": "Take 2 capsules.", "b": "Keep out of reach of children."}
    body = "".join(f'#. SAFETY-CRITICAL\nmsgctxt "{c}"\nmsgid "{texts[c]}"\nmsgstr ""\n\n' for c in contexts)
    return parse_catalog((_HEADER + body).encode(), "x.pot")


def _msgfmt_check(path: Path) -> None:
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_fuzzy_entry_revived_from_obsolete_stays_fuzzy(tmp_path: Path) -> None:
    path = tmp_path / "de.po"
    path.write_text(_HEADER + _FUZZY_A + _B, encoding="utf-8")
    write_catalog(path, merge(read_catalog(path), _pot("b")))  # "a" leaves the source ...
    written = path.read_text(encoding="utf-8")
    assert ('# translator note\n#, fuzzy\n#~| msgid "Take 1 capsule."\n#~ msgctxt "a"\n#~ msgid "Take 2 capsules."\n'
            '#~ msgstr "Nehmen Sie 1 Kapsel."\n') in written  # as GNU msgmerge writes it
    _msgfmt_check(path)
    gone = read_catalog(path).obsolete[("Take 2 capsules.", "a")]
    assert (gone.fuzzy, gone.previous_id, gone.user_comments) == (True, ["Take 1 capsule."], ["translator note"])
    write_catalog(path, merge(read_catalog(path), _pot("a", "b")))  # ... and comes back
    _msgfmt_check(path)
    back = read_catalog(path).get("Take 2 capsules.", context="a")
    assert back is not None and back.fuzzy
    assert (back.string, back.previous_id) == ("Nehmen Sie 1 Kapsel.", ["Take 1 capsule."])
    assert (back.user_comments, back.auto_comments) == (["translator note"], ["SAFETY-CRITICAL"])


def test_translated_entry_revived_from_obsolete_comes_back_fuzzy() -> None:
    po = parse_catalog((_HEADER + 'msgctxt "a"\nmsgid "Take 2 capsules."\nmsgstr "Nehmen Sie 2 Kapseln."\n\n'
                        + _B).encode(), "de.po")
    gone = parse_catalog(dump_catalog(merge(po, _pot("b"))), "de.po")
    assert not gone.obsolete[("Take 2 capsules.", "a")].fuzzy  # obsolete as it was, current translation
    back = merge(gone, _pot("a", "b"))
    revived, kept = back.get("Take 2 capsules.", context="a"), back.get("Keep out of reach of children.", context="b")
    assert revived is not None and revived.fuzzy and revived.string == "Nehmen Sie 2 Kapseln."
    assert revived.previous_id == []  # the English is the one it was translated from
    assert kept is not None and not kept.fuzzy
    assert not back.obsolete


def test_obsolete_entries_stay_obsolete_through_later_updates() -> None:
    po = parse_catalog((_HEADER + _FUZZY_A + _B).encode(), "de.po")
    once = parse_catalog(dump_catalog(merge(po, _pot("b"))), "de.po")
    twice = parse_catalog(dump_catalog(merge(once, _pot("b"))), "de.po")
    assert list(twice.obsolete) == [("Take 2 capsules.", "a")]
    assert twice.obsolete[("Take 2 capsules.", "a")].fuzzy


def test_previous_msgid_is_read_as_the_previous_msgid_not_as_a_comment() -> None:
    po = parse_catalog((_HEADER + _FUZZY_A + _B).encode(), "de.po")
    message = po.get("Take 2 capsules.", context="a")
    assert message is not None
    assert (message.previous_id, message.user_comments) == (["Take 1 capsule."], ["translator note"])
    written = dump_catalog(po).decode()
    assert written.count("Take 1 capsule.") == 1 and "# |" not in written


@pytest.mark.parametrize("obsolete", [
    '#, fuzzy\n#~| msgid "Take 1 capsule."\n#~ msgctxt "a"\n#~ msgid "Take 2 capsules."\n#~ msgstr "Nimm 1."\n',
    '#~ #, fuzzy\n#~ #| msgid "Take 1 capsule."\n#~ msgctxt "a"\n#~ msgid "Take 2 capsules."\n#~ msgstr "Nimm 1."\n',
], ids=["msgmerge-style", "hash-tilde-comments"])
def test_obsolete_flags_and_previous_msgid_are_read_in_both_gnu_forms(obsolete: str) -> None:
    data = (_HEADER + _B + "\n" + obsolete).encode()
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", "-"], input=data, check=True, capture_output=True)
    gone = parse_catalog(data, "de.po").obsolete[("Take 2 capsules.", "a")]
    assert (gone.fuzzy, gone.previous_id, gone.string) == (True, ["Take 1 capsule."], "Nimm 1.")


def test_what_gnu_msgmerge_writes_for_an_obsolete_fuzzy_entry_is_read_back(tmp_path: Path) -> None:
    (tmp_path / "de.po").write_text(_HEADER + _FUZZY_A + _B, encoding="utf-8")
    (tmp_path / "x.pot").write_bytes(dump_catalog(_pot("b")))
    subprocess.run(["msgmerge", "-q", "--previous", "-o", str(tmp_path / "out.po"), str(tmp_path / "de.po"),
                    str(tmp_path / "x.pot")], check=True)
    gone = read_catalog(tmp_path / "out.po").obsolete[("Take 2 capsules.", "a")]
    assert (gone.fuzzy, gone.previous_id, gone.user_comments) == (True, ["Take 1 capsule."], ["translator note"])


# -- update: idempotent, and one broken catalog stops nothing else -------------------------------

SOURCE_EDITS = {  # one English text changes, one string id disappears (its message goes obsolete)
    "Stop taking the capsules and contact your doctor at once. This also applies in the 1 month after you stop.":
        "Stop taking the capsules and contact your doctor straight away. This also applies in the 1 month after you "
        "stop.",
    "id: key.not-if-pregnant\n": "id: key.not-if-pregnant-any-more\n",
}


def _edit_source(project: Project, edits: dict[str, str]) -> None:
    path = project.leaflets_dir / f"{LEAFLET_ID}.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def _tree(project: Project) -> dict[str, bytes]:
    return {p.relative_to(project.root).as_posix(): p.read_bytes()
            for p in sorted(project.locales_dir.rglob("*")) if p.is_file()}


def _update(project: Project, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--project", str(project.root), "update"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_update_twice_changes_nothing(scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    original = (scratch.leaflets_dir / f"{LEAFLET_ID}.yaml").read_text(encoding="utf-8")
    catalogs = sorted(p.relative_to(scratch.root).as_posix() for p in scratch.locales_dir.glob("*/LC_MESSAGES/*.po"))
    translated = available_locales(scratch.locales_dir)[1:]  # English is the source: no catalogs
    assert len(catalogs) == len(translated) * (len(scratch.leaflet_paths()) + 1)  # every shipped catalog takes part
    for step in ("shipped", "changed", "restored"):
        if step == "changed":
            _edit_source(scratch, SOURCE_EDITS)
        elif step == "restored":
            (scratch.leaflets_dir / f"{LEAFLET_ID}.yaml").write_text(original, encoding="utf-8")
        assert _update(scratch, capsys)[0] == 0
        first = _tree(scratch)
        code, out, err = _update(scratch, capsys)
        assert (code, err) == (0, "")
        assert _tree(scratch) == first, step
        assert all(line.startswith("current ") for line in out.splitlines()), out
        for name in catalogs:
            path = scratch.root / name
            _msgfmt_check(path)
            catalog = read_catalog(path)
            if "templates" in name:
                continue
            gone = [m.context for m in catalog.obsolete.values()]
            assert gone == (["key.not-if-pregnant"] if step == "changed" else []), name
            revived = catalog.get("**Do not take isotretinoin if you are pregnant** or might be pregnant.",
                                  context="key.not-if-pregnant")
            if step == "restored":  # back from obsolete, so fuzzy until a translator has looked at it
                assert revived is not None and revived.fuzzy and revived.string, name


def test_update_reports_a_broken_catalog_and_updates_every_other(scratch: Project,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    broken = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    text = broken.read_text(encoding="utf-8")
    assert 'msgstr "Isotretinoin 20 mg Kapseln"\n' in text
    text = text.replace('msgstr "Isotretinoin 20 mg Kapseln"\n', 'msgstr[0] "Isotretinoin 20 mg Kapseln"\n')
    broken.write_text(text, encoding="utf-8")
    line = text.split("\n").index('msgstr[0] "Isotretinoin 20 mg Kapseln"') + 1
    _edit_source(scratch, SOURCE_EDITS)
    before = _tree(scratch)
    code, out, err = _update(scratch, capsys)
    assert (code, err.splitlines()) == (1, [
        f"error: locales/de/LC_MESSAGES/{LEAFLET_ID}.po: line {line}: msgstr[0] in message \"title\", "
        "which has no msgid_plural (a singular message has one msgstr)"])
    assert broken.read_bytes() == before[f"locales/de/LC_MESSAGES/{LEAFLET_ID}.po"]  # left exactly as it was
    changed = "the 1 month after you stop."
    pot = (scratch.locales_dir / f"{LEAFLET_ID}.pot").read_text(encoding="utf-8")
    assert "contact your doctor straight away" in pot
    for path in sorted(scratch.locales_dir.glob(f"*/LC_MESSAGES/{LEAFLET_ID}.po")):
        if path != broken:  # the others, before and after "de" alike, are all updated
            catalog = read_catalog(path)
            message = next(m for m in catalog if m.context == "key.pregnant-month-after")
            assert "straight away" in message.id and message.id.endswith(changed) and message.fuzzy, path
            assert [m.context for m in catalog.obsolete.values()] == ["key.not-if-pregnant"], path
    assert f"updated  locales/zh_CN/LC_MESSAGES/{LEAFLET_ID}.po" in out


def test_changes_lists_what_a_revision_asks_of_a_translator(scratch: Project,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A revision changes one text and adds another: after 'update', 'changes' shows the new one and
    the changed one with its old and new English word by word."""
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    path = scratch.leaflets_dir / f"{LEAFLET_ID}.yaml"
    text = path.read_text(encoding="utf-8")
    changed = next(t for t, _ in leaflet.texts() if f'text: "{t.text}"\n' in text and t.text.endswith("."))
    text = text.replace(f'text: "{changed.text}"\n', f'text: "{changed.text[:-1]} at all."\n', 1)
    path.write_text(text, encoding="utf-8")
    assert main(["--project", str(scratch.root), "update"]) == 0
    catalog_path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    catalog = read_catalog(catalog_path)
    blanked = next(m for m in catalog if m.id and m.context not in (changed.id,) and not m.fuzzy)
    blanked.string = ""  # as a message new in this revision arrives
    write_catalog(catalog_path, catalog)
    capsys.readouterr()
    assert main(["--project", str(scratch.root), "changes", "de", "--leaflet", LEAFLET_ID, "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    last = changed.text.split()[-1]
    assert rows[changed.id]["kind"] == "changed"
    assert rows[changed.id]["diff"].endswith(f"[-{last}-] {{+{last[:-1]} at all.+}}")
    assert rows[blanked.context]["kind"] == "new"
    assert {r["kind"] for r in rows.values()} <= {"new", "changed", "removed"} and len(rows) >= 2
