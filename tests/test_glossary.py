"""A locale's agreed terms (locales/<locale>/glossary.csv): check names each message that strays."""

from __future__ import annotations

import pytest

from leafletgen.cli.main import main
from leafletgen.errors import CatalogError
from leafletgen.project import Project
from leafletgen.translate.catalogs import offered_locales, po_path, read_catalog, write_catalog
from leafletgen.translate.glossary import Term, glossary_findings, glossary_path, read_glossary
from leafletgen.translate.snapshot import load_catalog

from conftest import LEAFLET_ID, ROOT, all_locales, leaflet_ids


def test_a_stem_matches_every_ending_and_the_english_matches_whole_words_in_any_case() -> None:
    term = Term("warfarin", ("warfaryn",))
    assert term.expected_in("Warfarin is an anticoagulant.") and not term.expected_in("warfarins")
    assert term.found_in("Warfaryna jest lekiem.") and term.found_in("po przyjęciu warfaryny")
    assert not term.found_in("ten lek jest antykoagulantem")
    assert Term("isotretinoin", ("izotretinoin", "İzotretinoin")).found_in("İzotretinoin almayın.")


@pytest.mark.parametrize("locale", [c for c in all_locales() if glossary_path(ROOT / "locales", c).exists()])
def test_every_shipped_translation_uses_its_locales_agreed_terms(project: Project, locale: str) -> None:
    terms = read_glossary(glossary_path(project.locales_dir, locale))
    assert terms
    offered = [ident for ident in leaflet_ids(project) if locale in offered_locales(project.locales_dir, ident)]
    found = [str(f) for domain in offered
             for f in glossary_findings(load_catalog(project, locale, domain), terms, locale=locale, domain=domain)]
    assert found == []


def test_check_names_a_message_without_the_agreed_term(scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.id and "isotretinoin" in str(m.id).lower() and m.context != "meta.inn")
    message.string = str(message.string).replace("Isotretinoin", "Roaccutan")
    write_catalog(path, catalog)
    assert main(["--project", str(scratch.root), "check", "de"]) == 0  # a reviewer's look, not a refusal
    out = capsys.readouterr().out
    assert f"de {LEAFLET_ID} {message.context}: warning: glossary: 'isotretinoin' is 'Isotretinoin' in this locale" \
        in out


def test_a_broken_glossary_is_one_line_naming_file_and_line(scratch: Project,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = glossary_path(scratch.locales_dir, "de")
    path.write_text("english,term,note\nisotretinoin,,the INN\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="needs both an English term and the agreed local term"):
        read_glossary(path)
    assert main(["--project", str(scratch.root), "check", "de"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert "error: locales/de/glossary.csv:2: needs both an English term and the agreed local term" in err
