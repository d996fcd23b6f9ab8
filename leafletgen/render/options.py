"""Render options: what a reader can choose about a PDF, declared once.

Each user-facing option is declared once, on its :class:`RenderOptions` field, with
:func:`option`: its kind, default, choices, help text, order-page label and its name on
each surface. Everything that offers options is generated from :data:`OPTIONS` and names
none of them: the CLI's ``build`` arguments (cli/main.py, defaults from the pharmacy
profile in cli/commands.py), the API's query parameters, JSON ``options`` and order form
(serve/app.py, which also gives the OpenAPI docs), and the order page's controls
(templates/web/order.html.j2). See docs/contributing.md, "Adding a render option".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

if TYPE_CHECKING:  # only an annotation here: the CLI's parser imports this module, and stays fast
    from leafletgen.content.pharmacy import Pharmacy

#: How an option is asked for and checked on every surface:
#: ``choice`` one of fixed values (CLI choices, API enum, radio buttons);
#: ``flag`` on or off (CLI switch, API boolean, checkbox);
#: ``locale`` a locale code or none (CLI ``CODE``, 'none' switches off; API string, checked
#: against the known locales by the server; a select of the ready locales on the order page).
Kind = Literal["choice", "flag", "locale"]
Surface = Literal["cli", "api", "form"]
#: The longest locale code a request may send.
LOCALE_MAX_LENGTH = 16
_T = TypeVar("_T")
_DECLARATION = "leafletgen.render_option"


class Paper(NamedTuple):
    css: str     # the CSS page size
    label: str   # the order page's name for it


#: The papers, by the name the user types (CLI, API, profile). The one list of papers.
PAPERS = {"a4": Paper("A4", "A4"), "letter": Paper("letter", "US Letter")}
#: Paper name -> CSS page size.
PAPER_SIZES = {name: paper.css for name, paper in PAPERS.items()}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Option:
    """One user-facing render option, as declared with :func:`option` on its field."""

    name: str                      # the RenderOptions field (the Python name everywhere)
    kind: Kind
    default: str | bool | None
    help: str                      # CLI --help and the OpenAPI description
    label: str                     # on the order page; the OpenAPI title
    cli: str | None                # the command-line flag; None: not on the command line
    api: str | None                # query parameter and JSON field; None: not in the API
    form: str | None               # the order form's field; None: not on the order page
    choices: tuple[Choice, ...] = ()
    profile: str | None = None     # the pharmacy-profile field that is the CLI's default
    heading: str = ""              # order page: a heading above a flag's checkbox
    hint: str = ""                 # order page: a line of help under the control
    #: Its part of the output file name when it differs from the default ("{value}" is replaced),
    #: so PDFs made with different options never overwrite each other.
    suffix: str = ""

    def name_part(self, value: object) -> str:
        if value == self.default or value is None or value is False:
            return ""
        return self.suffix.replace("{value}", str(value))

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def on(self, surface: Surface) -> str | None:
        """This option's name on ``surface``, None if it is not offered there."""
        name: str | None = getattr(self, surface)
        return name


def option(default: _T, *, kind: Kind, help: str, label: str = "", choices: tuple[Choice, ...] = (),
           cli: str | bool = True, api: str | bool = True, form: str | bool = True, profile: str | None = None,
           heading: str = "", hint: str = "", suffix: str = "") -> _T:
    """Declare a RenderOptions field as a user-facing option.

    ``cli``, ``api``, ``form``: True for the name derived from the field (``--large-print``,
    ``large_print``, the API name), a string for another name, False if not offered there.
    """
    declared = {"kind": kind, "help": help, "label": label, "choices": choices, "cli": cli, "api": api,
                "form": form, "profile": profile, "heading": heading, "hint": hint, "suffix": suffix}
    return dataclasses.field(default=default, metadata={_DECLARATION: declared})


@dataclass(frozen=True)
class RenderOptions:
    """Everything about a PDF that is not its content; part of the build key."""

    # In the order of the output file name: <leaflet>.<locale>[+<second>][.large][.letter][.draft].pdf
    with_locale: str | None = option(      # second language of a bilingual handout
        None, kind="locale", cli="--with", api="with", form="second", profile="second_language",
        label="Second language on the same handout", suffix="+{value}",
        hint="For example the patient's language with English for the pharmacist.",
        help="bilingual handout: add the leaflet in this second language after the patient's")
    large_print: bool = option(
        False, kind="flag", heading="Size", label="Large print (16 pt)", suffix=".large",
        help="large print: body text 16 pt, headings larger, same content reflowed")
    paper: str = option(
        "a4", kind="choice", choices=tuple(Choice(name, paper.label) for name, paper in PAPERS.items()),
        profile="paper", label="Paper", help="paper size", suffix=".{value}")
    # CLI only: a translator's preview, never for patients, so neither the API nor the order page offers it.
    draft: bool = option(
        False, kind="flag", api=False, form=False, suffix=".draft",
        help="translator preview: render any locale, untranslated text in English and highlighted, "
             "every page marked DRAFT; written as <leaflet>.<locale>.draft.pdf")
    show_ids: bool = option(
        False, kind="flag", api=False, form=False, suffix=".ids",
        help="with --draft: print each message's id (its msgctxt) beside its text, to find it in the catalog")
    # Not a declared option: the CLI reads it from a profile file (--pharmacy FILE.yaml), the API
    # and the order page from the order's clinic details.
    pharmacy: Pharmacy | None = None


def _declared() -> tuple[Option, ...]:
    options = []
    for field in dataclasses.fields(RenderOptions):
        if _DECLARATION not in field.metadata:
            continue
        declared: dict[str, Any] = dict(field.metadata[_DECLARATION])
        names = {"cli": "--" + field.name.replace("_", "-"), "api": field.name}
        names["form"] = declared["api"] if isinstance(declared["api"], str) else field.name
        for surface in ("cli", "api", "form"):
            value = declared[surface]
            declared[surface] = names[surface] if value is True else value or None
        spec = Option(name=field.name, default=field.default, **declared)  # type: ignore[arg-type]
        if spec.kind == "choice" and spec.default not in spec.values:
            raise ValueError(f"render option {spec.name}: default {spec.default!r} is not one of its choices")
        if spec.kind == "flag" and not isinstance(spec.default, bool):
            raise ValueError(f"render option {spec.name}: a flag's default must be True or False")
        if spec.form and not (spec.api and spec.label):  # the form is validated as the API is
            raise ValueError(f"render option {spec.name}: on the order page it needs an API name and a label")
        options.append(spec)
    return tuple(options)


#: Every user-facing render option, in field order (the order of the CLI help and the order page).
OPTIONS = _declared()


def options_for(surface: Surface) -> tuple[Option, ...]:
    """The declared options offered on ``surface``."""
    return tuple(spec for spec in OPTIONS if spec.on(surface))


def for_locale(options: RenderOptions, locale: str) -> RenderOptions:
    """The options as they apply to ``locale``: a second language equal to the first is no second language."""
    if options.with_locale == locale:
        return dataclasses.replace(options, with_locale=None)
    return options
