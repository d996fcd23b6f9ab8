"""The leaflet source format: the real leaflet is valid; every kind of bad source is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from leafletgen.content.source import load_leaflet, parse_leaflet
from leafletgen.errors import SourceError

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


# -- characters that can reorder or hide text on paper: the shared rule (model.py) on every input ----

RLO_12 = "\u202e12\u202c"  # prints as "21" on paper
RLO_REASON = ("contains U+202C POP DIRECTIONAL FORMATTING, U+202E RIGHT-TO-LEFT OVERRIDE, "
              "which can reorder text on paper")


def test_right_to_left_override_in_a_source_text_is_refused() -> None:
    assert problems(GOOD.replace("Take 2 tablets at most.", f"Take {RLO_12} tablets at most.")) == [
        f"leaflets/demo.yaml: sections[1].blocks[0].bullets[0].text: {RLO_REASON}"]


def test_zero_width_space_in_a_source_text_is_refused() -> None:
    assert problems(GOOD.replace("Do not drive.", "Do not\u200b drive.")) == [
        "leaflets/demo.yaml: key_warning.blocks[0].paragraph.text: contains U+200B ZERO WIDTH SPACE, "
        "which is invisible and can hide text on paper"]


def test_soft_hyphen_and_joiners_in_a_source_text_are_allowed() -> None:
    text = "It treats head\u00adaches \U0001f469\u200d\u2695\ufe0f."  # soft hyphen; emoji ZWJ sequence
    leaflet = parse_leaflet(GOOD.replace("It treats headaches.", text), "leaflets/demo.yaml", expected_id="demo")
    assert "\u00ad" in leaflet.sections[0].blocks[0].text.text  # type: ignore[union-attr]


PHARMACY = "name: Riverside Pharmacy\naddress: 12 High Street\nphone: \"+44 20 7946 0000\"\n"


def test_right_to_left_override_in_a_pharmacy_phone_number_is_refused() -> None:
    from leafletgen.content.pharmacy import parse_pharmacy

    assert parse_pharmacy(PHARMACY, "p.yaml").phone == "+44 20 7946 0000"
    with pytest.raises(SourceError) as info:
        parse_pharmacy(PHARMACY.replace("7946", f"79{RLO_12}46"), "p.yaml")
    assert [str(p) for p in info.value.problems] == [f"p.yaml: phone: {RLO_REASON}"]


def test_right_to_left_override_in_a_clinic_form_field_is_refused() -> None:
    from pydantic import ValidationError

    from leafletgen.serve.app import Clinic

    with pytest.raises(ValidationError) as info:
        Clinic(name="Clinic", address="1 High Street", phone=f"+44 20 {RLO_12} 0000")
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [(("phone",), f"Value error, {RLO_REASON}")]
    with pytest.raises(ValidationError):
        Clinic(name="Cl\u2066inic", address="1 High Street", phone="1")
    assert Clinic(name="\u0645\u0637\u0628", address="a", phone="1").name == "\u0645\u0637\u0628"


@pytest.mark.parametrize(("old", "new", "where"), [
    ("strength: 10 mg", f"strength: {RLO_12} mg", "meta.strength"),
    ("brands: [Examplo]", f"brands: [Ex{RLO_12}amplo]", "meta.brands[0]"),
    ("{id: key.p, text: Do not drive.}", f"{{id: key.p, text: Do not drive., note: a{RLO_12}}}",
     "key_warning.blocks[0].paragraph.note"),
])
def test_a_reordering_character_in_any_source_field_is_refused(old: str, new: str, where: str) -> None:
    assert problems(GOOD.replace(old, new)) == [f"leaflets/demo.yaml: {where}: {RLO_REASON}"]
