"""Validation of notebook parameters, shared by the notebooks and the report runner.

Every check raises :class:`ParameterError` naming the parameter and what would work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
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


def check_iso_date(name: str, value: Any, *, last: bool = False) -> date:
    """Parse ``value`` as an ISO date: YYYY-MM-DD, or the partial forms the data uses, YYYY-MM and YYYY.

    A partial date stands for its first day, or its last day with ``last`` (the end of a window).
    A whole number is a year (papermill's ``-p start_date 2022`` passes one).
    """
    if isinstance(value, date):
        return value
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text.strip()):
        raise ParameterError(
            f"{name}={value!r} is not valid; use an ISO date such as '2022-09-21' (YYYY-MM-DD), '2022-09' or '2022'"
        )
    parts = [int(p) for p in text.strip().split("-")]
    try:
        if len(parts) == 3:
            return date(*parts)
        if len(parts) == 2:
            first = date(parts[0], parts[1], 1)
            return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) if last else first
        return date(parts[0], 12, 31) if last else date(parts[0], 1, 1)
    except ValueError:
        raise ParameterError(f"{name}={value!r} is not a real calendar date; use YYYY-MM-DD, YYYY-MM or YYYY") from None


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


def parse_list(value: Any) -> Any:
    """A list given as text, the way a command line gives it: 'GEO,KAZ', '["GEO", "KAZ"]' or '[GEO, KAZ]'.

    Anything that is not a string comes back unchanged; 'None' and 'all' mean None.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in ("None", "none", "null", "all", ""):
        return None if text else value
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = [part.strip().strip("'\"") for part in text[1:-1].split(",")]
        return parsed if isinstance(parsed, list) else value
    if "," in text or re.fullmatch(r"[A-Za-z]{3}", text):
        return [part.strip() for part in text.split(",")]
    return value


def _by_name(names: Mapping[str, str], value: Any) -> str | None:
    """The code whose name is ``value`` (case and spacing aside), when ``value`` is a country's name."""
    if not isinstance(value, str):
        return None
    wanted = " ".join(value.split()).casefold()
    return next((code for code, name in names.items() if " ".join(str(name).split()).casefold() == wanted), None)


def _name_hints(typed: Iterable[Any], names: Mapping[str, str], valid: Iterable[str]) -> str:
    """' (Georgia is GEO)' for every typed value that is a country's name rather than its code; a
    code that is not valid either says so (' (Japan is JPN, not one of the valid codes)')."""
    valid = set(valid)
    codes = [code for value in typed if (code := _by_name(names, value)) is not None]
    hints = [f"{names[c]} is {c}" + ("" if c in valid else ", not one of the valid codes") for c in codes]
    return f" ({'; '.join(hints)})" if hints else ""


def check_codes(
    name: str,
    value: Any,
    known: Iterable[str],
    *,
    what: str = "known countries",
    names: Mapping[str, str] | None = None,
    allow_none: bool = True,
) -> list[str] | None:
    """Return a sorted list of known country codes, or None for all; text lists are parsed by :func:`parse_list`.

    ``what`` says what the known codes are (in the error); ``names`` (code to name) lets the error
    give the code of a country typed by its name. The error echoes ``value`` as given.
    """
    known = sorted(known)
    parsed = parse_list(value)
    if parsed is None and allow_none:
        return None
    valid = f"use one or more of the {len(known)} {what}: {_listing(known)}; or None for all"
    if isinstance(parsed, str) or not isinstance(parsed, list | tuple) or not parsed:
        raise ParameterError(
            f"{name}={value!r} is not valid{_name_hints([parsed], names or {}, known)}; give a non-empty list of "
            f"ISO alpha-3 codes such as ['GEO', 'KAZ'] or GEO,KAZ; {valid}"
        )
    unknown = [v for v in parsed if not isinstance(v, str) or v.strip().upper() not in known]
    if unknown:
        raise ParameterError(
            f"{name}={value!r} is not valid: no country has the code{'s' if len(unknown) > 1 else ''} "
            f"{_listing(unknown)}{_name_hints(unknown, names or {}, known)}; {valid}"
        )
    return sorted({v.strip().upper() for v in parsed})


def check_country(name: str, value: Any, valid: Sequence[str], *, what: str, names: Mapping[str, str]) -> str:
    """Return the code ``value`` names (case aside) if it is one of ``valid``; the error echoes ``value`` as
    given, says what the valid codes are (``what``), and gives the code of a country typed by its name."""
    code = value.strip().upper() if isinstance(value, str) else value
    if code in valid:
        return str(code)
    raise ParameterError(
        f"{name}={value!r} is not valid{_name_hints([value], names, valid)}; use one of the {len(valid)} {what}: "
        f"{_listing(valid)}"
    )


def check_domain(name: str, value: Any, codes: Sequence[str]) -> str | None:
    """A domain by its code ('stage_and_screen') or its label ('stage and screen'); None for all."""
    from russian_emigration.labels import code_label

    if value is None or value in codes:
        return value
    by_label = {code_label("domain", c): c for c in codes}
    if isinstance(value, str) and value.strip().lower() in by_label:
        return by_label[value.strip().lower()]
    raise ParameterError(
        f"{name}={value!r} is not valid; use one of {_listing(codes)} (or its label, e.g. "
        f"{next((label for label, code in by_label.items() if label != code), next(iter(by_label), ''))!r}) or None"
    )


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


def _country_names(ds: Any) -> dict[str, str]:
    from russian_emigration.analysis import country_names

    return {str(code): str(name) for code, name in country_names(ds).items()}


#: What each country list is, as the errors say it: why ``countries`` takes more codes than ``focus_country``.
COUNTRIES_LIST = "countries of the data's country table (countries.csv), with or without a record"
FOCUS_LIST = "countries with a response or an estimate to profile (Russia aside)"


def _vocabulary(ds: Any, table: str, column: str) -> list[str]:
    from russian_emigration.analysis import vocabulary

    return vocabulary(ds, table, column)


#: One validator per notebook parameter name: (dataset, value) -> normalised value.
VALIDATORS: dict[str, Any] = {
    "start_date": lambda ds, v: check_iso_date("start_date", v),
    "end_date": lambda ds, v: check_iso_date("end_date", v, last=True),
    "domain": lambda ds, v: check_domain("domain", v, _vocabulary(ds, "emigrants", "domain")),
    "countries": lambda ds, v: check_codes(
        "countries", v, ds.countries["country_code"], what=COUNTRIES_LIST, names=_country_names(ds)
    ),
    "focus_country": lambda ds, v: check_country(
        "focus_country", v, _profiled_countries(ds), what=FOCUS_LIST, names=_country_names(ds)
    ),
    "min_respondents": lambda ds, v: check_int("min_respondents", v, minimum=0),
    "group_by": lambda ds, v: check_choice("group_by", v, ["station", "country"]),
    "data_dir": lambda ds, v: check_data_dir("data_dir", v),
}


def valid_values(ds: Any, name: str) -> list[str] | None:
    """The values parameter ``name`` takes in this dataset, when it takes a closed set; else None.

    The same lists the validators check against, so a listing and an error message never disagree.
    """
    closed: dict[str, Any] = {
        "domain": lambda: _vocabulary(ds, "emigrants", "domain"),
        "countries": lambda: sorted(ds.countries["country_code"]),
        "focus_country": lambda: _profiled_countries(ds),
        "group_by": lambda: ["station", "country"],
    }
    return list(closed[name]()) if name in closed else None


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
        respondents = ds.vote_abroad_stations["respondents"]
        if respondents.empty and checked["min_respondents"] > 0:
            raise ParameterError(
                f"min_respondents={checked['min_respondents']} cannot apply: the station table "
                "(vote_abroad_stations) has no rows; use 0"
            )
        largest = int(respondents.max()) if len(respondents) else 0
        if checked["min_respondents"] > largest:
            raise ParameterError(
                f"min_respondents={checked['min_respondents']} leaves no station; "
                f"use at most {largest}, the respondents of the largest station"
            )
    return checked
