"""Translated leaflet(s) -> HTML, through the Jinja2 templates in ``templates/``.

A document has one or two *parts*: the leaflet in the patient's language and,
for a bilingual handout, the same leaflet in a second language. Each part is
rendered by ``part.html.j2`` with its own language's template strings, then
``leaflet.html.j2`` wraps the parts. The template contexts are built here
(:func:`document_context`, :class:`Part`); templates only display.

Every text from leaflets, catalogs and the pharmacy profile is HTML-escaped; the
only markup a text may carry is ``**bold**``, turned into ``<strong>`` after escaping.

Each block is shown by its kind's template, ``blocks/<kind>.html.j2``, chosen by the kind's
name in the registry (content/blocks.py); templates without one for every registered kind
are refused when they are loaded (:func:`check_block_templates`), so no kind is ever left out.
"""

from __future__ import annotations

import base64
import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from leafletgen.content.blocks import FIGURE_TYPES, REGISTRY, kind_of
from leafletgen.content.model import Block, Leaflet, Text
from leafletgen.content.pharmacy import Pharmacy
from leafletgen.errors import Problem, RenderError
from leafletgen.project import Project
from leafletgen.render.fonts import check_coverage
from leafletgen.render.locales import LocaleInfo, locale_info
from leafletgen.render.options import PAPER_SIZES, RenderOptions
from leafletgen.runtime import now
from leafletgen.scripts import write_digits
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, LeafletCatalog, template_messages
from leafletgen.translate.gate import expected_messages
from leafletgen.translate.localize import TemplateStrings, translate_leaflet
from leafletgen.translate.review import unit_reviewed
from leafletgen.translate.snapshot import Snapshot, figure_data, figures, load_catalog

DOCUMENT_TEMPLATE = "leaflet.html.j2"
PART_TEMPLATE = "part.html.j2"
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Part:
    """One language part of a document: what ``part.html.j2`` shows."""

    leaflet: Leaflet
    locale: LocaleInfo
    strings: TemplateStrings
    reviewed: bool
    draft: bool
    pharmacy: Pharmacy | None
    first: bool
    #: Each figure's file as a data: URL, by its path: the bytes of the snapshot, not of the disk.
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def font_stack(self) -> Markup:
        return Markup(", ".join(css_string(f) for f in self.locale.fonts))


@dataclass(frozen=True)
class DocumentContext:
    """What ``leaflet.html.j2`` shows around the parts."""

    lang: str
    direction: str
    title: str
    description: str
    page_size: str
    font_stack: Markup
    large_print: bool
    draft: bool
    footer_start: Markup
    footer_end: Markup
    draft_mark: Markup
    created: str
    #: Line heights of the parts' scripts that need their own (the locale record, scripts.toml).
    writing_css: Markup = field(default_factory=Markup)


def inline(text: Text) -> Markup:
    """A leaflet text as HTML: escaped, ``**bold**`` as <strong>, fallbacks marked."""
    html = Markup(_BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", str(escape(text.text))))
    ident = Markup('<span class="msgid">{}</span> ').format(text.id) if text.show_id else Markup()
    if text.draft_state == "fuzzy":
        return ident + Markup('<mark class="fuzzy">{}</mark>').format(html)
    if text.fallback_lang:
        return ident + Markup('<mark class="untranslated" lang="{}">{}</mark>').format(text.fallback_lang, html)
    return ident + html


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


def document_context(parts: list[Part], options: RenderOptions) -> DocumentContext:
    """Build the typed context of the whole document; the first part sets its language."""
    first = parts[0]
    locale = first.locale
    pgettext = first.strings.raw  # extracted into the templates domain with the templates' strings
    revision = pgettext("footer.revision", "Revision %(revision)s, %(date)s") % {
        "revision": locale.format_number(first.leaflet.meta.revision),
        "date": locale.format_date(first.leaflet.meta.revision_date),
    }
    digits = counter_style(locale.digits)
    page = css_content(pgettext("footer.page", "Page %(page)s of %(pages)s"),
                       {"page": f"counter(page, {digits})", "pages": f"counter(pages, {digits})"})
    languages = " / ".join(p.locale.name for p in parts)
    meta = Markup(css_string(f"{languages} · {revision}"))
    title = first.leaflet.title.text.replace("**", "")
    if options.draft:
        title = pgettext("draft.title", "DRAFT: %(title)s") % {"title": title}
    rtl = locale.direction == "rtl"
    return DocumentContext(
        lang=locale.tag, direction=locale.direction, title=title,
        description=first.leaflet.subtitle.text.replace("**", ""),
        page_size=PAPER_SIZES[options.paper], font_stack=first.font_stack,
        large_print=options.large_print, draft=options.draft,
        footer_start=page if rtl else meta, footer_end=meta if rtl else page,
        draft_mark=Markup(css_string(pgettext("draft.mark", "DRAFT – not for patients")) if options.draft else ""),
        created=now().strftime("%Y-%m-%dT%H:%M:%SZ"), writing_css=writing_css(parts),
    )


def writing_css(parts: list[Part]) -> Markup:
    """CSS for each part whose script needs its own line heights, size or bullet (Nastaliq is tall,
    reads small, and its full stop looks like a dot), scoped to that part, so a bilingual handout
    sets each language its own way."""
    rules = []
    for part in parts:
        w, scope = part.locale.writing, f'.part[lang="{part.locale.tag}"]'
        for selectors, value in ((scope, w.line_height),
                                 (", ".join(f"{scope} {e}" for e in ("h1", "h2", "h3", "h4")), w.heading_line_height),
                                 (", ".join(f"{scope} {e}" for e in ("th", "td", "li")), w.cell_line_height)):
            if value is not None:
                rules.append(f"{selectors} {{ line-height: {value:g}; }}")
        if w.font_scale is not None:
            rules.append(f"{scope} {{ font-size: {w.font_scale * 100:g}%; }}")
        if w.bullet is not None:
            rules.append(f"{scope} ul {{ list-style-type: {css_string(w.bullet + ' ')}; }}")
        if part.locale.digits != "latn":  # numbered steps in the locale's own digits, as its text and footer
            style = counter_style(part.locale.digits)
            symbols = " ".join(css_string(digit) for digit in write_digits("0123456789", part.locale.digits))
            rules.insert(0, f"@counter-style {style} {{ system: numeric; symbols: {symbols}; }}")
            rules.append(f"{scope} ol {{ list-style-type: {style}; }}")
    return Markup("\n".join(dict.fromkeys(rules)))


def counter_style(digits: str) -> str:
    """The CSS counter style that writes numbers in a numbering system (writing_css defines it)."""
    return "decimal" if digits == "latn" else f"digits-{digits}"


def block_template(kind: str) -> str:
    """The template of a block kind, by its registry name (relative to the templates folder)."""
    return f"blocks/{kind}.html.j2"


def check_block_templates(templates_dir: Path, kinds: tuple[str, ...] | None = None) -> None:
    """A :class:`RenderError` naming each block kind (the registered ones, or ``kinds``) whose
    template is missing, one line each; nothing when every kind has its template."""
    missing = [kind for kind in (tuple(REGISTRY) if kinds is None else kinds)
               if not (templates_dir / block_template(kind)).is_file()]
    if missing:
        raise RenderError([Problem(f"{templates_dir.name}/{block_template(kind)}", "",
                                   f"block kind {kind!r} has no template") for kind in missing])


def _template_of(block: Block, templates_dir: Path) -> str:
    """``block_template(block)`` in the templates: the template of the block's kind."""
    try:
        return block_template(kind_of(block).name)
    except TypeError as exc:  # a block of no registered kind: never skipped in silence
        raise RenderError(Problem(f"{templates_dir.name}/{PART_TEMPLATE}", "", str(exc))) from None


@cache
def environment(templates_dir: Path, kinds: tuple[str, ...] | None = None) -> jinja2.Environment:
    """The Jinja environment of a templates folder, or a RenderError naming every block kind (of
    ``kinds``, the registered ones by default) with no template. Rendering passes the kinds
    registered now, so a kind registered later (a test's) is checked too; a refusal is not cached."""
    check_block_templates(templates_dir, kinds)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inline"] = inline
    env.globals["block_template"] = lambda block: _template_of(block, templates_dir)
    env.globals["bidi_ltr"] = lambda value: isolate(value, "ltr")
    env.globals["bidi_auto"] = lambda value: isolate(value, first_strong_direction(value))
    return env


def first_strong_direction(text: str) -> str:
    """The direction of the first strongly directional character (Unicode bidi rule P2)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def isolate(value: str, direction: str) -> Markup:
    """Text isolated from the surrounding direction, e.g. a Latin address in an Arabic leaflet.

    WeasyPrint does not resolve ``dir="auto"``, so the direction is decided here.
    """
    return Markup('<bdi dir="{}">{}</bdi>').format(direction, value)


class _BestEffortBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache raises when it cannot write (a full disk); a cache must only ever cost time."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (Jinja checks the source, so edits are never stale)."""
    from leafletgen.files import cache_dir

    folder = cache_dir() / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BestEffortBytecodeCache(str(folder))


def render_part(templates_dir: Path, part: Part) -> Markup:
    """One language part as an HTML fragment, with that language's template strings."""
    return Markup(_render(templates_dir, PART_TEMPLATE, part.strings, part=part))


def render_document(templates_dir: Path, doc: DocumentContext, fragments: list[Markup],
                    strings: TemplateStrings) -> str:
    return _render(templates_dir, DOCUMENT_TEMPLATE, strings, doc=doc, parts=fragments)


def _render(templates_dir: Path, name: str, strings: TemplateStrings, **context: object) -> str:
    """Render a template; template problems become a :class:`RenderError` naming file and line."""
    env = environment(templates_dir, tuple(REGISTRY))

    def shown(template: str) -> str:
        return f"{templates_dir.name}/{template}"

    try:
        return env.get_template(name).render(**_gettext(strings), **context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(Problem(shown(exc.name or name), f"line {exc.lineno}",
                                  f"template syntax error: {exc.message}")) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(Problem(shown(str(exc.name)), "", "template not found")) from None
    except jinja2.TemplateError as exc:
        template, line = _template_frame(exc, templates_dir)
        raise RenderError(Problem(shown(template or name), f"line {line}" if line else "",
                                  f"template error: {exc}")) from None


def _gettext(strings: TemplateStrings) -> dict[str, Callable[..., Markup]]:
    """This language's gettext functions, passed with each render (the environment is shared by
    every language, so nothing language-specific is installed in it). They behave as Jinja's
    "newstyle" gettext: the translation is escaped, then formatted with escaped variables."""
    def gettext(message: str, **variables: object) -> Markup:
        return strings.gettext(message) % variables

    def pgettext(context: str, message: str, **variables: object) -> Markup:
        return strings.pgettext(context, message) % variables

    def ngettext(singular: str, plural: str, n: int, **variables: object) -> Markup:
        return strings.ngettext(singular, plural, n) % {"num": n, **variables}

    return {"gettext": gettext, "_": gettext, "pgettext": pgettext, "ngettext": ngettext}


def _template_frame(exc: BaseException, templates_dir: Path) -> tuple[str | None, int | None]:
    """The template and line where a runtime template error happened (Jinja maps frames to templates)."""
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.is_relative_to(templates_dir):
            return path.relative_to(templates_dir).as_posix(), frame.lineno
    return None, None


__all__ = ["DocumentContext", "Part", "RenderOptions", "block_template", "check_block_templates", "css_content",
           "document_context", "inline", "render_document", "render_part"]


def leaflet_html(source: Project | Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions,
                 catalog: LeafletCatalog | None, strings: LeafletCatalog | None) -> str:
    """The HTML for one leaflet (in one or two languages), every character checked against the fonts."""
    snapshot = Snapshot.of(source)
    project = snapshot.project
    parts = [_part(snapshot, leaflet, locale, catalog, strings, options, first=True)]
    if options.with_locale:
        second = options.with_locale
        parts.append(_part(snapshot, leaflet, second, load_catalog(snapshot, second, leaflet.id),
                           load_catalog(snapshot, second, TEMPLATES_DOMAIN), options, first=False))
    fragments = []
    for part in parts:
        fragment = render_part(project.templates_dir, part)
        check_coverage(fragment, part.locale.fonts, name=f"{leaflet.id} {part.locale.code}",
                       sources=((t.id, t.text) for t, _ in part.leaflet.texts()))
        fragments.append(fragment)
    html = render_document(project.templates_dir, document_context(parts, options), fragments, parts[0].strings)
    check_coverage(html, [f for part in parts for f in part.locale.fonts], name=f"{leaflet.id} {locale}")
    return html


def _part(snapshot: Snapshot, leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None,
          strings: LeafletCatalog | None, options: RenderOptions, *, first: bool) -> Part:
    return Part(
        leaflet=translate_leaflet(leaflet, catalog, draft=options.draft, show_ids=options.show_ids),
        locale=locale_info(locale), strings=TemplateStrings(strings, draft=options.draft, show_ids=options.show_ids),
        draft=options.draft, pharmacy=options.pharmacy, first=first,
        reviewed=reviewed(snapshot.project, leaflet, locale, catalog, strings),
        figures={f.image: data_url(f.image, figure_data(snapshot, f)) for f in figures(leaflet)})


def data_url(name: str, data: bytes) -> str:
    """The figure inline, so the PDF shows exactly the bytes the snapshot holds (and the engine
    fetches no file for it)."""
    return f"data:{FIGURE_TYPES[Path(name).suffix]};base64,{base64.b64encode(data).decode('ascii')}"


def reviewed(project: Project, leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None,
             strings: LeafletCatalog | None) -> bool:
    """Whether a professional review covers every message this unit prints, as it reads now (review.py)."""
    return (unit_reviewed(project.locales_dir, locale, leaflet.id, catalog, expected_messages(leaflet))
            and unit_reviewed(project.locales_dir, locale, TEMPLATES_DOMAIN, strings, template_messages(project)))
