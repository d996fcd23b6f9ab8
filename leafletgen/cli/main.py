"""The command line: ``leafletgen`` (or ``python generate.py``) with subcommands.

Exit codes: 0 success; 1 a content or catalog problem (a refused locale, an invalid
source or catalog); 2 a usage error. User errors print one line each, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from leafletgen import __version__
from leafletgen.errors import LeafletError, UsageError
from leafletgen.project import Project
from leafletgen.render.options import options_for


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="leafletgen", description="Multilingual, accessible patient leaflets (PDF/UA-1).")
    parser.add_argument("--version", action="version", version=f"leafletgen {__version__}")
    parser.add_argument("--project", type=Path, default=None,
                        help="project folder holding leaflets/, locales/, templates/ (default: found from here)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    b = sub.add_parser("build", help="render leaflets to PDF", description=(
        "Render every leaflet in every locale (or those selected) to out/<leaflet>/<leaflet>.<locale>.pdf. "
        "A locale whose warnings are missing, fuzzy or fail a check is refused; the others still build."))
    b.add_argument("-l", "--leaflet", action="append", metavar="ID",
                   help="leaflet id to build (repeatable; default: all)")
    b.add_argument("-L", "--locale", action="append", metavar="CODE",
                   help="locale to build, e.g. de or pt_BR (repeatable; default: all)")
    add_render_options(b)
    b.add_argument("--pharmacy", type=Path, metavar="FILE.yaml", default=None,
                   help="pharmacy profile (name, address, phone, hours, paper, second_language) printed on "
                        "every leaflet; see docs/pharmacy.example.yaml")
    b.add_argument("-o", "--out", type=Path, default=Path("out"), help="output folder (default: out)")
    b.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="render in N worker processes (default: one per core)")
    b.add_argument("--force", action="store_true",
                   help="rebuild every PDF even when nothing that shapes it has changed")
    add_cluster_options(b)

    sub.add_parser("validate", help="check the leaflet sources and report every problem")
    sv = sub.add_parser("serve", help="run the clinic order page and JSON API",
                        description="Serve the order page (/) and the API (/api/..., OpenAPI at /docs).")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    sv.add_argument("--workers", type=int, default=None, help="render processes (default: one per core)")
    sv.add_argument("--queue", type=int, default=32,
                    help="orders (each of up to 24 items) that may wait before answering 503 (default: 32)")
    sv.add_argument("--timeout", type=float, default=60.0, help="time limit per render in seconds (default: 60)")
    sv.add_argument("--tokens", type=Path, default=None, metavar="FILE",
                    help="require a bearer token from this file of hashed tokens (required with a --host beyond "
                         "this machine; create one with 'leafletgen token FILE --name NAME'); see docs/api.md")
    sv.add_argument("--rate", type=int, default=120, metavar="N",
                    help="items (leaflets x languages) one client may order per minute (default: 120; 0: no limit)")
    tk = sub.add_parser("token", help="create an API token for 'serve --tokens FILE' (printed once, stored hashed)",
                        description="Appends the token's sha256 digest and NAME to FILE (created if missing, mode "
                                    "600) and prints the token once: give it to the clinic system named NAME.")
    tk.add_argument("file", type=Path, metavar="FILE")
    tk.add_argument("--name", required=True, metavar="NAME", help="who uses the token, e.g. 'clinic-north EHR'")
    add_cluster_options(sv)
    a = sub.add_parser("a11y", help="print the PDF/UA-1 machine checks for PDF files",
                       description="Checks what a program can check of PDF/UA-1 (a subset of the Matterhorn "
                                   "Protocol): tags, structure, languages, title, headings, lists, tables, "
                                   "figures, fonts, bookmarks, reading order. Exit 1 if any check fails.")
    a.add_argument("pdf", nargs="+", type=Path, metavar="FILE.pdf")
    sub.add_parser("extract", help="write the POT templates (one per leaflet, plus templates.pot)")
    i = sub.add_parser("init", help="start the catalogs for a new language")
    i.add_argument("locale", metavar="LOCALE", help="locale code, e.g. fr, pt_BR, zh_CN")
    i.add_argument("-l", "--leaflet", action="append", metavar="ID",
                   help="only this leaflet (repeatable; default: every leaflet); offers it in LOCALE")
    sub.add_parser("update", help="extract, then merge the POTs into every existing catalog "
                                  "(a leaflet is offered in a locale once 'init' starts its catalog)")
    st = sub.add_parser("status", help="per locale and leaflet: translated, fuzzy, missing, warnings, review",
                        description="Exit 1 when any locale is incomplete (it would be refused by build).")
    st.add_argument("-L", "--locale", action="append", metavar="CODE", help="only this locale (repeatable)")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.add_argument("--strings", action="store_true",
                    help="one row per message: leaflet, locale, id, safety-critical, state (missing, fuzzy, "
                         "outdated, failing, translated, reviewed), findings, English, translation")
    st.add_argument("--format", choices=("table", "json", "csv"), default=None,
                    help="with --strings: output format (default: table; csv opens in a spreadsheet)")
    ch = sub.add_parser("check", help="per message: numbers, markup, placeholders, punctuation, empty",
                        description="Prints 'locale domain msgctxt: severity: problem'. Exit 1 on a blocking problem.")
    ch.add_argument("locale", nargs="*", metavar="LOCALE", help="locales to check (default: all)")
    rv = sub.add_parser("review", help="record a professional translator's review of leaflets in one locale",
                        description="Records who reviewed which leaflet in LOCALE, when, and the exact text they "
                                    "saw (the leaflet's messages and the template strings it prints), in "
                                    "locales/LOCALE/reviews/ID.json. A message changed afterwards makes the "
                                    "review stale. Refused while any message is missing, fuzzy, outdated or "
                                    "fails a check.")
    rv.add_argument("locale", metavar="LOCALE")
    rv.add_argument("-l", "--leaflet", action="append", metavar="ID",
                    help="the leaflet that was reviewed (repeatable; required)")
    g = rv.add_mutually_exclusive_group(required=True)
    g.add_argument("--by", metavar="NAME", help="the reviewer's name (one line, at most 80 characters)")
    g.add_argument("--undo", action="store_true", help="remove the review record: not reviewed again")
    chg = sub.add_parser("changes", help="what changed in the English since a catalog was translated",
                         description="After 'leafletgen update': the new, changed (old and new English, word "
                                     "by word) and removed messages of one leaflet's catalog in LOCALE.")
    chg.add_argument("locale", metavar="LOCALE")
    chg.add_argument("-l", "--leaflet", required=True, metavar="ID")
    chg.add_argument("--json", action="store_true", help="machine-readable output")
    nm = sub.add_parser("normalize", help="rewrite the catalogs in the project's PO form (after another tool saves)",
                        description="Unwrapped lines, msgmerge's #| comments, one newline at the end: the form "
                                    "'update' writes, so a diff shows only what changed. A file that cannot be "
                                    "read is named and left as it is.")
    nm.add_argument("locale", nargs="*", metavar="LOCALE", help="only these locales (default: every catalog and POT)")
    nm.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is not in that form")
    x = sub.add_parser("xliff", help="XLIFF 1.2 for translation agencies: export a catalog, import their work",
                       description="Unit ids are the message ids (msgctxt); notes carry the translator notes and the "
                                   "safety marking; fuzzy is needs-review-translation. Import checks every file before "
                                   "writing any, and reports what the warnings gate would refuse.")
    xs = x.add_subparsers(dest="xliff_command", required=True, metavar="{export,import}")
    xe = xs.add_parser("export", help="one leaflet's catalog (or 'templates') in LOCALE as an XLIFF file")
    xe.add_argument("locale", metavar="LOCALE")
    xe.add_argument("-l", "--leaflet", required=True, metavar="ID", help="the leaflet id, or 'templates'")
    xe.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: ID.LOCALE.xlf here; '-': stdout")
    xi = xs.add_parser("import", help="bring translated XLIFF files back into their catalogs")
    xi.add_argument("file", nargs="+", type=Path, metavar="FILE.xlf")
    xi.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    ac = sub.add_parser("accept", help="accept a translation's warnings after reading it (a reviewed exception)",
                        description="Writes a translator comment 'accepted DIGEST: ...; by NAME' on each message, "
                                    "for its text as it is now: its warnings (punctuation, identical to the "
                                    "English) no longer block printing, until the text changes. Errors (numbers, "
                                    "markup, placeholders, hidden characters) can never be accepted.")
    ac.add_argument("locale", metavar="LOCALE")
    ac.add_argument("domain", metavar="DOMAIN", help="the leaflet id, or 'templates'")
    ac.add_argument("msgctxt", metavar="MSGCTXT", nargs="+", help="the message id(s), as 'check' prints them")
    ac.add_argument("--by", metavar="NAME", required=True, help="who read and accepted the translation")
    return parser


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Rendering on a Dask cluster and the shared PDF cache (README, "On a cluster")."""
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="render on the workers of this Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                             "(needs the 'cluster' extra; default: worker processes on this machine)")
    parser.add_argument("--cache", type=Path, metavar="DIR", default=None,
                        help="shared PDF cache folder (the same path on every machine): a PDF rendered once "
                             "anywhere is taken from there")


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """The declared render options (render/options.py) as arguments, dest = the RenderOptions field.

    An option with a pharmacy-profile field defaults to None here: build_options() then takes
    the profile's value, else the declared default.
    """
    for spec in options_for("cli"):
        defaults = [f"the pharmacy profile's {spec.profile}"] if spec.profile else []
        defaults += [str(spec.default)] if spec.default not in (None, False) else []
        notes = ["default: " + ", else ".join(defaults)] if defaults else []
        notes += ["'none' to switch it off"] if spec.kind == "locale" else []
        text = spec.help + (f" ({'; '.join(notes)})" if notes else "")
        flag, default = str(spec.cli), None if spec.profile else spec.default
        if spec.kind == "locale":
            parser.add_argument(flag, dest=spec.name, metavar="CODE", default=default, help=text)
        elif spec.kind == "choice":
            parser.add_argument(flag, dest=spec.name, choices=spec.values, default=default, help=text)
        else:
            parser.add_argument(flag, dest=spec.name, action="store_true", default=default, help=text)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        project = Project(args.project.resolve()) if args.project else Project.find()
        return _dispatch(args, project)
    except LeafletError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _dispatch(args: argparse.Namespace, project: Project) -> int:
    _name_locales(args, project)
    if args.command == "build" and _one_pdf(args, project):
        from leafletgen.pdf.warm import WarmRenderer

        renderer = WarmRenderer.start()  # before the imports below: it warms up meanwhile
        try:
            from leafletgen.cli.commands import cmd_build

            return cmd_build(args, project, renderer)
        finally:
            if renderer:
                renderer.close()
    from leafletgen.cli.commands import all_commands  # imported late: `--help` stays fast

    return all_commands()[args.command](args, project)


def _name_locales(args: argparse.Namespace, project: Project) -> None:
    """Every locale code on the command line by its one name (locale_codes.py): ``pt-br`` is the
    ``pt_BR`` folder, ``zh-Hans`` the ``zh_CN`` one; a code that is no locale stops here with one
    line. ``init`` takes the canonical name only: it refuses a second name for a known locale."""
    from leafletgen.locale_codes import canonical, resolve
    from leafletgen.translate.catalogs import available_locales

    known = available_locales(project.locales_dir)

    def name(code: str) -> str:
        return canonical(code) if args.command == "init" else resolve(code, known)

    for attr in ("locale", "with_locale"):
        value = getattr(args, attr, None)
        if isinstance(value, list):
            setattr(args, attr, [name(c) for c in value])
        elif isinstance(value, str) and value and value.lower() != "none":
            setattr(args, attr, name(value))


def _one_pdf(args: argparse.Namespace, project: Project) -> bool:
    """Can this build produce only one PDF (one locale, one leaflet), and may it use a second core?"""
    if args.jobs == 1 or args.scheduler or len(set(args.locale or ())) != 1:
        return False
    leaflets = set(args.leaflet or ()) or {p.stem for p in project.leaflet_paths()}
    return len(leaflets) == 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
