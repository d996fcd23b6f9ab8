"""A translator's draft shows every message in context: what is missing in English, what is fuzzy as
the translator wrote it, each in its own colour, template strings included; ids on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, po_path, read_catalog, write_catalog

from conftest import LEAFLET_ID, HtmlRenderer, fake_build


def _draft_html(project: Project, out: Path, **options: bool) -> str:
    renderer = HtmlRenderer()
    report = fake_build(project, out, renderer, locales=["de"], options=RenderOptions(draft=True, **options))
    assert report.ok
    return renderer.outputs[f"{LEAFLET_ID} de"].decode("utf-8")


def _damage(project: Project, domain: str, ctxt: str, *, fuzzy: bool) -> tuple[str, str]:
    path = po_path(project.locales_dir, "de", domain)
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.context == ctxt)
    english, translation = str(message.id), str(message.string)
    if fuzzy:
        message.flags.add("fuzzy")
    else:
        message.string = ""
    write_catalog(path, catalog)
    return english, translation


def test_a_draft_marks_missing_text_in_english_and_fuzzy_text_as_written(scratch: Project, tmp_path: Path) -> None:
    missing_en, _ = _damage(scratch, LEAFLET_ID, "about.read", fuzzy=False)
    _, fuzzy_de = _damage(scratch, LEAFLET_ID, "about.keep", fuzzy=True)
    template_en, _ = _damage(scratch, TEMPLATES_DOMAIN, "notice.unreviewed", fuzzy=False)
    _, template_fuzzy = _damage(scratch, TEMPLATES_DOMAIN, "draft.legend", fuzzy=True)
    html = _draft_html(scratch, tmp_path)
    assert f'<mark class="untranslated" lang="en">{missing_en}</mark>' in html
    assert f'<mark class="fuzzy">{fuzzy_de}</mark>' in html
    assert f'<mark class="untranslated" lang="en">{template_en}</mark>' in html
    assert f'<mark class="fuzzy">{template_fuzzy}</mark>' in html
    assert 'class="msgid"' not in html


def test_show_ids_prints_each_messages_id_beside_it(scratch: Project, tmp_path: Path) -> None:
    html = _draft_html(scratch, tmp_path, show_ids=True)
    assert '<span class="msgid">key.heading</span>' in html and '<span class="msgid">header.identity</span>' in html
    assert (tmp_path / LEAFLET_ID / f"{LEAFLET_ID}.de.draft.ids.pdf").exists()


def test_ids_are_never_printed_outside_a_draft(scratch: Project, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(scratch.root), "build", "-L", "de", "--show-ids", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --show-ids goes with --draft (a translator's preview; patients never see ids)"]
