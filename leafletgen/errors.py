"""One root error class. The CLI turns it into one line per problem and an exit code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing the user must fix, located as precisely as we can."""

    file: str
    where: str
    reason: str
    #: The line in ``file`` (1-based), where known: shown as ``file:line``, as editors and terminals link it.
    line: int = 0

    def __str__(self) -> str:
        parts = [p for p in (f"{self.file}:{self.line}" if self.file and self.line else self.file, self.where) if p]
        return ": ".join([*parts, self.reason])


class LeafletError(Exception):
    """A problem with the user's input or environment; never a bug.

    Carries one or more :class:`Problem` so validation can report everything at once.
    """

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[LeafletError], tuple[list[Problem]]]:
        return self.__class__, (self.problems,)  # crosses process boundaries with its problems intact


class SourceError(LeafletError):
    """A leaflet source file is invalid."""


class CatalogError(LeafletError):
    """A PO/POT catalog cannot be read or written."""


class RenderError(LeafletError):
    """A template or the PDF engine failed on our input."""


class UsageError(LeafletError):
    """The command line was used wrongly."""

    exit_code = 2
