"""The HTML handed to WeasyPrint: language, direction, title, headings, lists, warnings, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from itertools import pairwise

from leafletgen.content.blocks import Bullets, Steps, WarningBox
from leafletgen.content.model import Leaflet, Text, map_texts
from leafletgen.project import Project
from leafletgen.render.html import css_content, inline, leaflet_html
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN
from leafletgen.translate.snapshot import load_catalog


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def html_for(project: Project, leaflet: Leaflet, locale: str = "en", **options: object) -> str:
    return leaflet_html(project, leaflet, locale, RenderOptions(**options),  # type: ignore[arg-type]
                        load_catalog(project, locale, leaflet.id), load_catalog(project, locale, TEMPLATES_DOMAIN))


def test_html_declares_language_direction_and_title(project: Project, leaflet: Leaflet) -> None:
    html = html_for(project, leaflet)
    assert '<html lang="en" dir="ltr" class="">' in html
    assert "<title>Isotretinoin 20 mg capsules</title>" in html


def test_rtl_locale_gets_dir_rtl(project: Project, leaflet: Leaflet) -> None:
    html = html_for(project, leaflet, "ar")
    assert '<html lang="ar" dir="rtl" class="">' in html


def test_headings_start_at_h1_and_skip_no_level(project: Project, leaflet: Leaflet) -> None:
    parser = _Outline()
    parser.feed(html_for(project, leaflet))
    levels = [int(tag[1]) for tag, _ in parser.tags if re.fullmatch(r"h[1-6]", tag)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels))
    assert levels.count(2) == len(leaflet.sections) + 1  # key warning + each section


def test_lists_are_real_lists(project: Project, leaflet: Leaflet) -> None:
    parser = _Outline()
    parser.feed(html_for(project, leaflet))
    tags = [t for t, _ in parser.tags]
    blocks = [b for s in (leaflet.key_warning, *leaflet.sections) for b in s.blocks]
    lists = [b for b in blocks if isinstance(b, Bullets | Steps | WarningBox)]
    assert tags.count("ul") == sum(1 for b in lists if not isinstance(b, Steps)) >= 1
    assert tags.count("ol") == sum(1 for b in lists if isinstance(b, Steps))
    assert tags.count("li") == sum(len(b.items) for b in lists)


def test_key_warning_comes_first_and_is_boxed(project: Project, leaflet: Leaflet) -> None:
    html = html_for(project, leaflet)
    assert html.index('class="key-warning"') < html.index(f'id="{leaflet.sections[0].id}-en"')


def test_every_safety_critical_string_is_in_the_html(project: Project, leaflet: Leaflet) -> None:
    html = html_for(project, leaflet)
    for text, critical in leaflet.texts():
        if critical:
            assert str(inline(text)) in html, text.id


def test_text_is_escaped_and_only_bold_markup_is_interpreted(project: Project, leaflet: Leaflet) -> None:
    evil = '<script>alert(1)</script> <img src="file:///etc/passwd"> **bold**'
    hostile = map_texts(leaflet, lambda t: Text(t.id, evil) if t.id == "title" else t)
    html = html_for(project, hostile)
    assert "<script>alert" not in html and '<img src="file:///etc/passwd">' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>bold</strong>" in html


def test_footer_translation_becomes_safe_css() -> None:
    css = css_content('Seite %(page)s von %(pages)s "</style>', {"page": "counter(page)", "pages": "counter(pages)"})
    assert str(css) == '"Seite " counter(page) " von " counter(pages) " \\"\\3c /style>"'


def test_letter_paper_sets_the_page_size(project: Project, leaflet: Leaflet) -> None:
    assert "size: letter" in html_for(project, leaflet, paper="letter")
    assert "size: A4" in html_for(project, leaflet)


def test_large_print_sets_the_large_print_class(project: Project, leaflet: Leaflet) -> None:
    assert 'class="large-print"' in html_for(project, leaflet, large_print=True)


def test_bilingual_document_has_a_second_part_with_its_own_language_and_direction(
        project: Project, leaflet: Leaflet) -> None:
    html = html_for(project, leaflet, "ar", with_locale="en")
    first, second = html.index('<article class="part" lang="ar" dir="rtl"'), html.index(
        '<article class="part second-part" lang="en" dir="ltr"')
    assert first < second
    assert html.count("<h1>") == 2
