"""The locale record (leafletgen/scripts.toml): fonts, line heights, render cost and sentence marks
per script are data, read and checked once; every shipped locale has a record."""

from __future__ import annotations

import pytest

import leafletgen.scripts as scripts
from leafletgen.render.html import Part, writing_css
from leafletgen.render.locales import locale_info
from leafletgen.scripts import LocaleDataError, sentence_marks, writing_for
from leafletgen.translate.checks import check_translation

from conftest import all_locales


@pytest.mark.parametrize("locale", all_locales())
def test_every_shipped_locale_has_fonts_from_the_record(locale: str) -> None:
    info = locale_info(locale)
    assert info.fonts and info.fonts == info.writing.fonts
    assert "Noto Sans" in info.fonts  # Latin brand names and digits in every script


def test_a_language_overrides_its_script_only_where_it_says() -> None:
    arabic, urdu = writing_for("Arab", "ar"), writing_for("Arab", "ur")
    assert arabic is not None and urdu is not None
    assert urdu.fonts[0] == "Noto Nastaliq Urdu" and arabic.fonts[0] == "Noto Naskh Arabic"
    assert urdu.line_height and arabic.line_height is None
    assert urdu.marks == arabic.marks  # Urdu's "۔" and "؟" come from the Arabic script's record
    assert writing_for("Tibt", "bo") is None  # unknown: the locale cannot be set, and says so


def test_every_scripts_sentence_marks_count_as_their_kind() -> None:
    marks = sentence_marks()
    assert {marks[m] for m in ".。।۔．"} == {"full stop"}
    assert {marks[m] for m in "?？؟"} == {"question mark"}
    assert check_translation("Do not drive.", "गाड़ी न चलाएँ।", locale="hi") == []
    assert check_translation("Can I drink?", "我可以喝酒吗。", locale="zh_CN") == [
        ("warning", "ends with full stop, the source with question mark")]


def _read_record_from(monkeypatch: pytest.MonkeyPatch, toml: str) -> None:
    """scripts.py reads ``toml`` as its scripts.toml (clear its caches around the use)."""
    class Fake:
        def joinpath(self, name: str) -> Fake:
            return self

        def read_text(self, encoding: str) -> str:
            return toml

    monkeypatch.setattr(scripts, "files", lambda package: Fake())


@pytest.mark.parametrize(("toml", "message"), [
    ("[script.Latn]\nfont = ['Noto Sans']\n", "scripts.toml [script.Latn]: unknown key(s) font"),
    ("[script.Latn]\nfonts = []\n", "scripts.toml [script.Latn] fonts: must be a list of non-empty strings"),
    ("[script.Latn]\nfonts = ['Noto Sans']\nline_height = 'tall'\n",
     "scripts.toml [script.Latn] line_height: must be a number from 0.8 to 4"),
    ("[script.Latn]\nfonts = ['Noto Sans']\nrender_cost = 0\n",
     "scripts.toml [script.Latn] render_cost: must be a whole number from 1 to 10"),
    ("[script.Latn]\nline_height = 1.5\n", "scripts.toml [script.Latn]: fonts is required"),
    ("[scripts.Latn]\nfonts = ['Noto Sans']\n", "scripts.toml: unknown table(s) scripts"),
    ("[language.ur]\nfonts = ['A']\nfull_stops = ['x']\n", "scripts.toml [language.ur]: unknown key(s) full_stops"),
])
def test_a_malformed_record_is_refused_with_its_table_and_key(monkeypatch: pytest.MonkeyPatch, toml: str,
                                                              message: str) -> None:
    _read_record_from(monkeypatch, toml)
    scripts._record.cache_clear()
    try:
        with pytest.raises(LocaleDataError) as info:
            scripts._record()
        assert str(info.value).startswith(message)
    finally:
        scripts._record.cache_clear()
        sentence_marks.cache_clear()


def test_line_heights_are_scoped_to_the_part_whose_script_needs_them() -> None:
    def part(code: str) -> Part:
        return Part(leaflet=None, locale=locale_info(code), strings=None, reviewed=False,  # type: ignore[arg-type]
                    draft=False, pharmacy=None, first=True)

    assert writing_css([part("en"), part("de")]) == ""
    css = writing_css([part("en"), part("ur")])
    assert '.part[lang="ur"] { line-height: 2.3; }' in css
    assert '.part[lang="en"]' not in css


def test_digits_named_for_a_script_apply_to_its_languages_unless_a_language_names_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    toml = ("[script.Deva]\nfonts = ['Noto Sans Devanagari']\ndigits = 'deva'\n"
            "[script.Latn]\nfonts = ['Noto Sans']\n[language.mr]\ndigits = 'latn'\n")

    _read_record_from(monkeypatch, toml)
    scripts._record.cache_clear()
    scripts.numbering_system.cache_clear()
    try:
        assert (scripts.numbering_system("hi"), scripts.numbering_system("mr")) == ("deva", "latn")
        assert scripts.numbering_system("de") == "latn"
    finally:
        scripts._record.cache_clear()
        scripts.numbering_system.cache_clear()
        sentence_marks.cache_clear()
