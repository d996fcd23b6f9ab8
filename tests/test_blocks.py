"""The block registry (content/blocks.py): every kind is read, extracted, translated, gated and
rendered through its one entry and its one template; a kind without a template stops the start."""

from __future__ import annotations

import base64
import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from yaml.nodes import Node

from leafletgen.content.blocks import REGISTRY, BlockKind, Paragraph, Reader, block_texts, kind_of, register
from leafletgen.content.model import Block, Leaflet, Section, Text, map_texts
from leafletgen.content.source import parse_leaflet
from leafletgen.errors import RenderError, SourceError
from leafletgen.project import Project
from leafletgen.render.html import Part, check_block_templates, environment, leaflet_html, render_part
from leafletgen.render.locales import locale_info
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, template_messages
from leafletgen.translate.extract import SAFETY_COMMENT, leaflet_messages
from leafletgen.translate.gate import expected_messages, refusals_for
from leafletgen.translate.localize import TemplateStrings, translate_leaflet
from leafletgen.translate.pofile import LeafletCatalog
from leafletgen.translate.snapshot import load_catalog

from conftest import unlined

ROOT = Path(__file__).resolve().parent.parent
NAME = "leaflets/blocks-demo.yaml"
LEAFLET = """\
format: 1
id: blocks-demo
meta:
  inn: {id: meta.inn, text: examplamide}
  strength: 10 mg
  dosage_form: {id: meta.form, text: tablets}
  brands: [Examplo]
  revision: 1
  revision_date: 2026-01-31
title: {id: title, text: Examplamide 10 mg tablets}
subtitle: {id: subtitle, text: Information for the patient}
key_warning:
  heading: {id: key.heading, text: Important}
  blocks:
    - paragraph: {id: key.p, text: Do not drive after taking it.}
sections:
  - id: sample
    heading: {id: sample.heading, text: 1. The block}
    safety_critical: true
    blocks:
      - BLOCK
"""

#: kind -> (its YAML, the ids of its texts in reading order, its HTML as the PDF gets it).
#: A kind added to the registry needs a sample here (test_every_registered_kind_has_a_sample).
SAMPLES: dict[str, tuple[str, list[str], str]] = {
    "paragraph": ("paragraph: {id: b.p, text: 'Take it with **food** & water.'}", ["b.p"],
                  "<p>Take it with <strong>food</strong> &amp; water.</p>\n"),
    "subheading": ("subheading: {id: b.s, text: If you forget a dose}", ["b.s"],
                   "<h3>If you forget a dose</h3>\n"),
    "bullets": ("bullets: [{id: b.b1, text: Headache}, {id: b.b2, text: 'Dry <skin>'}]", ["b.b1", "b.b2"],
                "<ul>\n  <li>Headache</li>\n  <li>Dry &lt;skin&gt;</li>\n</ul>\n"),
    "steps": ("steps: [{id: b.s1, text: Wash your hands.}, {id: b.s2, text: Swallow it whole.}]", ["b.s1", "b.s2"],
              "<ol>\n  <li>Wash your hands.</li>\n  <li>Swallow it whole.</li>\n</ol>\n"),
    "qa": ("qa: {question: {id: b.q, text: Can I drink alcohol?}, answer: {id: b.a, text: '**No.**'}}",
           ["b.q", "b.a"],
           '<div class="qa">\n<h3>Can I drink alcohol?</h3>\n<p><strong>No.</strong></p>\n</div>\n'),
    "table": ("table: {caption: {id: b.c, text: Doses}, header: [{id: b.h1, text: Age}, {id: b.h2, text: Dose}], "
              "rows: [[{id: b.r1, text: Adults}, {id: b.r1d, text: 20 mg}], "
              "[{id: b.r2, text: Children}, {id: b.r2d, text: 10 mg}]]}",
              ["b.c", "b.h1", "b.h2", "b.r1", "b.r1d", "b.r2", "b.r2d"],
              '<table class="short">\n  <caption>Doses</caption>\n'
              '  <thead><tr><th scope="col">Age</th><th scope="col">Dose</th></tr></thead>\n  <tbody>\n'
              '    <tr><th scope="row">Adults</th><td>20 mg</td></tr>\n'
              '    <tr><th scope="row">Children</th><td>10 mg</td></tr>\n  </tbody>\n</table>\n'),
    "figure": ("figure: {image: figures/pregnancy-warning.svg, alt: {id: b.f, text: 'A pictogram & its text'}}",
               ["b.f"],
               '<img class="figure" src="data:image/svg+xml;base64,'
               + base64.b64encode((ROOT / "leaflets/figures/pregnancy-warning.svg").read_bytes()).decode()
               + '" alt="A pictogram &amp; its text">\n'),
    "warning_box": ("warning_box: {heading: {id: b.wh, text: 'Stop and get help at once if you have:'}, "
                    "items: [{id: b.w1, text: A rash}, {id: b.w2, text: '**Chest** pain'}]}",
                    ["b.wh", "b.w1", "b.w2"],
                    '<div class="warning-box">\n<h3>Stop and get help at once if you have:</h3>\n<ul>\n'
                    '  <li>A rash</li>\n  <li><strong>Chest</strong> pain</li>\n</ul>\n</div>\n'),
    "minor_heading": ("minor_heading: {id: b.m, text: Blood tests}", ["b.m"], "<h4>Blood tests</h4>\n"),
}


def leaflet_with(block_yaml: str) -> Leaflet:
    return parse_leaflet(LEAFLET.replace("BLOCK", block_yaml), NAME, expected_id="blocks-demo")


def sample_block(leaflet: Leaflet) -> Block:
    return leaflet.sections[0].blocks[0]


def section_html(project: Project, leaflet: Leaflet, locale: str = "en", **catalogs: LeafletCatalog | None) -> str:
    """The blocks of the sample section, as rendered into the whole document."""
    html = leaflet_html(project, leaflet, locale, RenderOptions(), catalogs.get("catalog"), catalogs.get("strings"))
    start = html.index("</h2>\n", html.index('<section id="sample-')) + len("</h2>\n")
    return html[start:html.index("</section>", start)].removesuffix("\n")  # the part template's own line end


def german(leaflet: Leaflet, *, skip: frozenset[str] = frozenset()) -> LeafletCatalog:
    """A catalog translating every text of ``leaflet`` (but ``skip``) as 'DE: <English>'."""
    catalog = LeafletCatalog(locale="de", domain=leaflet.id)
    for text, _critical in leaflet.texts():
        if text.id not in skip:
            catalog.add(text.text, f"DE: {text.text}", context=text.id)
    return catalog


def reflected_texts(node: object) -> Iterator[Text]:
    """Every Text inside a dataclass, by reflection (what the registry's declaration must match)."""
    if isinstance(node, Text):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from reflected_texts(item)
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from reflected_texts(getattr(node, f.name))


@pytest.fixture()
def project_copy(tmp_path: Path) -> Project:
    """A writable copy of the project (templates and all) to add or remove a block template in."""
    for name in ("leaflets", "locales", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return Project(tmp_path)


# -- every registered kind ---------------------------------------------------------------------------


def test_the_registry_holds_the_kinds_in_the_order_messages_list_them() -> None:
    assert list(REGISTRY) == ["paragraph", "subheading", "bullets", "steps", "qa", "table", "figure",
                              "warning_box", "minor_heading"]


def test_every_registered_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(REGISTRY), "add a sample to SAMPLES for every new block kind"


def test_every_registered_kind_has_a_template_in_the_project() -> None:
    check_block_templates(ROOT / "templates")
    assert all((ROOT / "templates" / "blocks" / f"{kind}.html.j2").is_file() for kind in REGISTRY)


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_every_kind_round_trips_yaml_to_model_to_html_with_its_texts(kind: str) -> None:
    block_yaml, ids, expected_html = SAMPLES[kind]
    leaflet = leaflet_with(block_yaml)
    block = sample_block(leaflet)
    assert type(block) is REGISTRY[kind].model and kind_of(block) is REGISTRY[kind]
    assert [t.id for t in block_texts(block)] == ids
    assert list(block_texts(block)) == list(reflected_texts(block))  # the declaration misses no text
    assert all(t.line == 21 for t in block_texts(block))  # each text knows its source line
    assert section_html(Project(ROOT), leaflet) == expected_html


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_every_kind_s_texts_are_extracted_translated_and_gated(kind: str) -> None:
    block_yaml, ids, _html = SAMPLES[kind]
    leaflet = leaflet_with(block_yaml)
    texts = {t.id: t.text for t in block_texts(sample_block(leaflet))}

    messages = {ctxt: (msgid, comments) for _line, _fn, (ctxt, msgid), comments in leaflet_messages(leaflet)}
    assert [i for i in messages if i in texts] == ids
    assert all(messages[i] == (texts[i], [SAFETY_COMMENT]) for i in ids)  # in a safety-critical section

    translated = translate_leaflet(leaflet, german(leaflet))
    assert {t.id: t.text for t in block_texts(sample_block(translated))} == {i: f"DE: {t}" for i, t in texts.items()}
    upper = map_texts(leaflet, lambda t: dataclasses.replace(t, text=t.text.upper()))
    assert [t.text for t in block_texts(sample_block(upper))] == [texts[i].upper() for i in ids]

    assert set(ids) <= set(expected_messages(leaflet)) and set(ids) <= leaflet.safety_critical_ids()
    project = Project(ROOT)
    strings, template_msgs = load_catalog(project, "de", TEMPLATES_DOMAIN), template_messages(project)
    assert refusals_for(leaflet, "de", german(leaflet), strings, template_msgs) == []
    refused = refusals_for(leaflet, "de", german(leaflet, skip=frozenset(ids)), strings, template_msgs)
    assert [(f.msgctxt, f.critical, f.kind) for f in refused] == [(i, True, "missing") for i in ids]


# -- what is refused -----------------------------------------------------------------------------------


def test_an_unknown_kind_is_refused_with_the_allowed_list_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceError) as err:
        leaflet_with("sidebar: {id: b.x, text: Hello}")
    assert unlined(err.value.problems) == [f"{NAME}: sections[0] (sample).blocks[0].sidebar: unknown block kind "
                                           "(allowed: paragraph, subheading, bullets, steps, qa, table, figure, "
                                           "warning_box, minor_heading)"]
    with pytest.raises(SourceError) as err:
        leaflet_with("{paragraph: {id: b.p, text: A}, steps: [{id: b.s, text: B}]}")
    assert unlined(err.value.problems) == [
        f"{NAME}: sections[0] (sample).blocks[0]: must be a mapping with exactly one of: "
        "paragraph, subheading, bullets, steps, qa, table, figure, warning_box, minor_heading "
        "(and optionally safety_critical)"]
    monkeypatch.setitem(REGISTRY, "note", NOTE)  # the list is the registry's, not a copy of it
    with pytest.raises(SourceError) as err:
        leaflet_with("sidebar: {id: b.x, text: Hello}")
    assert str(err.value).endswith("(allowed: paragraph, subheading, bullets, steps, qa, table, figure, warning_box, "
                                      "minor_heading, note)")


def test_a_kind_registered_without_a_template_fails_at_start_in_one_line(
        monkeypatch: pytest.MonkeyPatch, project_copy: Project) -> None:
    monkeypatch.setitem(REGISTRY, "note", NOTE)
    expected = "templates/blocks/note.html.j2: block kind 'note' has no template"
    with pytest.raises(RenderError) as err:
        environment(project_copy.templates_dir)
    assert str(err.value) == expected
    with pytest.raises(RenderError) as err:  # at start: this leaflet has no note at all
        leaflet_html(project_copy, leaflet_with(SAMPLES["paragraph"][0]), "en", RenderOptions(), None, None)
    assert str(err.value) == expected
    (project_copy.templates_dir / "blocks" / "table.html.j2").unlink()
    with pytest.raises(RenderError) as err:  # every missing template, one line each
        environment(project_copy.templates_dir)
    assert str(err.value).splitlines() == ["templates/blocks/table.html.j2: block kind 'table' has no template",
                                           expected]


def test_a_block_of_no_registered_kind_is_an_error_never_a_gap() -> None:
    @dataclass(frozen=True)
    class Stray(Block):
        text: Text

    leaflet = leaflet_with(SAMPLES["paragraph"][0])
    stray = dataclasses.replace(leaflet, sections=(Section("sample", leaflet.sections[0].heading,
                                                           (Stray(Text("b.x", "Lost")),), True),))
    with pytest.raises(TypeError, match="Stray is not a registered block kind"):
        list(stray.texts())  # so neither extracted, translated, gated nor rendered: leaflet_html stops here
    with pytest.raises(TypeError, match="Stray is not a registered block kind"):
        leaflet_html(Project(ROOT), stray, "en", RenderOptions(), None, None)
    part = Part(stray, locale_info("en"), TemplateStrings(None), reviewed=True, draft=False, pharmacy=None,
                first=True)
    with pytest.raises(RenderError) as err:  # and the template does not skip it either
        render_part(ROOT / "templates", part)
    assert str(err.value) == "templates/part.html.j2: Stray is not a registered block kind (content/blocks.py)"


def test_a_kind_must_declare_every_field_that_holds_a_text() -> None:
    @dataclass(frozen=True)
    class Pair(Block):
        first: Text
        second: tuple[Text, ...]
        level: int = 1

    def read(r: Reader, node: Node | None, path: str) -> Pair | None:
        return None

    with pytest.raises(TypeError, match="field 'second' holds texts but is not in its texts"):
        BlockKind("pair", Pair, read, texts=("first",))
    with pytest.raises(TypeError, match="field 'level' must hold only Text"):
        BlockKind("pair", Pair, read, texts=("first", "second", "level"))
    with pytest.raises(TypeError, match="texts names 'third', not a field of Pair"):
        BlockKind("pair", Pair, read, texts=("first", "second", "third"))
    assert BlockKind("pair", Pair, read, texts=("second", "first")).texts == ("second", "first")


def test_a_name_or_dataclass_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leafletgen.content.blocks.REGISTRY", dict(REGISTRY))  # register() writes here
    with pytest.raises(ValueError, match="'paragraph' already has that name or dataclass"):
        register(BlockKind("paragraph", Note, read_note, texts=("text",)))
    with pytest.raises(ValueError, match="'paragraph' already has that name or dataclass"):
        register(BlockKind("para", Paragraph, REGISTRY["paragraph"].read, texts=("text",)))


# -- the worked example: a new kind is one registry entry and one template ------------------------------

# 1. The entry (in the real code: in content/blocks.py, next to the others): dataclass, reader, texts.


@dataclass(frozen=True)
class Note(Block):
    text: Text


def read_note(r: Reader, node: Node | None, path: str) -> Note | None:
    text = r.text(node, path)
    return Note(text) if text else None


NOTE = BlockKind("note", Note, read_note, texts=("text",))  # in content/blocks.py: register(BlockKind(...))

# 2. The template: templates/blocks/note.html.j2.
NOTE_TEMPLATE = '<aside class="note"><p>{{ block.text | inline }}</p></aside>\n'


def test_worked_example_a_note_kind_is_one_entry_and_one_template(
        monkeypatch: pytest.MonkeyPatch, project_copy: Project) -> None:
    monkeypatch.setitem(REGISTRY, "note", NOTE)
    (project_copy.templates_dir / "blocks" / "note.html.j2").write_text(NOTE_TEMPLATE, encoding="utf-8")

    leaflet = leaflet_with("note: {id: b.n, text: 'Keep it **cold**.', note: 'a fridge, not a freezer'}")
    assert sample_block(leaflet) == Note(Text("b.n", "Keep it **cold**.", "a fridge, not a freezer", 21))
    # extracted, with its translator note, as safety-critical
    assert (21, "pgettext", ("b.n", "Keep it **cold**."), [SAFETY_COMMENT, "a fridge, not a freezer"]) in list(
        leaflet_messages(leaflet))
    # gated: printing German is refused while the note is not translated
    strings = load_catalog(project_copy, "de", TEMPLATES_DOMAIN)
    refused = refusals_for(leaflet, "de", german(leaflet, skip=frozenset({"b.n"})), strings,
                           template_messages(project_copy))
    assert [(f.msgctxt, f.problem) for f in refused] == [("b.n", "safety-critical message not translated")]
    # rendered, in English and translated
    assert section_html(project_copy, leaflet) == '<aside class="note"><p>Keep it <strong>cold</strong>.</p></aside>\n'
    assert section_html(project_copy, leaflet, "de", catalog=german(leaflet), strings=strings) == (
        '<aside class="note"><p>DE: Keep it <strong>cold</strong>.</p></aside>\n')
