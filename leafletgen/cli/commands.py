"""The build-side subcommands (build, validate, a11y, serve): parse nothing, print results,
return the exit code. The translators' subcommands are in translators.py."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from leafletgen.build.runner import EVERY_LOCALE, NOT_OFFERED, Outcome, Report, build
from leafletgen.content.pharmacy import load_pharmacy
from leafletgen.errors import UsageError
from leafletgen.locale_codes import resolve
from leafletgen.pdf.warm import WarmRenderer
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions, options_for
from leafletgen.translate.catalogs import available_locales
from leafletgen.translate.snapshot import load_leaflets


def _print_outcome(outcome: Outcome) -> None:
    if outcome.status == NOT_OFFERED and not outcome.asked:
        return  # summed up per leaflet at the end (_print_not_offered)
    if outcome.status in ("built", "skipped"):
        print(f"{outcome.status:8} {outcome.path}  ({outcome.size // 1024} KB"
              + (f", {outcome.seconds:.2f} s)" if outcome.status == "built" else ")"))
        if outcome.problems:  # a draft: what the gate would refuse before it could be printed for patients
            print(f"         draft: {len(outcome.problems)} message(s) not ready to print, "
                  f"e.g. {outcome.problems[0]}")
    else:
        _print_problems(outcome)


def _print_problems(outcome: Outcome) -> None:
    where = "(every locale)" if outcome.locale == EVERY_LOCALE else outcome.locale
    print(f"{outcome.status:8} {outcome.leaflet} {where}" + (f": {outcome.summary}" if outcome.summary else ""),
          file=sys.stderr)
    for problem in outcome.problems:
        print(f"  {problem}", file=sys.stderr)


class _ProgressBar:
    """A progress bar on a terminal; problems are still printed in full above it."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(unit="pdf", desc="building", leave=False, file=sys.stderr)

    def __call__(self, outcome: Outcome) -> None:
        if outcome.status in ("refused", "failed") or (outcome.status == NOT_OFFERED and outcome.asked):
            self.bar.clear()
            _print_problems(outcome)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def build_options(args: argparse.Namespace, project: Project) -> RenderOptions:
    """Render options from the command line (the declared options, render/options.py); an option
    not given is the pharmacy profile's, else its declared default."""
    pharmacy = load_pharmacy(args.pharmacy, display=project.display(args.pharmacy)) if args.pharmacy else None
    values: dict[str, Any] = {}
    for spec in options_for("cli"):
        value = getattr(args, spec.name)
        if value in (None, "") and spec.profile and pharmacy:
            value = getattr(pharmacy, spec.profile)
        if spec.kind == "locale" and value and value.lower() == "none":
            value = None
        elif spec.kind == "locale" and value:
            value = resolve(value, available_locales(project.locales_dir))  # a profile's too
        values[spec.name] = spec.default if value in (None, "") else value
    if values.get("show_ids") and not values.get("draft"):
        raise UsageError("--show-ids goes with --draft (a translator's preview; patients never see ids)")
    return RenderOptions(**values, pharmacy=pharmacy)


def cmd_build(args: argparse.Namespace, project: Project, renderer: WarmRenderer | None = None) -> int:
    options = build_options(args, project)
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        report = build(project, args.out, leaflet_ids=args.leaflet, locales=args.locale, options=options,
                       jobs=args.jobs, force=args.force, progress=bar or _print_outcome, renderer=renderer,
                       scheduler=args.scheduler, cache=args.cache)
    finally:
        if bar:
            bar.close()
    _print_not_offered(report)
    print(f"{report.count('built')} built, {report.count('skipped')} skipped (unchanged), "
          f"{report.count('refused')} refused, {report.count('failed')} failed"
          + (f", {report.count(NOT_OFFERED)} not offered" if report.count(NOT_OFFERED) else "")
          + f" in {report.seconds:.1f} s")
    return 0 if report.ok else 1


def _print_not_offered(report: Report) -> None:
    """One line per leaflet for the locales it has no catalog in (not asked for by name); on
    standard error when that left nothing to print."""
    absent: dict[str, list[str]] = {}
    for outcome in report.outcomes:
        if outcome.status == NOT_OFFERED and not outcome.asked:
            absent.setdefault(outcome.leaflet, []).append(outcome.locale)
    for leaflet_id, codes in absent.items():
        print(f"not offered {leaflet_id} in {', '.join(codes)} (no catalog; start one with "
              f"'leafletgen init {codes[0] if len(codes) == 1 else 'LOCALE'} --leaflet {leaflet_id}')",
              file=sys.stdout if report.ok else sys.stderr)


def cmd_validate(args: argparse.Namespace, project: Project) -> int:
    leaflets = load_leaflets(project)
    for leaflet in leaflets:
        critical = len(leaflet.safety_critical_ids())
        total = sum(1 for _ in leaflet.texts())
        print(f"ok  {leaflet.path}: {total} strings, {critical} safety-critical")
    return 0


def cmd_a11y(args: argparse.Namespace, project: Project) -> int:
    import pikepdf

    from leafletgen.inspect.a11y import check_file, format_report

    failed = False
    for path in args.pdf:
        try:
            checks = check_file(path)
        except (OSError, pikepdf.PdfError) as exc:
            raise UsageError(f"{path}: cannot open as PDF: {exc}") from None
        print(format_report(str(path), checks))
        failed |= not all(c.ok for c in checks)
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace, project: Project) -> int:
    try:
        from leafletgen.serve.app import serve
    except ImportError as exc:
        raise UsageError(f"the server needs the 'serve' extra ({exc.name} is not installed): "
                         "pip install 'leafletgen[serve]'") from None

    if args.cache and not args.scheduler:
        raise UsageError("serve --cache is the cluster's shared cache: it needs --scheduler")
    if args.scheduler:  # one clear line now, rather than a failed start-up later
        from leafletgen.build.cluster import connect
        from leafletgen.serve.pool import Renderer

        connect(args.scheduler).close()
        Renderer.scheduler = args.scheduler
        Renderer.shared_cache = args.cache.resolve() if args.cache else None
    serve(project, args.host, args.port, args.workers, args.queue, args.timeout, tokens=args.tokens, rate=args.rate)
    return 0


def cmd_token(args: argparse.Namespace, project: Project) -> int:
    from leafletgen.serve.access import add_token

    token = add_token(args.file, args.name)
    print(f"added a token for {' '.join(args.name.split())} to {args.file}; it is shown only now:")
    print(token)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Project], int]] = {
    "a11y": cmd_a11y,
    "serve": cmd_serve,
    "token": cmd_token,
    "build": cmd_build,
    "validate": cmd_validate,
}


def all_commands() -> dict[str, Callable[[argparse.Namespace, Project], int]]:
    from leafletgen.cli.changes import cmd_changes
    from leafletgen.cli.normalize import cmd_normalize
    from leafletgen.cli.strings import cmd_check
    from leafletgen.cli.translators import TRANSLATOR_COMMANDS
    from leafletgen.cli.xliff import cmd_xliff

    return {**COMMANDS, **TRANSLATOR_COMMANDS, "changes": cmd_changes, "check": cmd_check, "xliff": cmd_xliff,
            "normalize": cmd_normalize}
