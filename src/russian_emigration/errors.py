"""The one exception the data package raises, and the problems it carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: How many problems a DatasetError message lists before it summarises the rest.
MAX_LISTED_PROBLEMS = 40


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (file, spreadsheet row, column), what value, which rule.

    ``row`` counts as a spreadsheet does: the header is row 1, the first data row is row 2.
    ``row`` and ``column`` are None when the problem concerns a whole file or table. ``rule`` is
    snake_case: a Table Schema keyword (``required``, ``enum``, ``pattern``...), a type check
    (``type_integer``...), a cross-field rule (``row_sum``...) or a file check (``utf8``...).
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

    ``problems`` lists every problem found in every table; the message names the file, row,
    column, value and rule of each (the first :data:`MAX_LISTED_PROBLEMS` of them).
    """

    def __init__(self, problems: Sequence[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [f"- {p}" for p in self.problems[:MAX_LISTED_PROBLEMS]]
        hidden = len(self.problems) - len(lines)
        if hidden > 0:
            lines.append(f"- ... and {hidden} more problems (see DatasetError.problems)")
        count = len(self.problems)
        super().__init__("\n".join([f"{count} problem{'s' if count != 1 else ''} in the data package:", *lines]))
