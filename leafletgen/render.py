"""Translated leaflet -> HTML, through the Jinja2 templates in ``templates/``.

The template context is built in one function (:func:`page_context`); templates only
display. Every text from leaflets and catalogs is HTML-escaped; the only markup a
text may carry is ``**bold**``, turned into ``<strong>`` after escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from .catalogs import now
from .errors import Problem, RenderError
from .locales import LocaleInfo
from .localize import TemplateStrings
from .model import Leaflet, Text

TEMPLATE = "leaflet.html.j2"
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class RenderOptions:
    paper: str = "a4"
    draft: bool = False


@dataclass(frozen=True)
class PageContext:
    """Everything the template shows; built by :func:`page_context`."""

    leaflet: Leaflet
    locale: LocaleInfo
    options: RenderOptions
    reviewed: bool
    title: str
    page_size: str
    font_stack: Markup
    footer_start: Markup
    footer_end: Markup
    draft_mark: Markup
    created: str = ""
    pharmacy: object | None = None


def inline(text: Text) -> Markup:
    """A leaflet text as HTML: escaped, ``**bold**`` as <strong>, fallbacks marked."""
    html = Markup(_BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", str(escape(text.text))))
    if text.fallback_lang:
        return Markup('<mark class="untranslated" lang="{}">{}</mark>').format(text.fallback_lang, html)
    return html


def css_string(value: str) -> str:
    """A CSS string literal, safe inside a <style> element."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    return f'"{escaped}"'


def css_content(template: str, values: dict[str, str]) -> Markup:
    """A translated string with %(name)s placeholders as a CSS ``content`` value.

    ``values`` are CSS expressions (``counter(page)``) or already-quoted strings.
    """
    out = []
    for i, part in enumerate(_PLACEHOLDER.split(template)):
        if i % 2:
            out.append(values.get(part, css_string(f"%({part})s")))
        elif part:
            out.append(css_string(part))
    return Markup(" ".join(out) or '""')


def page_context(leaflet: Leaflet, locale: LocaleInfo, strings: TemplateStrings, *,
                 reviewed: bool, options: RenderOptions) -> PageContext:
    """Build the typed template context for one translated leaflet."""
    pgettext = strings.raw  # extracted into the templates domain with the templates' strings
    revision = pgettext("footer.revision", "Revision %(revision)s, %(date)s") % {
        "revision": locale.format_number(leaflet.meta.revision),
        "date": locale.format_date(leaflet.meta.revision_date),
    }
    page = css_content(pgettext("footer.page", "Page %(page)s of %(pages)s"),
                       {"page": "counter(page)", "pages": "counter(pages)"})
    meta = Markup(css_string(f"{locale.name} · {revision}"))
    title = leaflet.title.text
    if options.draft:
        title = pgettext("draft.title", "DRAFT: %(title)s") % {"title": title}
    rtl = locale.direction == "rtl"
    return PageContext(
        leaflet=leaflet, locale=locale, options=options, reviewed=reviewed, title=title,
        page_size=PAPER_SIZES[options.paper],
        font_stack=Markup(", ".join(css_string(f) for f in locale.fonts)),
        footer_start=page if rtl else meta,
        footer_end=meta if rtl else page,
        created=now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        draft_mark=Markup(css_string(pgettext("draft.mark", "DRAFT – not for patients")) if options.draft else ""),
    )


@cache
def environment(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inline"] = inline
    return env


def render_html(templates_dir: Path, context: PageContext, strings: TemplateStrings) -> str:
    """Render the leaflet template; template problems become a :class:`RenderError`."""
    env = environment(templates_dir)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        strings.gettext, strings.ngettext, newstyle=True, pgettext=strings.pgettext)
    try:
        template = env.get_template(TEMPLATE)
        return template.render(ctx=context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(Problem(str(templates_dir / (exc.name or TEMPLATE)), f"line {exc.lineno}",
                                  f"template syntax error: {exc.message}")) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(Problem(str(templates_dir / str(exc.name)), "", "template not found")) from None
    except jinja2.TemplateError as exc:
        raise RenderError(Problem(str(templates_dir / TEMPLATE), "", f"template error: {exc}")) from None


__all__ = ["PageContext", "RenderOptions", "css_content", "inline", "page_context", "render_html"]
