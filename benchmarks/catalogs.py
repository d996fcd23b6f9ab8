"""What reading the catalogs costs: one catalog read strictly, and the commands that read them all.

    .venv/bin/python benchmarks/catalogs.py [--repeat N]

Prints two tables. First, per catalog of the repository (mean over all of them): a strict
read (the scan, the checks, GNU msgfmt's verdict, Babel's parser) in a new process, the
same read again in the process (the memo of translate/pofile.py: a pickled copy), and
Babel's parser alone. Then the wall time of `status`, `check` and `update` over the
repository, each as a new process (as a translator runs them), mean of N runs.
"""
# ruff: noqa: E402  (imports follow the sys.path set-up for running from a checkout)

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.pofile import read_po

from leafletgen.translate import pofile


def _mean_ms(runs: list[float]) -> str:
    return f"{1000 * sum(runs) / len(runs):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = sorted((ROOT / "locales").glob("*/LC_MESSAGES/*.po"))
    cold, memo, babel = [], [], []
    for path in paths:
        data = path.read_bytes()
        pofile._parsed.clear()
        pofile._verdicts.clear()
        start = time.perf_counter()
        pofile.parse_catalog(data, path.name)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        pofile.parse_catalog(data, path.name)
        memo.append(time.perf_counter() - start)
        start = time.perf_counter()
        read_po(io.BytesIO(data))
        babel.append(time.perf_counter() - start)
    rows = [["strict read, first in the process", _mean_ms(cold)],
            ["strict read, again (memo)", _mean_ms(memo)],
            ["Babel's parser alone", _mean_ms(babel)]]
    print(f"{len(paths)} catalogs, ms per catalog")
    _table(["read", "ms"], rows)
    print()
    cli = [sys.executable, "-m", "leafletgen.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "project"
        for name in ("leaflets", "locales", "templates"):
            shutil.copytree(ROOT / name, copy / name)
        rows = []
        for command in (["status"], ["check"], ["update"]):
            runs = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                subprocess.run([*cli, "--project", str(copy), *command], capture_output=True, check=False)
                runs.append(time.perf_counter() - start)
            rows.append([f"leafletgen {' '.join(command)}", f"{sum(runs) / len(runs):.2f}"])
    print(f"commands over the repository ({len(paths)} catalogs), a new process each, mean of {args.repeat}")
    _table(["command", "s"], rows)


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
