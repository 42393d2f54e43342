"""The one exception the data package raises, and the problems it carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: How many problems a DatasetError message lists before it summarises the rest.
MAX_LISTED_PROBLEMS = 40


@dataclass(frozen=True)
class Problem:
    """A broken rule: file, spreadsheet row (the header is row 1), column (None for a whole file), value, rule."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else f", row {self.row}"
        column = "" if self.column is None else f", column {self.column!r}"
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{self.file}{row}{column}:{value} {self.message} [rule: {self.rule}]"


class DatasetError(ValueError):
    """The data package is missing, malformed or breaks its own rules; ``problems`` lists every problem."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the data package:"]
        lines += [f"- {p}" for p in self.problems[:MAX_LISTED_PROBLEMS]]
        if count > MAX_LISTED_PROBLEMS:
            lines.append(f"- ... and {count - MAX_LISTED_PROBLEMS} more problems (see DatasetError.problems)")
        super().__init__("\n".join(lines))
