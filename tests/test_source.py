"""The leaflet source format: the real leaflet is valid; every kind of bad source is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from leafletgen.errors import SourceError
from leafletgen.source import load_leaflet, parse_leaflet

GOOD = """\
format: 1
id: demo
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
    - paragraph: {id: key.p, text: Do not drive.}
sections:
  - id: what
    heading: {id: what.heading, text: 1. What it is}
    blocks:
      - paragraph: {id: what.p, text: It treats headaches.}
  - id: warn
    heading: {id: warn.heading, text: 2. Warnings}
    safety_critical: true
    blocks:
      - bullets:
          - {id: warn.b1, text: Take 2 tablets at most.}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(SourceError) as info:
        parse_leaflet(text, "leaflets/demo.yaml", expected_id="demo")
    return [str(p) for p in info.value.problems]


def test_real_leaflet_is_valid_and_has_a_warnings_section() -> None:
    leaflet = load_leaflet(Path(__file__).parent.parent / "leaflets" / "isotretinoin-20mg.yaml")
    assert leaflet.meta.inn.text == "isotretinoin"
    assert leaflet.meta.strength == "20 mg"
    assert any(s.safety_critical for s in leaflet.sections)
    assert len(leaflet.safety_critical_ids()) > 50


def test_good_source_loads_with_ids_lines_and_safety_flags() -> None:
    leaflet = parse_leaflet(GOOD, "leaflets/demo.yaml", expected_id="demo")
    assert leaflet.safety_critical_ids() == {"key.heading", "key.p", "warn.heading", "warn.b1"}
    title = leaflet.title
    assert (title.id, title.line) == ("title", 10)


def test_empty_text_is_reported_with_its_field_path() -> None:
    bad = GOOD.replace("text: It treats headaches.", 'text: ""')
    assert problems(bad) == ["leaflets/demo.yaml: sections[0].blocks[0].paragraph.text: must not be empty"]


def test_missing_text_is_reported() -> None:
    bad = GOOD.replace("{id: what.p, text: It treats headaches.}", "{id: what.p}")
    assert problems(bad) == ["leaflets/demo.yaml: sections[0].blocks[0].paragraph.text: missing"]


def test_unknown_key_is_reported_with_the_allowed_keys() -> None:
    bad = GOOD.replace("    safety_critical: true", "    safety_critcal: true")
    found = problems(bad)
    assert found[0].startswith("leaflets/demo.yaml: sections[1].safety_critcal: unknown key (allowed: id, heading,")


def test_duplicate_id_names_both_places() -> None:
    bad = GOOD.replace("{id: warn.b1,", "{id: what.p,")
    assert problems(bad) == [
        "leaflets/demo.yaml: sections[1].blocks[0].bullets[0].id: duplicate id 'what.p' (first at line 20)"]


def test_wrong_types_are_reported() -> None:
    bad = GOOD.replace("revision: 1", "revision: one").replace("brands: [Examplo]", "brands: Examplo")
    assert problems(bad) == [
        "leaflets/demo.yaml: meta.brands: must be a list, got a string",
        "leaflets/demo.yaml: meta.revision: must be a whole number of at least 1, got 'one'",
    ]


def test_source_without_safety_critical_section_is_refused() -> None:
    bad = GOOD.replace("    safety_critical: true\n", "")
    assert problems(bad) == [
        "leaflets/demo.yaml: sections: no safety-critical section: mark the warnings with safety_critical: true"]


def test_every_problem_is_reported_at_once() -> None:
    bad = GOOD.replace("text: It treats headaches.", 'text: ""').replace("  strength: 10 mg\n", "")
    assert len(problems(bad)) == 2


def test_malformed_yaml_names_line_and_column() -> None:
    found = problems(GOOD.replace("  strength: 10 mg", "  strength: [10 mg"))
    assert len(found) == 1
    assert found[0].startswith("leaflets/demo.yaml: line 6, column ")
    assert "invalid YAML" in found[0]


def test_unbalanced_bold_markup_is_refused() -> None:
    bad = GOOD.replace("It treats headaches.", "It treats **headaches.")
    assert problems(bad) == [
        "leaflets/demo.yaml: sections[0].blocks[0].paragraph.text: unbalanced '**' (bold markup must open and close)"]


def test_id_must_match_file_name() -> None:
    assert problems(GOOD.replace("id: demo", "id: other")) == [
        "leaflets/demo.yaml: id: must match the file name ('demo'), got 'other'"]


def test_table_rows_must_match_the_header() -> None:
    table = """      - table:
          caption: {id: t.c, text: Timeline}
          header: [{id: t.h1, text: When}, {id: t.h2, text: What}]
          rows:
            - [{id: t.r1, text: Week 1}]
"""
    bad = GOOD.replace("      - paragraph: {id: what.p, text: It treats headaches.}\n", table)
    assert problems(bad) == ["leaflets/demo.yaml: sections[0].blocks[0].table.rows[0]: has 1 cells, the header has 2"]
