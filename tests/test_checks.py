"""Per-message translation checks: numbers by value (each locale's own notation), characters that
can reorder or hide text, markup, placeholders, punctuation, empty."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
from babel.messages.catalog import Catalog

from leafletgen.content.model import control_characters_reason, hidden_characters, hidden_characters_reason
from leafletgen.translate.checks import check_catalog, check_translation, numbers, read_numbers
from leafletgen.translate.gate import catalog_refusals as gate

from conftest import ROOT


def problems(source: str, translation: str, locale: str = "de", critical: bool = False) -> list[str]:
    return [p for _, p in check_translation(source, translation, locale=locale, critical=critical)]


def test_a_changed_number_is_an_error() -> None:
    found = check_translation("Wait 1 month after you stop.", "Warten Sie 2 Monate nach dem Ende.", locale="de")
    assert found == [("error", "numbers differ from the source (missing 1; unexpected 2)")]


def test_numbers_in_the_locale_digits_compare_by_value() -> None:
    assert numbers("१२ वर्ष, ২০ mg, ٢٤ أسبوعًا") == numbers("12 years, 20 mg, 24 weeks")
    assert problems("Take 20 mg.", "२० mg घ्या.", locale="mr") == []


def test_a_dropped_number_is_caught_even_when_another_repeats() -> None:
    assert problems("1 month before and 1 month after.", "1 Monat vorher und danach.")


def test_lost_bold_markup_is_an_error() -> None:
    assert problems("**Do not** take it.", "Nehmen Sie es nicht ein.") == [
        "bold markup '**' differs: source has 1, translation 0"]


def test_changed_placeholder_is_an_error() -> None:
    assert problems("Page %(page)s of %(pages)s", "Seite %(page)s von %(seiten)s")[0].startswith("placeholders differ")


def test_empty_translation_is_an_error() -> None:
    assert check_translation("Hello.", "  ", locale="de") == [("error", "empty translation")]


def test_trailing_punctuation_of_another_script_is_accepted() -> None:
    assert problems("Take it with food.", "随餐服用。", locale="zh_CN") == []
    assert problems("Take it with food.", "کھانے کے ساتھ لیں۔", locale="ur") == []
    assert problems("Can I drink alcohol?", "هل يمكنني شرب الكحول؟", locale="ar") == []


def test_missing_trailing_punctuation_is_a_warning() -> None:
    assert check_translation("Take it with food.", "Mit dem Essen einnehmen", locale="de") == [
        ("warning", "ends with no punctuation, the source with full stop")]


def test_safety_critical_text_left_in_english_is_flagged() -> None:
    assert problems("Condoms alone are not enough.", "Condoms alone are not enough.", critical=True) == [
        "safety-critical text is identical to the English source"]


def test_template_plurals_follow_the_catalogs_plural_forms() -> None:
    from leafletgen.translate.localize import TemplateStrings

    catalog = Catalog(locale="ru")
    catalog.add(("%(n)s page", "%(n)s pages"), ["%(n)s страница", "%(n)s страницы", "%(n)s страниц"])
    strings = TemplateStrings(catalog)
    assert [str(strings.ngettext("%(n)s page", "%(n)s pages", n)) for n in (1, 3, 5, 21)] == [
        "%(n)s страница", "%(n)s страницы", "%(n)s страниц", "%(n)s страница"]


# -- numbers as values, with each locale's own decimal and grouping rules ---------------------------

def test_german_twenty_thousand_is_not_twenty() -> None:
    assert numbers("20.000 mg", "de") == Counter({"20000": 1})
    assert problems("Take 20 mg.", "Nehmen Sie 20.000 mg ein.") == [
        "numbers differ from the source (missing 20; unexpected 20000)"]


def test_thousands_compare_by_value_in_english_german_and_french() -> None:
    thousand = Counter({"1000": 1})
    assert numbers("1,000") == numbers("1.000", "de") == numbers("1.000", "es") == thousand
    for space in ("\u202f", "\u00a0", " "):  # CLDR's narrow no-break space, the no-break space, a plain space
        assert numbers(f"1{space}000", "fr") == numbers(f"1{space}000", "ru") == thousand
    assert problems("Up to 1,000 mg a day.", "Bis zu 1.000 mg am Tag.") == []


def test_french_narrow_no_break_space_in_thousands_is_not_a_false_alarm() -> None:
    assert problems("Up to 1,000 mg a day.", "Jusqu’à 1\u202f000\u00a0mg par jour.", locale="fr") == []


def test_an_english_thousands_separator_in_a_german_text_reads_as_a_decimal() -> None:
    assert numbers("1,000", "de") == Counter({"1": 1})
    assert problems("Up to 1,000 mg a day.", "Bis zu 1,000 mg am Tag.") == [
        "numbers differ from the source (missing 1000; unexpected 1)"]


def test_german_decimal_comma_is_the_english_decimal_point() -> None:
    assert numbers("0,5", "de") == numbers("0.5") == numbers("0,5", "pt_BR") == Counter({"0.5": 1})
    assert numbers("1.000,5", "de") == numbers("1,000.5") == numbers("1\u202f000,5", "fr") == Counter({"1000.5": 1})
    assert problems("Take 0.5 mg.", "Nehmen Sie 0,5 mg ein.") == []


def test_digits_and_separators_of_other_scripts_compare_by_value() -> None:
    assert numbers("٢٫٥ ملغ، حتى ١٬٠٠٠ ملغ", "ar") == Counter({"2.5": 1, "1000": 1})
    assert numbers("۲٫۵ و ۱٬۰۰۰", "fa") == numbers("۲٫۵ و ۱٬۰۰۰", "ur") == Counter({"2.5": 1, "1000": 1})
    assert numbers("१२.५ mg", "hi") == numbers("১২.৫ mg", "bn") == Counter({"12.5": 1})
    assert problems("Take 2.5 mg.", "۲٫۵ میلی‌گرم بخورید.", locale="fa") == []


def test_numbers_are_written_in_the_locales_own_digits() -> None:
    # one policy per locale (CLDR's default numbering system): Bengali, Marathi and Persian write
    # their own digits, Hindi and Arabic the Latin ones; a number in the other system is refused
    assert problems("Take 20 mg.", "20 mg নিন।", locale="bn") == [
        "numbers written in latn digits; this locale writes them in beng digits (০১২৩৪৫৬৭৮৯)"]
    assert problems("Take 20 mg.", "২০ mg নিন।", locale="bn") == []
    assert problems("Take 20 mg.", "२० mg लें।", locale="hi") == [
        "numbers written in deva digits; this locale writes them in latn digits (0123456789)"]
    assert problems("Take 2.5 mg.", "تناول ٢٫٥ ملغ.", locale="ar")[0].startswith("numbers written in arab digits")
    assert problems("Take 2.5 mg.", "۲٫5 میلی‌گرم بخورید.", locale="fa") == [
        "numbers written in latn digits; this locale writes them in arabext digits (۰۱۲۳۴۵۶۷۸۹)"]
    # a code printed on the pack keeps its Latin digits in any locale
    assert problems("Colour: E124, and Q10.", "रंग: E124 आणि Q10.", locale="mr") == []
    assert problems("Colour: E124.", "रंग: E१२४.", locale="mr") == []


def test_indian_and_international_grouping_read_the_same_value() -> None:
    lakh = Counter({"100000": 1})
    assert numbers("1,00,000", "hi") == numbers("१,००,०००", "hi") == numbers("১,০০,০০০", "bn") == lakh
    assert numbers("100,000", "hi") == numbers("100,000") == lakh
    assert numbers("1.00.000", "de") != lakh  # 2-digit groups only where CLDR's pattern has them


def test_sentence_punctuation_after_a_number_is_not_a_decimal() -> None:
    assert numbers("Take 2. Then take 3.") == Counter({"2": 1, "3": 1})
    assert numbers("Days 2, 3 and 4", "de") == numbers("Days 2, 3 and 4") == Counter({"2": 1, "3": 1, "4": 1})
    assert numbers("Nehmen Sie 2. Dann 3,5.", "de") == Counter({"2": 1, "3.5": 1})


def test_a_group_separator_must_be_followed_by_exactly_three_digits() -> None:
    assert numbers("1,0000") == Counter({"1": 1, "0": 1})
    assert numbers("12,34") == Counter({"12": 1, "34": 1})
    assert numbers("0.125", "de") == Counter({"0": 1, "125": 1})  # not 125: a group cannot follow a leading 0


def test_ranges_times_and_percentages_read_as_before() -> None:
    expected = Counter({"2": 1, "3": 1, "12": 1, "18": 1, "8": 1, "30": 1, "15": 1})
    for locale in ("en", "de", "fr", "hi"):
        assert numbers("2-3 times, 12–18 years, at 8:30, 15%", locale) == expected
    assert problems("Use SPF 15 or higher, 2-3 times a day.", "SPF 15 oder höher, 2-3 Mal am Tag.") == []


def test_a_number_written_in_another_locales_notation_is_refused() -> None:
    assert problems("Up to 1,000 mg a day.", "Jusqu’à 1.000 mg par jour.", locale="fr") == [
        "numbers differ from the source (missing 1000; unexpected 0, 1; not one number in fr notation: '1.000')"]


def test_section_numbers_and_decimals_in_international_notation_are_accepted() -> None:
    assert problems("See section 2.1.", "Siehe Abschnitt 2.1.") == []
    assert numbers("0.5 mg", "de") == numbers("0.5 mg", "fr") == Counter({"0.5": 1})
    assert numbers("1.5.2024", "de") == numbers("1.5.2024") == Counter({"1": 1, "5": 1, "2024": 1})


def test_a_separator_the_locale_reads_two_ways_is_an_error() -> None:
    # CLDR's Lao: ',' is the decimal separator with Latin digits, '.' with Lao digits.
    assert read_numbers("1.000", "lo").ambiguous == ("1.000",)
    assert "cannot tell decimal from thousands separator in lo for '1.000'" in problems(
        "Up to 1,000 mg.", "1.000 mg.", locale="lo")


def test_an_unknown_locale_is_a_finding_not_a_traceback() -> None:
    assert check_translation("Take 20 mg.", "Take 20 mg.", locale="tlh") == [
        ("error", "cannot read numbers with the rules of locale 'tlh' (UnknownLocaleError: unknown locale 'tlh')")]
    catalog = Catalog()
    catalog.add("Take 20 mg.", "Take 20 mg.", context="dose")
    refusals = gate(catalog, locale="tlh", domain="d", expected={"dose": "Take 20 mg."}, critical_ids=frozenset())
    assert [f.problem for f in refusals] == [
        "cannot read numbers with the rules of locale 'tlh' (UnknownLocaleError: unknown locale 'tlh')"]


# -- characters that can reorder or hide text on paper ------------------------------------------------

def test_right_to_left_override_is_refused_in_a_translation() -> None:
    assert check_translation("Take 12 tablets.", "Take \u202e12 tablets.", locale="en_GB") == [
        ("error", "contains U+202E RIGHT-TO-LEFT OVERRIDE, which can reorder text on paper")]
    assert problems("Take 12 tablets.", "\u062a\u0646\u0627\u0648\u0644 \u202e12\u202c \u0642\u0631\u0635\u064b\u0627.",
                    locale="ar") == [
        "contains U+202C POP DIRECTIONAL FORMATTING, U+202E RIGHT-TO-LEFT OVERRIDE, which can reorder text on paper"]


def test_a_reordering_character_refuses_the_locale_even_outside_the_warnings() -> None:
    catalog = Catalog(locale="de")
    catalog.add("Take 12 tablets.", "Nehmen Sie \u202e12\u202c Tabletten.", context="other.dose")
    refusals = gate(catalog, locale="de", domain="d", expected={"other.dose": "Take 12 tablets."},
                    critical_ids=frozenset())
    assert [(f.severity, f.critical, f.problem) for f in refusals] == [
        ("error", False,
         "contains U+202C POP DIRECTIONAL FORMATTING, U+202E RIGHT-TO-LEFT OVERRIDE, which can reorder text on paper")]


@pytest.mark.parametrize("char", [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)),
                                  "\u200e", "\u200f", "\u061c", "\u206a", "\u2029"])
def test_bidi_embeddings_overrides_isolates_and_marks_are_refused(char: str) -> None:
    assert hidden_characters_reason(f"Take 1{char}2 tablets.") == (
        f"contains U+{ord(char):04X} {unicodedata.name(char)}, which can reorder text on paper")


@pytest.mark.parametrize("char", ["\u200b", "\u2060", "\u2062", "\ufeff", "\U000e0041", "\U000e0001", "\u034f",
                                  "\u3164", "\ufff9", "\u180e", "\u0600", "\U0001d173"])
def test_invisible_format_characters_are_refused(char: str) -> None:
    assert hidden_characters_reason(f"Do not{char} drive.") == (
        f"contains U+{ord(char):04X} {unicodedata.name(char)}, which is invisible and can hide text on paper")
    assert problems("Do not drive.", f"Nicht{char} fahren.") == [hidden_characters_reason(f"Do not{char} drive.")]


def test_a_line_separator_inside_a_translation_is_refused() -> None:
    assert problems("Do not drive.", "Nicht\u2028fahren.") == [
        "contains U+2028 LINE SEPARATOR, which breaks the line on paper"]


def test_joiners_and_soft_hyphens_that_languages_need_stay_allowed() -> None:
    for text in ("می\u200cخواهم",                # Persian: ZWNJ in a verb prefix
                 "क्\u200dष",                      # Hindi: ZWJ for a half form
                 "র\u200d্যাব",                   # Bengali: ZWJ for ya-phala
                 "ദിവസങ്ങള്\u200d",             # Malayalam: chillu with ZWJ
                 "Schwanger\u00adschaft",          # a soft hyphen inside a word
                 "\U0001f469\u200d\u2695\ufe0f",   # an emoji ZWJ sequence with VS16
                 "\u845b\U000e0100"):              # a CJK ideographic variation sequence
        assert hidden_characters(text) == "", text
        assert control_characters_reason(text) is None


def test_a_variation_selector_after_a_digit_or_repeated_is_refused() -> None:
    assert hidden_characters("Take 1\ufe0f2 tablets.") == "\ufe0f"
    assert hidden_characters("\u2764\ufe0f\ufe0f") == "\ufe0f"
    assert hidden_characters("\u2764\ufe0f") == ""


def test_control_and_hidden_characters_are_reported_together() -> None:
    assert control_characters_reason("a\x07b\u202ec") == (
        "contains control characters U+0007; contains U+202E RIGHT-TO-LEFT OVERRIDE, which can reorder text on paper")


def test_shipped_catalogs_pass_the_character_and_number_checks() -> None:
    from leafletgen.translate.catalogs import available_locales, offered_locales, read_catalog

    paths = sorted((ROOT / "locales").glob("*/LC_MESSAGES/*.po"))
    translated = available_locales(ROOT / "locales")[1:]  # English is the source: no catalogs
    offered = sum(len(offered_locales(ROOT / "locales", p.stem)) - 1 for p in (ROOT / "leaflets").glob("*.yaml"))
    assert len(paths) == offered + len(translated)  # and each locale's templates.po
    for path in paths:
        locale = path.parent.parent.name
        catalog = read_catalog(path)
        assert check_catalog(catalog, locale=locale, domain=path.stem) == [], path
        for message in (m for m in catalog if m.id):
            for text in (message.id, message.string):
                for one in (text,) if isinstance(text, str) else text:
                    assert control_characters_reason(one) is None, (path, message.context)


def test_a_template_translation_the_renderer_cannot_format_is_refused() -> None:
    source = "Brand names include: %(brands)s"
    assert check_translation(source, "Handelsnamen: %(brands)s", locale="de", formatted=True) == []
    assert check_translation(source, "Handelsnamen: %(brands)s 100 %%", locale="de", formatted=True) == [
        ("error", "numbers differ from the source (unexpected 100)")]
    found = check_translation(source, "Handelsnamen: %(brands)s %", locale="de", formatted=True)
    assert found == [("error", "the renderer cannot format this translation: write a percent sign as '%%' "
                               "and keep placeholders like %(name)s as they are")]
    assert check_translation("Take it.", "Nehmen Sie es %", locale="de") == [
        ("warning", "ends with no punctuation, the source with full stop")]  # leaflet texts are not formatted


def test_identical_safety_text_is_flagged_even_with_other_spacing_but_not_a_bare_number_and_unit() -> None:
    english = "Take warfarin once a day."
    assert check_translation(english, "Take\u00a0warfarin once  a day.", locale="de", critical=True) == [
        ("warning", "safety-critical text is identical to the English source")]
    assert check_translation("0.5 mg", "0.5 mg", locale="hi", critical=True) == []
    assert check_translation("INR", "INR", locale="ru", critical=True) == []
