"""Notebook parameters: the one parser and validator, for the notebooks and the report runner alike. A value may
be the notebook's own type or text as a command line gives it (``all``, ``GEO,KAZ``, ``[GEO, KAZ]``, JSON); every
mistake raises :class:`ParameterError` naming the parameter, what was typed and what would work."""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from russian_emigration.constants import ORIGIN_COUNTRY_CODE
from russian_emigration.labels import code_label

#: Words that mean "no value": all countries, all domains, the bundled data.
NONE_WORDS = {"", "none", "null", "all"}
GROUPINGS = ["station", "country"]
DATE_FORMS = "an ISO date: YYYY-MM-DD, YYYY-MM or YYYY (up to 9999-12-31)"


class ParameterError(ValueError):
    """A notebook or report parameter has a value it cannot use."""


def _listing(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _text(name: str, value: Any) -> str:
    """``value`` as stripped text, refused if it holds anything but ASCII (a look-alike letter or digit)."""
    text = str(value).strip()
    foreign = [c for c in dict.fromkeys(text) if not c.isascii()]
    if foreign:
        seen = "; ".join(f"{c!r} is U+{ord(c):04X} {unicodedata.name(c, 'an unnamed character')}" for c in foreign)
        raise ParameterError(f"{name}={value!r} holds characters that are not plain ASCII ({seen}); retype it")
    return text


def is_none(value: Any) -> bool:
    """Whether ``value`` means "no value": None, or a word such as ``all`` or ``None``."""
    return value is None or (isinstance(value, str) and value.strip().lower() in NONE_WORDS)


def parse_list(name: str, value: Any) -> list[str] | None:
    """A list as a command line gives it: ``GEO,KAZ``, ``["GEO", "KAZ"]``, ``[GEO, KAZ]``; None for all."""
    if is_none(value):
        return None
    if isinstance(value, list | tuple):
        return [_text(name, v) for v in value]
    text = _text(name, value)  # not empty: that means all
    if not (text.startswith("[") and text.endswith("]")):
        return [part.strip() for part in text.split(",")]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = [part.strip().strip("'\"") for part in text[1:-1].split(",")]
    if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
        return [v.strip() for v in parsed]
    raise ParameterError(f'{name}={value!r} is not a list; write GEO,KAZ or ["GEO", "KAZ"], or all')


def _code_hints(typed: Iterable[str], names: Mapping[str, str], valid: Iterable[str]) -> str:
    """' (Georgia is GEO)' for each value that is a country's name rather than its code."""
    by_name = {" ".join(n.split()).casefold(): code for code, n in names.items()}
    codes = [by_name.get(" ".join(str(value).split()).casefold()) for value in typed]
    hints = [f"{names[c]} is {c}" + ("" if c in valid else ", not one of the valid codes") for c in codes if c]
    return f" ({'; '.join(hints)})" if hints else ""


def check_countries(value: Any, names: Mapping[str, str]) -> list[str] | None:
    """Sorted country codes of the ``countries`` table (case aside), or None for all."""
    codes = parse_list("countries", value)
    if codes is None:
        return None
    unknown = [c for c in codes if c.upper() not in names]
    if unknown or not codes:
        code = f"code{'s' if len(unknown) > 1 else ''} {_listing(unknown)}{_code_hints(unknown, names, names)}"
        use = f"ISO alpha-3 codes of the data's countries table ({_listing(sorted(names))}), such as GEO,KAZ, or all"
        raise ParameterError(f"countries={value!r} is not valid: no country has the {code}; use {use}")
    return sorted({c.upper() for c in codes})


def check_focus_country(value: Any, ds: Any, names: Mapping[str, str]) -> str:
    """A code of :func:`profiled_countries` (case aside); the error lists them and gives a name's code."""
    code, valid = _text("focus_country", value).upper(), profiled_countries(ds)
    if code in valid:
        return code
    what = f"one of the {len(valid)} countries with a response or an estimate (Russia aside): {_listing(valid)}"
    raise ParameterError(f"focus_country={value!r} is not valid{_code_hints([str(value)], names, valid)}; use {what}")


def check_domain(value: Any, codes: list[str]) -> str | None:
    """A domain by its code (``stage_and_screen``) or its label (``stage and screen``); None for all."""
    if is_none(value):
        return None
    text = _text("domain", value).lower()
    by_label = {code_label("domain", c): c for c in codes}
    if text in codes or text in by_label:
        return by_label.get(text, text)
    what = f"one of {_listing(codes)}, a label such as 'stage and screen', or all"
    raise ParameterError(f"domain={value!r} is not valid; use {what}")


def check_date(name: str, value: Any, *, last: bool = False) -> date:
    """A date from YYYY-MM-DD, YYYY-MM, YYYY or a year as a number: its first day, or with ``last`` its last."""
    if isinstance(value, date):
        return value
    text = f"{value:04d}" if isinstance(value, int) and not isinstance(value, bool) else _text(name, value)
    match = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?", text)
    if not match or (match[3] and not match[2]):
        raise ParameterError(f"{name}={value!r} is not valid; use {DATE_FORMS}, such as 2022-09-21, 2022-09 or 2022")
    try:
        year, month = int(match[1]), int(match[2] or (12 if last else 1))
        return date(year, month, int(match[3] or (calendar.monthrange(year, month)[1] if last else 1)))
    except ValueError:
        raise ParameterError(f"{name}={value!r} is not a real calendar date; use {DATE_FORMS}") from None


def check_min_respondents(value: Any, ds: Any, countries: list[str] | None = None) -> int:
    """A whole number >= 0 that leaves at least one station (of ``countries``; None for all)."""
    text = _text("min_respondents", value)
    if not re.fullmatch(r"[+]?[0-9]{1,18}", text):
        raise ParameterError(f"min_respondents={value!r} is not valid; use a whole number >= 0, such as 500")
    number, stations = int(text), ds.vote_abroad_stations
    chosen = stations if countries is None else stations[stations["country_code"].isin(countries)]
    respondents = [int(r) for r in chosen["respondents"]]
    if number and not respondents:
        raise ParameterError(f"min_respondents={number} cannot apply: the station table has no rows; use 0")
    if respondents and number > max(respondents):
        use = f"use at most {max(respondents)}, the respondents of the largest station"
        raise ParameterError(f"min_respondents={number} leaves no station; {use}")
    return number


def check_choice(name: str, value: Any, choices: list[str]) -> str:
    """``value`` if it is one of ``choices``."""
    if isinstance(value, str) and value.strip() in choices:
        return value.strip()
    raise ParameterError(f"{name}={value!r} is not valid; use one of {_listing(choices)}")


def check_data_dir(value: Any) -> Path | None:
    """None for the bundled data; otherwise a folder that holds a datapackage.json."""
    folder = None if is_none(value) else Path(str(value))
    if folder is not None and not (folder / "datapackage.json").is_file():
        what = "use None for the bundled data, or a folder that holds a datapackage.json"
        raise ParameterError(f"data_dir={str(value)!r} is not valid; {what}")
    return folder


def profiled_countries(ds: Any) -> list[str]:
    """The countries ``focus_country`` may name: those with a response or an estimate (Russia aside)."""
    responding = ds.events.loc[ds.events["theme"] == "response", "country_code"]
    return sorted((set(responding.dropna()) | set(ds.estimates["country_code"].dropna())) - {ORIGIN_COUNTRY_CODE})


def _domains(ds: Any) -> list[str]:
    return ds.emigrants["domain"].cat.categories.tolist()  # the descriptor's enum, in its order (as loaded)


def valid_values(ds: Any, name: str) -> list[str] | None:
    """The values parameter ``name`` takes in this data, when it takes a closed set; else None."""
    closed = {"domain": _domains, "focus_country": profiled_countries, "group_by": lambda d: GROUPINGS}
    closed["countries"] = lambda d: sorted(d.countries["country_code"])
    return closed[name](ds) if name in closed else None


def validate(ds: Any, **values: Any) -> dict[str, Any]:
    """The given notebook parameters checked against ``ds``: dates, sorted country codes (None: all), ints."""
    names = {str(c): str(n) for c, n in zip(ds.countries["country_code"], ds.countries["country_name"], strict=True)}
    checked: dict[str, Any] = {}
    checks = {
        "start_date": lambda v: check_date("start_date", v),
        "end_date": lambda v: check_date("end_date", v, last=True),
        "domain": lambda v: check_domain(v, _domains(ds)),
        "countries": lambda v: check_countries(v, names),
        "focus_country": lambda v: check_focus_country(v, ds, names),
        "group_by": lambda v: check_choice("group_by", v, GROUPINGS),
        "data_dir": check_data_dir,
        "min_respondents": lambda v: check_min_respondents(v, ds, checked.get("countries")),
    }
    unknown = sorted(set(values) - set(checks))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {_listing(unknown)}; known: {', '.join(sorted(checks))}")
    for name in sorted(values, key=lambda n: n == "min_respondents"):  # after the countries it depends on
        checked[name] = checks[name](values[name])
    start, end = checked.get("start_date"), checked.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and start > end:
        raise ParameterError(f"start_date={start.isoformat()!r} is after end_date={end.isoformat()!r}; swap them")
    return checked
