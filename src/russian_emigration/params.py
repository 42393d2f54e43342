"""Validation of notebook parameters, shared by the notebooks and the report runner.

Every check raises :class:`ParameterError` naming the parameter and what would work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any


class ParameterError(ValueError):
    """A notebook or report parameter has a value it cannot use."""


def _listing(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def check_choice(name: str, value: Any, choices: Sequence[Any], *, allow_none: bool = False) -> Any:
    """Return ``value`` if it is one of ``choices`` (or None when allowed)."""
    if value is None and allow_none:
        return None
    if value not in choices:
        extra = " or None" if allow_none else ""
        raise ParameterError(f"{name}={value!r} is not valid; use one of {_listing(choices)}{extra}")
    return value


def check_iso_date(name: str, value: Any) -> date:
    """Parse ``value`` as an ISO date YYYY-MM-DD."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ParameterError(f"{name}={value!r} is not valid; use an ISO date such as '2022-09-21' (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParameterError(f"{name}={value!r} is not a real calendar date; use YYYY-MM-DD") from None


def check_date_order(start_name: str, start: date, end_name: str, end: date) -> None:
    """``start`` must not come after ``end``."""
    if start > end:
        raise ParameterError(f"{start_name}={start.isoformat()!r} is after {end_name}={end.isoformat()!r}; swap them")


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """Return ``value`` if it is a whole number (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(
            f"{name}={value!r} is not valid; use a whole number" + (f" >= {minimum}" if minimum is not None else "")
        )
    if minimum is not None and value < minimum:
        raise ParameterError(f"{name}={value!r} is not valid; use a whole number >= {minimum}")
    return value


def check_codes(name: str, value: Any, known: Iterable[str], *, allow_none: bool = True) -> list[str] | None:
    """Return a sorted list of known country codes, or None for all."""
    known = sorted(known)
    if value is None and allow_none:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise ParameterError(
            f"{name}={value!r} is not valid; use a non-empty list of ISO alpha-3 codes such as ['GEO', 'KAZ'], "
            f"or None for all. Known codes: {', '.join(known)}"
        )
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ParameterError(f"{name} has unknown codes {_listing(unknown)}; known codes: {', '.join(known)}")
    return sorted(set(value))


def check_data_dir(name: str, value: Any) -> Path | None:
    """None means the bundled data; otherwise an existing folder holding datapackage.json."""
    if value is None:
        return None
    if not isinstance(value, str | Path) or not (Path(value) / "datapackage.json").is_file():
        raise ParameterError(
            f"{name}={str(value)!r} is not valid; use None for the bundled data, "
            "or a folder that holds a datapackage.json"
        )
    return Path(value)


def _profiled_countries(ds: Any) -> list[str]:
    """Countries that have a response or an estimate to profile (Russia excluded)."""
    from russian_emigration.analysis import responses
    from russian_emigration.constants import ORIGIN_COUNTRY_CODE

    codes = set(responses(ds)["country_code"].dropna()) | set(ds.estimates["country_code"].dropna())
    return sorted(codes - {ORIGIN_COUNTRY_CODE})


def _vocabulary(ds: Any, table: str, column: str) -> list[str]:
    from russian_emigration.analysis import vocabulary

    return vocabulary(ds, table, column)


#: One validator per notebook parameter name: (dataset, value) -> normalised value.
VALIDATORS: dict[str, Any] = {
    "start_date": lambda ds, v: check_iso_date("start_date", v),
    "end_date": lambda ds, v: check_iso_date("end_date", v),
    "domain": lambda ds, v: check_choice("domain", v, _vocabulary(ds, "emigrants", "domain"), allow_none=True),
    "countries": lambda ds, v: check_codes("countries", v, ds.countries["country_code"]),
    "focus_country": lambda ds, v: check_choice("focus_country", v, _profiled_countries(ds)),
    "min_respondents": lambda ds, v: check_int("min_respondents", v, minimum=0),
    "group_by": lambda ds, v: check_choice("group_by", v, ["station", "country"]),
    "data_dir": lambda ds, v: check_data_dir("data_dir", v),
}


def validate(ds: Any, *, strict: bool = True, **values: Any) -> dict[str, Any]:
    """Check every given notebook parameter against the dataset; return the normalised values.

    Raises ParameterError naming the first bad parameter and what would work. With ``strict``
    (the notebooks' mode) a parameter without a validator is an error; otherwise it passes as is.
    """
    unknown = sorted(set(values) - set(VALIDATORS))
    if unknown and strict:
        raise ParameterError(
            f"no validator for parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(VALIDATORS))}"
        )
    checked = {name: VALIDATORS[name](ds, value) if name in VALIDATORS else value for name, value in values.items()}
    if "start_date" in checked and "end_date" in checked:
        check_date_order("start_date", checked["start_date"], "end_date", checked["end_date"])
    if "min_respondents" in checked:
        largest = int(ds.vote_abroad_stations["respondents"].max())
        if checked["min_respondents"] > largest:
            raise ParameterError(
                f"min_respondents={checked['min_respondents']} leaves no station; "
                f"use at most {largest}, the respondents of the largest station"
            )
    return checked
