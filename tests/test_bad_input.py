"""Bad input, as a user meets it: one clear line per problem naming the file and the place,
the documented exit code, never a traceback, no PDF for the failed item, and earlier good
output left byte-for-byte untouched.

Every case runs the command line's ``main()`` (what ``python generate.py --project ...`` runs;
that entry point itself: test_cli.py) on a scratch copy of the project, in this process with
stdout and stderr captured, so an unexpected exception fails the case. Fast tier: every render
goes to the stand-in engine (conftest: the "PDF" is the HTML); what markup in a translation
does to the PDF itself is read back from a real one.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pikepdf
import pytest

import leafletgen.files
from leafletgen.build.runner import Report
from leafletgen.cli.main import main
from leafletgen.content.source import load_leaflet
from leafletgen.project import Project
from leafletgen.translate.poscan import NOT_A_PO_LINE
from leafletgen.translate.snapshot import figures

from conftest import (
    LEAFLET_ID,
    NEW_LOCALE,
    ROOT,
    copy_project,
    install_stand_in_engine,
    is_rendered_html,
    normalize,
    pdf_text,
    plain_text_ids,
)
from test_gate import LOCALE as COMPLETE_LOCALE
from test_gate import edit, make_complete_locale

SOURCE = f"leaflets/{LEAFLET_ID}.yaml"
SOURCE_TEXT = (ROOT / SOURCE).read_text(encoding="utf-8")
#: Section index by id in the fixture leaflet (problems name both).
SECTION = {section.id: i for i, section in enumerate(load_leaflet(ROOT / SOURCE).sections)}
DE_PO = f"locales/de/LC_MESSAGES/{LEAFLET_ID}.po"
DE_TEMPLATES_PO = "locales/de/LC_MESSAGES/templates.po"
TEMPLATE = "templates/leaflet.html.j2"


@pytest.fixture(autouse=True)
def _stand_in_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every build here renders with the stand-in engine, except in the tests marked pdf."""
    if request.node.get_closest_marker("pdf") is None:
        install_stand_in_engine(monkeypatch)
    yield


# -- helpers ------------------------------------------------------------------------------


def cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line as a user runs it (generate.py calls this main()), its output captured."""
    argv = ["--project", str(project.root), *args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def pdf_path(out: Path, locale: str) -> Path:
    return out / LEAFLET_ID / f"{LEAFLET_ID}.{locale}.pdf"


def pdfs(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf") if p.is_file()) if out.is_dir() else []


def leftovers(out: Path) -> list[str]:
    """Temporary files a failed write must not leave behind (``.<name>.XXXX.tmp``)."""
    return sorted(p.name for p in out.rglob("*.tmp")) if out.is_dir() else []


def _matched(actual: list[str], expected: list[str]) -> list[str]:
    """``actual``, where an expected line ending in '...' (a prefix) matched, replaced by that line."""
    return [
        e if e.endswith("...") and a.startswith(e[:-3]) else a
        for a, e in zip(actual, expected + [""] * len(actual), strict=False)
    ]


def assert_fails_cleanly(result: subprocess.CompletedProcess[str], code: int, stderr: list[str],
                         *, source_lines: bool = False) -> None:
    """Exit code and stderr exactly (a line ending in '...' is a prefix: the YAML parser's wording varies).

    ``source_lines``: each problem of a leaflet source must name its line ('x.yaml:57: ...'), and is
    compared without it (test_source.py tests the numbers themselves)."""
    shown = result.stderr.splitlines()
    if source_lines:
        unlocated = [line for line in shown if re.search(r"\.yaml: (?!\(top level\)|byte |file |line )", line)]
        assert unlocated == []
        shown = [re.sub(r"(\.yaml):\d+: ", r"\1: ", line) for line in shown]
    assert (result.returncode, _matched(shown, stderr)) == (code, stderr), result.stdout
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


def failed(locale: str, *problems: str) -> list[str]:
    """stderr of a build whose leaflet failed in ``locale``: a heading, then one indented line per problem."""
    return [f"failed   {LEAFLET_ID} {locale}", *(f"  {p}" for p in problems)]


def lineno(text: str, line: str, start: int = 1) -> int:
    """The 1-based number of the first line equal to ``line`` (from line ``start`` on)."""
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        if lines[number - 1] == line:
            return number
    raise AssertionError(f"{line!r} not found; the fixture data changed")


def replace(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, f"{old!r} not in the file; the fixture data changed"
    return text.replace(old, new, count)


@pytest.fixture()
def out(scratch: Project) -> Path:
    return scratch.root / "out"


@pytest.fixture(scope="module")
def _english_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder with the English leaflet built by the command line (with the stand-in engine)."""
    root = tmp_path_factory.mktemp("good-en")
    project = copy_project(root / "project")
    with pytest.MonkeyPatch.context() as patch:
        install_stand_in_engine(patch)
        assert cli(project, "build", "-L", "en", "-o", str(root / "out")).returncode == 0
    return root / "out"


@pytest.fixture()
def good_en(out: Path, _english_output: Path) -> bytes:
    """The English leaflet, built into ``out`` before anything is broken; returns its bytes.

    Built once for the module: build keys are project-relative, so a copy of that output is
    current for the scratch project too (the stand-in engine's: only what happens to it counts)."""
    shutil.copytree(_english_output, out)
    return pdf_path(out, "en").read_bytes()


def assert_only_good_en(out: Path, good_en: bytes) -> None:
    assert pdfs(out) == [f"{LEAFLET_ID}/{LEAFLET_ID}.en.pdf"]
    assert pdf_path(out, "en").read_bytes() == good_en
    assert leftovers(out) == []


# -- 1-7: the leaflet source ---------------------------------------------------------------

Edit = Callable[[str], str]


def _pad_over_one_megabyte(text: str) -> str:
    return text + "# " + "padding " * 140_000 + "\n"


SOURCE_CASES: list[tuple[str, Edit, list[str]]] = [
    (
        "malformed-yaml-unclosed-bracket",
        lambda t: replace(t, "  strength: 20 mg\n", "  strength: [20 mg\n"),
        [f"error: {SOURCE}: line {lineno(SOURCE_TEXT, '  strength: 20 mg') + 1}, column 14: invalid YAML: ..."],
    ),
    (
        "malformed-yaml-tab-indent",
        lambda t: replace(t, "  strength: 20 mg\n", "\tstrength: 20 mg\n"),
        [f"error: {SOURCE}: line {lineno(SOURCE_TEXT, '  strength: 20 mg')}, column 1: invalid YAML: ..."],
    ),
    (
        "malformed-yaml-not-utf8",
        lambda t: replace(t, 'text: "capsules"', 'text: "caps\udce9ules"'),
        [f"error: {SOURCE}: byte {{byte}}: not valid UTF-8"],
    ),
    ("empty-file", lambda t: "", [f"error: {SOURCE}: (top level): the file is empty"]),
    (
        "wrong-types",
        lambda t: replace(
            replace(
                replace(
                    re.sub(r"(?m)^  revision: \d+$", "  revision: first", t),
                    "  brands: []\n",
                    "  brands: Roaccutane\n",
                ),
                "    safety_critical: true\n",
                '    safety_critical: "true"\n',
            ),
            'text: "Information for the patient"',
            "text: [Information, for the patient]",
        ),
        [
            f"error: {SOURCE}: meta.brands: must be a list, got a string",
            f"error: {SOURCE}: meta.revision: must be a whole number of at least 1, got 'first'",
            f"error: {SOURCE}: subtitle.text: must be a string, got a list",
            f"error: {SOURCE}: sections[{SECTION['before']}] (before).safety_critical: "
            "must be true or false, got 'true'",
        ],
    ),
    (
        "wrong-type-sections-mapping",
        lambda t: replace(t, "\nsections:\n", "\nsections:\n  what: {}\nunused:\n").split("\nunused:\n")[0] + "\n",
        [f"error: {SOURCE}: sections: must be a list, got a mapping"],
    ),
    (
        "unknown-keys",
        lambda t: replace(
            replace(t, "format: 1\n", "format: 1\nauthor: me\n"),
            "    safety_critical: true\n",
            "    safety_critcal: true\n",
        ),
        [
            f"error: {SOURCE}: author: unknown key (allowed: format, id, meta, title, subtitle, key_warning, sections)",
            f"error: {SOURCE}: sections[{SECTION['before']}] (before).safety_critcal: unknown key "
            "(allowed: id, heading, blocks, safety_critical)",
        ],
    ),
    (
        "duplicate-string-id",
        lambda t: replace(t, "id: key.not-if-pregnant", "id: key.birth-defects"),
        [f"error: {SOURCE}: key_warning.blocks[1].bullets[1].id: duplicate id 'key.birth-defects' (first at line "
         f"{lineno(SOURCE_TEXT, '        - id: key.birth-defects')})"],
    ),
    (
        "duplicate-section-id",
        lambda t: replace(t, "  - id: how\n", "  - id: what\n"),
        [f"error: {SOURCE}: sections[{SECTION['how']}] (what).id: duplicate section id 'what'"],
    ),
    (
        "empty-texts",
        lambda t: replace(
            replace(t, 'text: "Information for the patient"', 'text: ""'), 'text: "capsules"', 'text: "   "'
        ),
        [
            f"error: {SOURCE}: meta.dosage_form.text: must not be empty",
            f"error: {SOURCE}: subtitle.text: must not be empty",
        ],
    ),
    (
        "no-safety-critical-section",
        lambda t: re.sub(r"(?m)^    safety_critical: true\n", "", t),
        [f"error: {SOURCE}: sections: no safety-critical section: mark the warnings with safety_critical: true"],
    ),
    (
        "safety-critical-false-everywhere",
        lambda t: re.sub(r"(?m)^    safety_critical: true$", "    safety_critical: false", t),
        [f"error: {SOURCE}: sections: no safety-critical section: mark the warnings with safety_critical: true"],
    ),
    (
        "huge-source-over-1-MB",
        _pad_over_one_megabyte,
        [f"error: {SOURCE}: file too large ({{size}} bytes, limit 1000000)"],
    ),
]


@pytest.mark.parametrize(("edit_source", "expected"), [c[1:] for c in SOURCE_CASES], ids=[c[0] for c in SOURCE_CASES])
def test_bad_leaflet_source(
    scratch: Project, out: Path, good_en: bytes, edit_source: Edit, expected: list[str]
) -> None:
    path = scratch.leaflets_dir / f"{LEAFLET_ID}.yaml"
    data = edit_source(path.read_text(encoding="utf-8")).encode("utf-8", "surrogateescape")
    path.write_bytes(data)
    bad_byte = data.find(b"\xe9")
    expected = [line.format(size=len(data), byte=bad_byte) for line in expected]
    result = cli(scratch, "build", "-L", "en", "-L", "de", "-o", str(out))
    # the build fails every unit of this leaflet with one report, and withdraws its earlier PDFs
    assert_fails_cleanly(result, 1, [f"failed   {LEAFLET_ID} (every locale)",
                                     *(f"  {line.removeprefix('error: ')}" for line in expected)], source_lines=True)
    assert pdfs(out) == []
    assert leftovers(out) == []
    assert good_en  # it was there before the source broke
    # validate names exactly the same problems
    assert_fails_cleanly(cli(scratch, "validate"), 1, expected, source_lines=True)


# -- 8-12: catalogs --------------------------------------------------------------------------

#: Each case edits locales/de/LC_MESSAGES/isotretinoin-20mg.po and returns the problem line;
#: line numbers are computed from the edited text, so the cases survive catalog updates.
PoCase = Callable[[str], tuple[bytes, str]]

_TITLE_MSGSTR = 'msgstr "Isotretinoin 20 mg Kapseln"'
_PLURAL_ENTRY = '\nmsgctxt "zz.plural"\nmsgid "%(n)s capsule"\nmsgid_plural "%(n)s capsules"\n{msgstrs}'


def _po_syntax_bare_msgstr(t: str) -> tuple[bytes, str]:
    t = replace(t, _TITLE_MSGSTR, "msgstr Isotretinoin 20 mg Kapseln")
    n = lineno(t, "msgstr Isotretinoin 20 mg Kapseln")
    return t.encode(), f"{DE_PO}: line {n}: invalid PO syntax: {NOT_A_PO_LINE}"


def _po_syntax_unterminated_string(t: str) -> tuple[bytes, str]:
    t = replace(t, _TITLE_MSGSTR, _TITLE_MSGSTR[:-1])
    n = lineno(t, _TITLE_MSGSTR[:-1])
    return t.encode(), f"{DE_PO}: line {n}: invalid PO syntax: {NOT_A_PO_LINE}"


def _po_syntax_misspelt_keyword(t: str) -> tuple[bytes, str]:
    bad = 'msgstrr "Isotretinoin 20 mg Kapseln"'
    t = replace(t, _TITLE_MSGSTR, bad)
    return t.encode(), f"{DE_PO}: line {lineno(t, bad)}: invalid PO syntax: {NOT_A_PO_LINE}"


def _po_charset_header(t: str) -> tuple[bytes, str]:
    t = replace(t, "charset=utf-8", "charset=ISO-8859-1")
    return t.encode(), f"{DE_PO}: header Content-Type: charset is 'iso-8859-1'; catalogs must be UTF-8"


def _po_saved_as_latin1(t: str) -> tuple[bytes, str]:
    t = replace(t, "charset=utf-8", "charset=ISO-8859-1")
    first = next(i for i, line in enumerate(t.splitlines(), start=1) if not line.isascii())
    return (t.encode("latin-1", "replace"), f"{DE_PO}: line {first}: not valid UTF-8; catalogs must be saved as UTF-8")


def _po_bom(t: str) -> tuple[bytes, str]:
    return (
        b"\xef\xbb\xbf" + t.encode(),
        f"{DE_PO}: line 1: starts with a byte order mark (BOM); save as UTF-8 without BOM",
    )


def _po_plural_formula_beyond_nplurals(t: str) -> tuple[bytes, str]:
    t = replace(t, "nplurals=2; plural=(n != 1);", "nplurals=2; plural=(n==1 ? 0 : n==2 ? 1 : 2);")
    return t.encode(), (f"{DE_PO}: header Plural-Forms: the plural formula gives form 2 for n=0, "
                        "but nplurals=2 allows forms 0 to 1")


def _po_charset_split_over_two_lines(t: str) -> tuple[bytes, str]:
    # gettext joins a header's quoted lines before reading it: this declares Latin-1
    t = replace(t, '"Content-Type: text/plain; charset=utf-8\\n"', '"Content-Type: text/plain; "\n"charset=latin-1\\n"')
    return t.encode(), f"{DE_PO}: header Content-Type: charset is 'latin-1'; catalogs must be UTF-8"


def _po_content_type_twice(t: str) -> tuple[bytes, str]:
    t = replace(t, '"Content-Type: text/plain; charset=utf-8\\n"',
                '"Content-Type: text/plain; charset=utf-8\\n"\n"Content-Type: text/plain; charset=koi8-r\\n"')
    return t.encode(), f"{DE_PO}: header Content-Type: given twice with different values"


def _po_too_many_plural_msgstrs(t: str) -> tuple[bytes, str]:
    t += _PLURAL_ENTRY.format(
        msgstrs='msgstr[0] "%(n)s Kapsel"\nmsgstr[1] "%(n)s Kapseln"\nmsgstr[2] "%(n)s Kapselx"\n'
    )
    n = lineno(t, 'msgid "%(n)s capsule"')
    return t.encode(), (
        f'{DE_PO}: line {n}: message "zz.plural" has 3 plural forms, but the Plural-Forms header declares nplurals=2'
    )


def _po_too_few_plural_msgstrs(t: str) -> tuple[bytes, str]:
    t += _PLURAL_ENTRY.format(msgstrs='msgstr[0] "%(n)s Kapsel"\n')
    n = lineno(t, 'msgid "%(n)s capsule"')
    return t.encode(), (
        f'{DE_PO}: line {n}: message "zz.plural" has 1 plural form, but the Plural-Forms header declares nplurals=2'
    )


def _po_duplicate_entry(t: str) -> tuple[bytes, str]:
    first = lineno(t, 'msgid "Isotretinoin 20 mg capsules"')
    t += '\nmsgctxt "title"\nmsgid "Isotretinoin 20 mg capsules"\nmsgstr "Isotretinoin 20 mg Kapseln (2)"\n'
    second = lineno(t, 'msgid "Isotretinoin 20 mg capsules"', start=first + 1)
    return t.encode(), f'{DE_PO}: line {second}: duplicate message "title" (first at line {first})'


def _po_msgstr_index_on_singular(t: str) -> tuple[bytes, str]:
    bad = 'msgstr[0] "Isotretinoin 20 mg Kapseln"'
    t = replace(t, _TITLE_MSGSTR, bad)
    return t.encode(), (f'{DE_PO}: line {lineno(t, bad)}: msgstr[0] in message "title", which has no msgid_plural '
                        "(a singular message has one msgstr)")


def _po_duplicate_of_obsolete_entry(t: str) -> tuple[bytes, str]:
    first = lineno(t, 'msgid "Isotretinoin 20 mg capsules"')
    t += '\n#~ msgctxt "title"\n#~ msgid "Isotretinoin 20 mg capsules"\n#~ msgstr "Isotretinoin 20 mg Kapseln"\n'
    second = lineno(t, '#~ msgid "Isotretinoin 20 mg capsules"')
    return t.encode(), f'{DE_PO}: line {second}: duplicate message "title" (first at line {first})'


def _po_refused_by_gnu_msgfmt(t: str) -> tuple[bytes, str]:
    bad = 'msgstr "Isotretinoin 20 mg Kapseln\\n"'
    t = replace(t, _TITLE_MSGSTR, bad)
    return t.encode(), (f"{DE_PO}: line {lineno(t, bad)}: 'msgid' and 'msgstr' entries do not both end with "
                        "'\\n' (GNU msgfmt)")


PO_CASES: list[tuple[str, PoCase]] = [
    ("syntax-bare-msgstr", _po_syntax_bare_msgstr),
    ("syntax-unterminated-string", _po_syntax_unterminated_string),
    ("syntax-misspelt-keyword", _po_syntax_misspelt_keyword),
    ("charset-header-iso-8859-1", _po_charset_header),
    ("saved-as-latin-1", _po_saved_as_latin1),
    ("utf8-bom", _po_bom),
    ("plural-formula-beyond-nplurals", _po_plural_formula_beyond_nplurals),
    ("charset-split-over-two-lines", _po_charset_split_over_two_lines),
    ("content-type-twice", _po_content_type_twice),
    ("plural-entry-3-msgstrs-for-nplurals-2", _po_too_many_plural_msgstrs),
    ("plural-entry-1-msgstr-for-nplurals-2", _po_too_few_plural_msgstrs),
    ("duplicate-entry", _po_duplicate_entry),
    ("msgstr-index-on-singular-message", _po_msgstr_index_on_singular),
    ("duplicate-of-an-obsolete-entry", _po_duplicate_of_obsolete_entry),
    ("refused-by-gnu-msgfmt", _po_refused_by_gnu_msgfmt),
]


@pytest.mark.parametrize("break_po", [c[1] for c in PO_CASES], ids=[c[0] for c in PO_CASES])
def test_bad_catalog_fails_that_locale_only(scratch: Project, out: Path, good_en: bytes, break_po: PoCase) -> None:
    path = scratch.root / DE_PO
    data, problem = break_po(path.read_text(encoding="utf-8"))
    path.write_bytes(data)
    result = cli(scratch, "build", "-L", "en", "-L", "de", "-o", str(out))
    assert_fails_cleanly(result, 1, failed("de", problem))
    assert_only_good_en(out, good_en)


def test_bad_templates_catalog_names_templates_po(scratch: Project, out: Path, good_en: bytes) -> None:
    path = scratch.root / DE_TEMPLATES_PO
    text = path.read_text(encoding="utf-8")
    first_msgstr = next(line for line in text.splitlines()[20:] if line.startswith('msgstr "') and line != 'msgstr ""')
    broken = first_msgstr.replace('msgstr "', "msgstr ", 1)
    text = replace(text, first_msgstr, broken)
    path.write_text(text, encoding="utf-8")
    result = cli(scratch, "build", "-L", "en", "-L", "de", "-o", str(out))
    assert_fails_cleanly(
        result, 1, failed("de", f"{DE_TEMPLATES_PO}: line {lineno(text, broken)}: invalid PO syntax: {NOT_A_PO_LINE}")
    )
    assert_only_good_en(out, good_en)


# -- 13-14: locales ----------------------------------------------------------------------------

def _nothing(project: Project) -> None:
    pass


def _empty_folder(code: str) -> Callable[[Project], None]:
    def apply(project: Project) -> None:
        (project.locales_dir / code / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    return apply


def _delete_catalogs(code: str) -> Callable[[Project], None]:
    def apply(project: Project) -> None:
        for po in (project.locales_dir / code / "LC_MESSAGES").glob("*.po"):
            po.unlink()
    return apply


def _no_catalog(code: str) -> list[str]:
    """A locale no leaflet has a catalog in: nothing is "offered" there, so nothing is printed: exit 1."""
    return [f"not offered {LEAFLET_ID} in {code} (no catalog; start one with "
            f"'leafletgen init {code} --leaflet {LEAFLET_ID}')"]


def _invalid(code: str) -> list[str]:
    return [f"error: locale {code!r}: unknown or invalid locale code"]


#: (id, code passed to `build -L`, preparation, expected stderr); every case exits 1
LOCALE_CASES: list[tuple[str, str, Callable[[Project], None], list[str]]] = [
    ("unknown-code", "xx_ZZ9", _nothing, _invalid("xx_ZZ9")),
    ("not-in-cldr", "tlh", _nothing, _invalid("tlh")),
    ("path-traversal", "../de", _nothing, _invalid("../de")),
    ("empty-code", "", _nothing, _invalid("")),
    ("valid-code-never-translated", "sw", _nothing, _no_catalog("sw")),
    ("invalid-code-with-empty-folder", "xx", _empty_folder("xx"), _invalid("xx")),
    ("empty-lc-messages-folder", NEW_LOCALE, _empty_folder(NEW_LOCALE), _no_catalog(NEW_LOCALE)),
    ("locale-folder-without-po-files", "de", _delete_catalogs("de"), _no_catalog("de")),
]


@pytest.mark.parametrize(("code", "prepare", "expected"), [c[1:] for c in LOCALE_CASES],
                         ids=[c[0] for c in LOCALE_CASES])
def test_bad_or_empty_locale(scratch: Project, out: Path, good_en: bytes, code: str,
                             prepare: Callable[[Project], None], expected: list[str]) -> None:
    prepare(scratch)
    result = cli(scratch, "build", "-L", code, "-o", str(out))
    assert_fails_cleanly(result, 1, expected)
    assert_only_good_en(out, good_en)


# -- 15-16: templates ----------------------------------------------------------------------------


def _prepend(line: str) -> Callable[[Project], None]:
    def apply(project: Project) -> None:
        path = project.templates_dir / "leaflet.html.j2"
        path.write_text(line + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")

    return apply


TEMPLATE_CASES: list[tuple[str, Callable[[Project], None], list[str]]] = [
    ("missing-template", lambda p: (p.templates_dir / "leaflet.html.j2").unlink(), [f"{TEMPLATE}: template not found"]),
    (
        "missing-stylesheet",
        lambda p: (p.templates_dir / "leaflet.css").unlink(),
        ["templates/leaflet.css: file not found"],
    ),
    (
        "template-syntax-error",
        _prepend("{% if %}"),
        [f"{TEMPLATE}: line 1: template syntax error: Expected an expression, got 'end of statement block'"],
    ),
    ("template-unclosed-block", _prepend("{% if ctx.title %}"), [f"{TEMPLATE}: line ..."]),
    (
        "template-undefined-variable",
        _prepend("{{ nosuchvar.x }}"),
        [f"{TEMPLATE}: line 1: template error: 'nosuchvar' is undefined"],
    ),
]


#: The stylesheet is read by the engine (WeasyPrint's URL fetcher), so that case needs the real one.
NEEDS_THE_ENGINE = {"missing-stylesheet"}


@pytest.mark.parametrize(("break_templates", "problems"), [
    pytest.param(*c[1:], id=c[0], marks=[pytest.mark.pdf] if c[0] in NEEDS_THE_ENGINE else [])
    for c in TEMPLATE_CASES])
def test_bad_template_fails_with_its_file_and_line(
    scratch: Project, out: Path, good_en: bytes, break_templates: Callable[[Project], None], problems: list[str]
) -> None:
    break_templates(scratch)
    result = cli(scratch, "build", "-L", "en", "-o", str(out))
    assert_fails_cleanly(result, 1, failed("en", *problems))
    assert_only_good_en(out, good_en)


def test_extract_refuses_a_template_with_a_syntax_error(scratch: Project) -> None:
    """Jinja's Babel extractor skips a broken template silently; the POT would lose its messages."""
    pot = scratch.locales_dir / "templates.pot"
    before = pot.read_bytes()
    # the template that holds translatable strings (per the committed POT)
    name = next(
        line.split()[1].rsplit(":", 1)[0] for line in before.decode().splitlines() if line.startswith("#: templates/")
    )
    path = scratch.root / name
    path.write_text("{% if %}\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    result = cli(scratch, "extract")
    assert_fails_cleanly(
        result,
        1,
        [f"error: {name}: line 1: template syntax error: Expected an expression, got 'end of statement block'"],
    )
    assert pot.read_bytes() == before


# -- 17: markup in translations is shown, never interpreted ------------------------------------------

INJECTIONS = {
    plain_text_ids()[0]: ' <script>alert("leaflet")</script> <img src="file:///etc/passwd"> <b>bold</b> &amp;',
    plain_text_ids()[1]: " </style><style>body{display:none}</style> url(file:///etc/passwd)",
    "title": " <script>document.title='x'</script>",
}
FOOTER_INJECTION = " </style><style>body{display:none}</style>"


@pytest.mark.pdf
def test_markup_and_css_in_translations_appear_literally(scratch: Project, out: Path,
                                                         built: tuple[Path, Report]) -> None:
    make_complete_locale(scratch)
    for ctxt, suffix in INJECTIONS.items():
        edit(scratch, ctxt, lambda m, s=suffix: setattr(m, "string", m.string + s))
    edit(scratch, "footer.page", lambda m: setattr(m, "string", m.string + FOOTER_INJECTION), domain="templates")
    result = cli(scratch, "build", "-L", COMPLETE_LOCALE, "-o", str(out))
    assert (result.returncode, result.stderr) == (0, "")
    assert "Traceback" not in result.stdout
    path = pdf_path(out, COMPLETE_LOCALE)
    text = pdf_text(path)
    flat = normalize(text)
    for literal in (
        "<script>",
        "</script>",
        '<img src="file:///etc/passwd">',
        "<b>bold</b>",
        "&amp;",
        "</style><style>body{display:none}</style>",
        "url(file:///etc/passwd)",
    ):
        assert normalize(literal) in flat, literal
    assert "<script>" in text and "<b>bold</b>" in text
    # nothing was hidden by the injected CSS: the surrounding text and the footer are all there
    leaflet = load_leaflet(scratch.leaflets_dir / f"{LEAFLET_ID}.yaml")
    body = normalize(pdf_text(path, body=True))
    assert all(normalize(t.text) in body for t, critical in leaflet.texts() if critical
               and t.id not in {f.alt.id for f in figures(leaflet)})
    pages = text.split("\f")[:-1]
    assert all(normalize("</style><style>body{display:none}</style>") in normalize(p) for p in pages)
    # nothing was loaded: the same images as the English leaflet, and the title is the literal text
    with pikepdf.open(path) as pdf, pikepdf.open(pdf_path(built[0], "en")) as english:
        assert str(pdf.docinfo.Title) == "Isotretinoin 20 mg capsules <script>document.title='x'</script>"
        assert sum(len(p.get_images()) for p in pdf.pages) == sum(len(p.get_images()) for p in english.pages)


# -- 18: output folder that cannot be written -----------------------------------------------------


def _out_is_a_file(project: Project, out: Path) -> tuple[Path, str]:
    out.write_bytes(b"not a folder\n")
    return out, "out/isotretinoin-20mg: cannot write: Not a directory"


def _leaflet_folder_is_a_file(project: Project, out: Path) -> tuple[Path, str]:
    out.mkdir()
    (out / LEAFLET_ID).write_bytes(b"not a folder\n")
    return out, "out/isotretinoin-20mg: cannot write: Not a directory"


def _out_under_proc(project: Project, out: Path) -> tuple[Path, str]:
    target = Path("/proc/leafletgen-test-out")
    return target, f"{target}: cannot write: No such file or directory"


UNWRITABLE_CASES: list[tuple[str, Callable[[Project, Path], tuple[Path, str]]]] = [
    ("out-is-a-regular-file", _out_is_a_file),
    ("leaflet-folder-is-a-regular-file", _leaflet_folder_is_a_file),
    ("out-under-proc", _out_under_proc),
]


@pytest.mark.parametrize("make_unwritable", [c[1] for c in UNWRITABLE_CASES], ids=[c[0] for c in UNWRITABLE_CASES])
def test_unwritable_output_folder(
    scratch: Project, out: Path, make_unwritable: Callable[[Project, Path], tuple[Path, str]]
) -> None:
    target, problem = make_unwritable(scratch, out)
    files_before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} if out.is_dir() else {}
    result = cli(scratch, "build", "-L", "en", "-o", str(target))
    assert_fails_cleanly(result, 1, failed("en", problem))
    if out.is_file():
        assert out.read_bytes() == b"not a folder\n"
    else:
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files_before
    assert not target.exists() or target == out


def test_folder_where_the_pdf_should_be_names_the_pdf_not_a_temp_file(
    scratch: Project, out: Path, good_en: bytes
) -> None:
    (pdf_path(out, "de")).mkdir()
    result = cli(scratch, "build", "-L", "en", "-L", "de", "-o", str(out))
    assert_fails_cleanly(result, 1, failed("de", f"out/{LEAFLET_ID}/{LEAFLET_ID}.de.pdf: cannot write: Is a directory"))
    assert_only_good_en(out, good_en)
    assert pdf_path(out, "de").is_dir() and not any(pdf_path(out, "de").iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders; covered by the cases above")
def test_read_only_output_folder(scratch: Project, out: Path, good_en: bytes) -> None:
    folder = out / LEAFLET_ID
    folder.chmod(0o555)
    try:
        result = cli(scratch, "build", "-L", "en", "-L", "de", "-o", str(out))
    finally:
        folder.chmod(0o755)
    assert_fails_cleanly(
        result, 1, failed("de", f"out/{LEAFLET_ID}/{LEAFLET_ID}.de.pdf: cannot write: Permission denied")
    )
    assert_only_good_en(out, good_en)


# -- 19: a full disk ------------------------------------------------------------------------------------


class _FullDisk:
    """A file whose write stores half the data, then fails as a full disk does."""

    def __init__(self, fh: object) -> None:
        self.fh = fh

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()  # type: ignore[attr-defined]

    def write(self, data: bytes) -> int:
        self.fh.write(data[: len(data) // 2])  # type: ignore[attr-defined]
        self.fh.flush()  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> object:
        return getattr(self.fh, name)


def _fill_disk(monkeypatch: pytest.MonkeyPatch, only: str = "") -> None:
    """Make every write of an atomic_write_bytes temporary file (whose name contains ``only``) hit ENOSPC."""
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: object, **kwargs: object) -> object:
        name = os.readlink(f"/proc/self/fd/{fd}")
        fh = real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]
        return _FullDisk(fh) if name.endswith(".tmp") and only in os.path.basename(name) else fh

    monkeypatch.setattr(leafletgen.files.os, "fdopen", fdopen)


def _blocks(stderr: str) -> list[list[str]]:
    """stderr split into one block per outcome (a heading line, then its indented lines), sorted."""
    blocks: list[list[str]] = []
    for line in stderr.splitlines():
        if line.startswith(" ") and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return sorted(blocks)


def test_full_disk_while_writing_pdfs(
    scratch: Project, out: Path, good_en: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    _fill_disk(monkeypatch)
    # --paper letter changes the English build key, so en.pdf is really rewritten (and must survive)
    code = main(["--project", str(scratch.root), "build", "--paper", "letter", "-L", "en", "-L", "de", "-o", str(out)])
    captured = capsys.readouterr()
    assert (code, _blocks(captured.err)) == (
        1,
        sorted(
            [
                failed("de", f"out/{LEAFLET_ID}/{LEAFLET_ID}.de.letter.pdf: cannot write: No space left on device"),
                failed("en", f"out/{LEAFLET_ID}/{LEAFLET_ID}.en.letter.pdf: cannot write: No space left on device"),
            ]
        ),
    )
    assert "Traceback" not in captured.err + captured.out
    assert_only_good_en(out, good_en)


def test_full_disk_while_writing_the_manifest(
    scratch: Project, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill_disk(monkeypatch, only="manifest")
    code = main(["--project", str(scratch.root), "build", "-L", "en", "-o", str(out)])
    captured = capsys.readouterr()
    assert (code, captured.err.splitlines()) == (1, ["error: out/manifest.json: cannot write: No space left on device"])
    assert "Traceback" not in captured.err + captured.out
    assert leftovers(out) == []
    assert not (out / "manifest.json").exists()
    for pdf in out.rglob("*.pdf"):  # a PDF that got written is complete
        assert is_rendered_html(pdf.read_bytes(), pdf.name.split(".")[-2]), pdf
