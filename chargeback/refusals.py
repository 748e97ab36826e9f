"""One refusal type: what a service says when it will not do what it was asked.

Every refusal derives from ``Refused`` and carries its problems as data (``Problem``): which
file line and column, which field, which criterion and band, and the message. The web app
puts each message next to its field, the API answers ``{"errors": {field: [...]}}`` and the
command line prints ``line N: column: message``, each rendered from the same values, so no
layer reads another's text. ``reason`` tells the delivery layers which kind of "no" it is.

Nothing here imports Flask or SQLAlchemy: the importing and service layers raise these, the
delivery layers catch them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rules.model import RuleError


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong, and where, as data."""

    message: str
    kind: str | None = None  # what was refused: an import kind, "scorecard", "rules", ...
    line: int | None = None  # a file's line as a spreadsheet shows it (header = line 1)
    column: str | None = None  # a file's column
    field: str | None = None  # a field of a form or JSON document
    key: str | None = None  # a criterion's key
    position: int | None = None  # a criterion's place in its scorecard (1-based)
    band: int | None = None  # a band of that criterion (1-based)
    source: str | None = None  # where, in words ("criterion csat", "unit WW rule 1")

    def __str__(self) -> str:
        if self.line is not None:
            where = [f"line {self.line}", self.column or self.field]
        else:
            where = [self.source, self.field]
        return ": ".join([part for part in where if part] + [self.message])

    @classmethod
    def of(cls, problem: Problem | RuleError | str, kind: str | None = None) -> Problem:
        """A Problem from a rules-layer error, a plain message or a Problem."""
        if isinstance(problem, Problem):
            return problem
        if isinstance(problem, RuleError):
            return cls(message=problem.message, kind=kind, field=problem.field,
                       key=problem.key, position=problem.position, band=problem.band,
                       source=problem.source)
        return cls(message=str(problem), kind=kind)


class Refused(Exception):
    """The request breaks a rule; nothing was changed. ``problems`` says what and where.

    ``reason`` is the kind of "no": ``invalid`` (what was sent is wrong), ``conflict`` (the
    state of things does not allow it now), ``forbidden`` (not for this user), ``not_found``.
    """

    reason = "invalid"

    def __init__(self, *problems: Problem | RuleError | str, kind: str | None = None,
                 warnings: Iterable[Problem | RuleError | str] = ()):
        self.problems = tuple(Problem.of(p, kind) for p in problems)
        self.warnings = tuple(Problem.of(w, kind) for w in warnings)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def messages(self) -> list[str]:
        """Each problem as one line of text, as the command line prints it."""
        return [str(p) for p in self.problems]


class Conflict(Refused):
    """The request is well formed, but the state of things does not allow it now."""

    reason = "conflict"


class Forbidden(Refused):
    """The user's role or unit scope does not allow it."""

    reason = "forbidden"


class NotFound(Refused):
    """What the request names does not exist."""

    reason = "not_found"


CONTENTION = ("what this changes was busy (another change saved at the same time, or a "
              "month being closed) and the database stopped this one; nothing was changed: "
              "try again in a moment")


def contention() -> Conflict:
    """The refusal for a transaction the database stopped because of another one (a
    PostgreSQL deadlock): what was asked is fine, doing it again is the cure."""
    return Conflict(Problem(message=CONTENTION))
