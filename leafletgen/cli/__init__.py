"""The command line: ``leafletgen`` (or ``python -m leafletgen.cli``): parser and dispatch in
main.py, one function per subcommand in commands.py and translators.py."""

from leafletgen.cli.main import main

__all__ = ["main"]
