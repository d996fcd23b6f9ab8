"""Per-message translation checks: numbers by value, markup, placeholders, punctuation, empty."""

from __future__ import annotations

from leafletgen.checks import check_translation, numbers


def problems(source: str, translation: str, locale: str = "de", critical: bool = False) -> list[str]:
    return [p for _, p in check_translation(source, translation, locale=locale, critical=critical)]


def test_a_changed_number_is_an_error() -> None:
    found = check_translation("Wait 1 month after you stop.", "Warten Sie 2 Monate nach dem Ende.", locale="de")
    assert found == [("error", "numbers differ from the source (missing 1; unexpected 2)")]


def test_numbers_in_the_locale_digits_compare_by_value() -> None:
    assert numbers("१२ वर्ष, ২০ mg, ٢٤ أسبوعًا") == numbers("12 years, 20 mg, 24 weeks")
    assert problems("Take 20 mg.", "२० mg लें।", locale="hi") == []


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
    from babel.messages.catalog import Catalog

    from leafletgen.localize import TemplateStrings

    catalog = Catalog(locale="ru")
    catalog.add(("%(n)s page", "%(n)s pages"), ["%(n)s страница", "%(n)s страницы", "%(n)s страниц"])
    strings = TemplateStrings(catalog)
    assert [str(strings.ngettext("%(n)s page", "%(n)s pages", n)) for n in (1, 3, 5, 21)] == [
        "%(n)s страница", "%(n)s страницы", "%(n)s страниц", "%(n)s страница"]
