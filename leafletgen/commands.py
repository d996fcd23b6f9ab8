"""One function per CLI subcommand: parse nothing, print results, return the exit code."""

from __future__ import annotations

import argparse
import sys

from .build import Outcome, build, load_leaflets
from .project import Project
from .render import RenderOptions


def _print_outcome(outcome: Outcome) -> None:
    if outcome.status == "built":
        assert outcome.path is not None
        print(f"built    {outcome.path}  ({outcome.size // 1024} KB, {outcome.seconds:.2f} s)")
    else:
        print(f"{outcome.status:8} {outcome.leaflet} {outcome.locale}", file=sys.stderr)
        for problem in outcome.problems:
            print(f"  {problem}", file=sys.stderr)


def cmd_build(args: argparse.Namespace, project: Project) -> int:
    options = RenderOptions(paper=args.paper, draft=args.draft)
    report = build(project, args.out, leaflet_ids=args.leaflet, locales=args.locale, options=options,
                   progress=_print_outcome)
    print(f"{report.count('built')} built, {report.count('refused')} refused, "
          f"{report.count('failed')} failed in {report.seconds:.1f} s")
    return 0 if report.ok else 1


def cmd_validate(args: argparse.Namespace, project: Project) -> int:
    leaflets = load_leaflets(project)
    for leaflet in leaflets:
        critical = len(leaflet.safety_critical_ids())
        total = sum(1 for _ in leaflet.texts())
        print(f"ok  {leaflet.path}: {total} strings, {critical} safety-critical")
    return 0



COMMANDS = {
    "build": cmd_build,
    "validate": cmd_validate,
}
