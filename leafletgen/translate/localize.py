"""Apply catalogs: a translated copy of the leaflet model and the templates' gettext.

Lookup is by msgctxt (the string id) *and* the current English text, so a
translation made for older English never appears. Only drafts fall back to English,
and they mark every such text so the template can highlight it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from gettext import c2py

from babel.messages.catalog import Catalog
from markupsafe import Markup, escape

from leafletgen.content.model import Leaflet, Text, map_texts
from leafletgen.translate.catalogs import SOURCE_LOCALE
from leafletgen.translate.checks import by_context


def translate_leaflet(leaflet: Leaflet, catalog: Catalog | None, *, draft: bool = False,
                      show_ids: bool = False) -> Leaflet:
    """The leaflet in the catalog's language; ``catalog=None`` means the English source.

    A draft shows what a translator needs in context: an untranslated text in English, a fuzzy
    one (or one made for older English) as the translator wrote it, each marked; ``show_ids``
    prints every text's id beside it.
    """
    if catalog is None:
        return map_texts(leaflet, lambda text: replace(text, show_id=True)) if draft and show_ids else leaflet
    index = by_context(catalog)

    def one(text: Text) -> Text:
        message = index.get(text.id)
        if message is not None and message.string and not message.fuzzy and message.id == text.text:
            return replace(text, text=str(message.string), show_id=draft and show_ids)
        if not draft:
            raise LookupError(f"no usable translation for {text.id}")  # the gate runs first
        if message is not None and isinstance(message.string, str) and message.string:
            return replace(text, text=message.string, draft_state="fuzzy", show_id=show_ids)
        return replace(text, fallback_lang=SOURCE_LOCALE, draft_state="untranslated", show_id=show_ids)

    return map_texts(leaflet, one)


@dataclass
class TemplateStrings:
    """``pgettext`` for the Jinja templates: translated text HTML-escaped, never trusted."""

    catalog: Catalog | None
    #: A draft marks what is not translated (shown in English) or fuzzy (shown as written).
    draft: bool = False
    show_ids: bool = False

    def __post_init__(self) -> None:
        self._index = by_context(self.catalog)

    def raw(self, context: str, message: str) -> str:
        found = self._index.get(context)
        if found is not None and found.string and not found.fuzzy and found.id == message:
            return str(found.string)
        return message

    def pgettext(self, context: str, message: str) -> Markup:
        # Jinja's newstyle gettext wraps the result in Markup and %-formats it with
        # escaped variables; escaping here keeps translator text from becoming HTML.
        text = escape(self.raw(context, message))
        if not self.draft or self.catalog is None:
            return text
        found = self._index.get(context)
        ident = Markup('<span class="msgid">{}</span> ').format(context) if self.show_ids else Markup()
        written = found is not None and isinstance(found.string, str) and bool(found.string)
        if written and found is not None and (found.fuzzy or found.id != message):
            return ident + Markup('<mark class="fuzzy">{}</mark>').format(found.string)
        if text == escape(message) and not (found is not None and found.string):
            return ident + Markup('<mark class="untranslated" lang="{}">{}</mark>').format(SOURCE_LOCALE, text)
        return ident + text

    def gettext(self, message: str) -> Markup:
        return escape(message)

    def ngettext(self, singular: str, plural: str, n: int) -> Markup:
        """Plural forms chosen by the catalog's own Plural-Forms expression (CLDR rules at `init`)."""
        found = self.catalog.get((singular, plural)) if self.catalog is not None else None
        if found is not None and not found.fuzzy and isinstance(found.string, (list, tuple)) and all(found.string):
            index = c2py(self.catalog.plural_expr)(n)  # type: ignore[union-attr]
            return escape(found.string[min(index, len(found.string) - 1)])
        return escape(singular if n == 1 else plural)
