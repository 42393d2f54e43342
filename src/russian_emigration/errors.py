"""The one exception the data package raises, and the problems it carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

#: How many problems a DatasetError message lists before it summarises the rest.
MAX_LISTED_PROBLEMS = 40


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (file, spreadsheet row, column), what value, which rule.

    ``row`` counts as a spreadsheet does: the header is row 1, the first data row is row 2.
    ``row`` and ``column`` are None when the problem concerns a whole file or table.
    ``rule`` is snake_case: a Table Schema or descriptor keyword (``required``, ``enum``,
    ``row_sum``...) or the name of a file check (``utf8``, ``cell_count``...).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{', '.join(where)}:{value} {self.message} [rule: {self.rule}]"


class DatasetError(ValueError):
    """The data package is missing, malformed or breaks one of its own rules.

    ``problems`` lists every problem found (capped per column and rule on huge files);
    the message names the file, row, column, value and rule of each.
    """

    def __init__(self, problems: Sequence[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [str(p) for p in self.problems[:MAX_LISTED_PROBLEMS]]
        hidden = len(self.problems) - len(lines)
        if hidden > 0:
            lines.append(f"... and {hidden} more problems (see DatasetError.problems)")
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the data package:"
        super().__init__("\n".join([header, *(f"- {line}" for line in lines)]))


#: Per file, column and rule, how many offending rows are listed one by one.
MAX_ROWS_PER_RULE = 20


@dataclass
class Report:
    """Collects the problems of one file, listing at most MAX_ROWS_PER_RULE rows per column and rule."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(
        self, rule: str, message: str, row: int | None = None, column: str | None = None, value: str | None = None
    ) -> None:
        """Record one problem."""
        self.problems.append(Problem(self.file, row, column, value, rule, message))

    def rows(self, rule: str, message: str, column: str | None, rows: Sequence[tuple[int, str | None]]) -> None:
        """Record a problem for each (spreadsheet row, value), the rows past the cap as one summary."""
        for row, value in rows[:MAX_ROWS_PER_RULE]:
            self.add(rule, message, row, column, value)
        hidden = len(rows) - MAX_ROWS_PER_RULE
        if hidden > 0:
            self.add(rule, f"{message} (in {hidden} more rows not listed)", column=column)
