"""Translation memory: a renamed or repeated English text is offered its old translation, as fuzzy."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog

from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.translate.catalogs import po_path, read_catalog, write_catalog
from leafletgen.translate.memory import SUGGESTED, build_memory, suggest

from conftest import LEAFLET_ID, plain_text_ids


def _catalog(*messages: tuple[str, str, str], obsolete: tuple[str, str, str] | None = None) -> Catalog:
    catalog = Catalog(locale="de")
    for ctxt, english, translation in messages:
        catalog.add(english, translation, context=ctxt)
    if obsolete:
        ctxt, english, translation = obsolete
        catalog.add(english, translation, context=ctxt)
        catalog.obsolete[(english, ctxt)] = catalog[(english, ctxt)]
        del catalog[(english, ctxt)]
    return catalog


def test_an_untranslated_message_gets_the_same_englishs_translation_as_a_fuzzy_suggestion() -> None:
    other = _catalog(("a.tell", "Tell your doctor.", "Sagen Sie es Ihrem Arzt."))
    mine = _catalog(("b.tell", "Tell your doctor.", ""), ("b.new", "Something new.", ""))
    assert suggest(mine, build_memory([("mine", mine), ("other", other)])) == 1
    found = mine.get("Tell your doctor.", "b.tell")
    assert found is not None and found.string == "Sagen Sie es Ihrem Arzt." and found.fuzzy
    assert found.user_comments == [f"{SUGGESTED} from other a.tell (same English): check it here, then clear fuzzy"]
    assert not mine.get("Something new.", "b.new").string  # type: ignore[union-attr]


def test_only_confirmed_translations_and_exact_english_are_remembered() -> None:
    fuzzy = _catalog(("a.x", "Take one tablet.", "Nehmen Sie eine Tablette."))
    fuzzy.get("Take one tablet.", "a.x").flags.add("fuzzy")  # type: ignore[union-attr]
    assert build_memory([("a", fuzzy)]) == {}
    memory = build_memory([("a", _catalog(("a.x", "Take one tablet.", "Nehmen Sie eine Tablette.")))])
    near = _catalog(("b.x", "Take one tablet a day.", ""))
    assert suggest(near, memory) == 0


def test_a_renamed_id_is_offered_its_old_translation_and_stays_refused_until_confirmed(
        scratch: Project, tmp_path: Path) -> None:
    ident = plain_text_ids()[0]
    source = scratch.leaflets_dir / f"{LEAFLET_ID}.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace(f"id: {ident}\n", f"id: {ident}-renamed\n", 1),
                      encoding="utf-8")
    assert main(["--project", str(scratch.root), "update"]) == 0
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    catalog = read_catalog(path)
    renamed = next(m for m in catalog if m.context == f"{ident}-renamed")
    old = next(m for m in catalog.obsolete.values() if m.context == ident)
    assert renamed.string == old.string and renamed.fuzzy
    assert any(c.startswith(f"{SUGGESTED} from {LEAFLET_ID} {ident} (obsolete)") for c in renamed.user_comments)
    assert main(["--project", str(scratch.root), "build", "-L", "de", "-o", str(tmp_path / "out")]) == 1
    renamed.flags.discard("fuzzy")  # a translator read it in its new place
    write_catalog(path, catalog)
    assert main(["--project", str(scratch.root), "update"]) == 0
    confirmed = next(m for m in read_catalog(path) if m.context == f"{ident}-renamed")
    assert not confirmed.fuzzy and not any(c.startswith(SUGGESTED) for c in confirmed.user_comments)
