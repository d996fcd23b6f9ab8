"""The leaflet source format: the real leaflet is valid; every kind of bad source is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from leafletgen.content.source import load_leaflet, parse_leaflet
from leafletgen.errors import SourceError

from conftest import ROOT, unlined

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
    return unlined(info.value.problems)


@pytest.mark.parametrize("path", sorted((ROOT / "leaflets").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_leaflet_is_valid_and_has_a_warnings_section(path: Path) -> None:
    leaflet = load_leaflet(path)
    assert leaflet.id == path.stem
    assert leaflet.meta.inn.text.casefold() in leaflet.title.text.casefold()
    assert leaflet.meta.strengths and all(s in leaflet.title.text for s in leaflet.meta.strengths)
    assert any(s.safety_critical for s in leaflet.sections)
    assert leaflet.key_warning.heading.id in leaflet.safety_critical_ids()


def test_good_source_loads_with_ids_lines_and_safety_flags() -> None:
    leaflet = parse_leaflet(GOOD, "leaflets/demo.yaml", expected_id="demo")
    assert leaflet.safety_critical_ids() == {"key.heading", "key.p", "warn.heading", "warn.b1"}
    title = leaflet.title
    assert (title.id, title.line) == ("title", 10)


def test_empty_text_is_reported_with_its_field_path() -> None:
    bad = GOOD.replace("text: It treats headaches.", 'text: ""')
    assert problems(bad) == ["leaflets/demo.yaml: sections[0] (what).blocks[0].paragraph.text: must not be empty"]


def test_missing_text_is_reported() -> None:
    bad = GOOD.replace("{id: what.p, text: It treats headaches.}", "{id: what.p}")
    assert problems(bad) == ["leaflets/demo.yaml: sections[0] (what).blocks[0].paragraph.text: missing"]


def test_unknown_key_is_reported_with_the_allowed_keys() -> None:
    bad = GOOD.replace("    safety_critical: true", "    safety_critcal: true")
    found = problems(bad)
    assert found[0].startswith("leaflets/demo.yaml: sections[1] (warn).safety_critcal: unknown key "
                               "(allowed: id, heading,")


def test_duplicate_id_names_both_places() -> None:
    bad = GOOD.replace("{id: warn.b1,", "{id: what.p,")
    assert problems(bad) == [
        "leaflets/demo.yaml: sections[1] (warn).blocks[0].bullets[0].id: duplicate id 'what.p' (first at line 20)"]


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
        "leaflets/demo.yaml: sections[0] (what).blocks[0].paragraph.text: unbalanced '**' "
        "(bold markup must open and close)"]


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
    assert problems(bad) == [
        "leaflets/demo.yaml: sections[0] (what).blocks[0].table.rows[0]: has 1 cells, the header has 2"]


# -- characters that can reorder or hide text on paper: the shared rule (model.py) on every input ----

RLO_12 = "\u202e12\u202c"  # prints as "21" on paper
RLO_REASON = ("contains U+202C POP DIRECTIONAL FORMATTING, U+202E RIGHT-TO-LEFT OVERRIDE, "
              "which can reorder text on paper")


def test_right_to_left_override_in_a_source_text_is_refused() -> None:
    assert problems(GOOD.replace("Take 2 tablets at most.", f"Take {RLO_12} tablets at most.")) == [
        f"leaflets/demo.yaml: sections[1] (warn).blocks[0].bullets[0].text: {RLO_REASON}"]


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
    assert unlined(info.value.problems) == [f"p.yaml: phone: {RLO_REASON}"]


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


# -- what a leaflet author sees: lines, section ids, and the rules for ids and metadata -----------


def test_a_problem_names_its_line_and_the_section_by_id() -> None:
    text = GOOD.replace("text: It treats headaches.", "text: ''")
    with pytest.raises(SourceError) as info:
        parse_leaflet(text, "leaflets/demo.yaml", expected_id="demo")
    line = text.splitlines().index("      - paragraph: {id: what.p, text: ''}") + 1
    assert [str(p) for p in info.value.problems] == [
        f"leaflets/demo.yaml:{line}: sections[0] (what).blocks[0].paragraph.text: must not be empty"]


def test_a_missing_key_names_the_line_of_the_mapping_that_lacks_it() -> None:
    text = GOOD.replace("  strength: 10 mg\n", "")
    with pytest.raises(SourceError) as info:
        parse_leaflet(text, "leaflets/demo.yaml", expected_id="demo")
    assert [str(p) for p in info.value.problems] == ["leaflets/demo.yaml:4: meta.strength: missing"]


def test_a_block_can_be_safety_critical_in_a_section_that_is_not() -> None:
    text = GOOD.replace("      - paragraph: {id: what.p, text: It treats headaches.}",
                        "      - paragraph: {id: what.p, text: It treats headaches.}\n        safety_critical: true\n"
                        "      - paragraph: {id: what.q, text: It is a tablet.}")
    leaflet = parse_leaflet(text, "leaflets/demo.yaml", expected_id="demo")
    critical = leaflet.safety_critical_ids()
    assert "what.p" in critical and "what.q" not in critical and "what.heading" not in critical


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("safety_critical: true\n    blocks:\n      - bullets:",
     "safety_critical: true\n    blocks:\n      - safety_critical: maybe\n        bullets:",
     "sections[1] (warn).blocks[0].safety_critical: must be true or false, got 'maybe'"),
    ("id: demo", "id: templates", "id: 'templates' is reserved: the gettext domain of the templates' own strings "
                                  "(locales/templates.pot)"),
    ("id: demo", "id: Demo_2", "id: invalid leaflet id 'Demo_2': lowercase letters and digits in words joined by "
                               "single hyphens, starting with a letter (like 'warfarin' or 'isotretinoin-20mg')"),
    ("  - id: what", "  - id: key-warning",
     "sections[0].id: 'key-warning' is reserved: the boxed key warning's anchor"),
    ("strength: 10 mg", "strength: ten mg", "meta.strength: 'ten mg' is not a strength: a number and its unit, "
                                            "like '20 mg' or '0.5 mg'"),
    ("strength: 10 mg", "strength: 2.5 mg", "title.text: does not give the strength '2.5 mg' of meta.strength"),
    ("text: Examplamide 10 mg tablets", "text: Headache tablets 10 mg",
     "title.text: does not name the medicine: meta.inn is 'examplamide'"),
    ("text: Examplamide 10 mg tablets", "text: Examplamide 100 mg tablets",
     "title.text: does not give the strength '10 mg' of meta.strength"),
])
def test_ids_and_metadata_follow_their_rules(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    assert problems(GOOD.replace(old, new, 1)) == [f"leaflets/demo.yaml: {expected}"]


def test_several_strengths_are_a_list_and_the_title_names_each() -> None:
    text = GOOD.replace("strength: 10 mg", "strength: [0.5 mg, 10 mg]").replace(
        "text: Examplamide 10 mg tablets", "text: Examplamide 0.5 mg and 10 mg tablets")
    assert parse_leaflet(text, "leaflets/demo.yaml", expected_id="demo").meta.strengths == ("0.5 mg", "10 mg")
    assert problems(text.replace("0.5 mg and ", "")) == [
        "leaflets/demo.yaml: title.text: does not give the strength '0.5 mg' of meta.strength"]


@pytest.mark.parametrize("image", ["../secret.svg", "/etc/passwd.svg", "figures/.hidden.svg", "figures/x.gif",
                                   "figures/x y.svg"])
def test_a_figure_is_a_file_inside_the_leaflets_folder(image: str) -> None:
    text = GOOD.replace("    - paragraph: {id: key.p, text: Do not drive.}",
                        f"    - figure: {{image: '{image}', alt: {{id: key.f, text: A picture.}}}}\n"
                        "    - paragraph: {id: key.p, text: Do not drive.}")
    assert problems(text) == [f"leaflets/demo.yaml: key_warning.blocks[0].figure.image: {image!r} is not a figure "
                              "file: a path inside the leaflets folder (letters, digits, '-', '_', '/'), ending .svg "
                              "or .png"]
