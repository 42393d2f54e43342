"""The repository keeps its promises: environment.yml in sync, data dictionary up to date."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from russian_emigration.dictionary import render_file

REPO = Path(__file__).resolve().parents[1]
# conda-forge names for the PyPI names where they differ
CONDA_NAMES = {"build": "python-build"}
# tools conda users get that the pip path installs separately (documented extras)
CONDA_ONLY = {"python", "pip", "jupyterlab"}


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in ("report", "test", "lab"):
        reqs += [r for r in project["optional-dependencies"][extra] if not r.startswith("russian-emigration")]
    out = {}
    for req in reqs:
        name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", req).groups()
        out[CONDA_NAMES.get(name.lower(), name.lower())] = spec.replace(" ", "").replace("==", "=")
    return out


def environment_requirements() -> dict[str, str]:
    out = {}
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s+- ([A-Za-z0-9_.-]+)([<>=!].*)?$", line)
        if match:
            out[match.group(1).lower()] = (match.group(2) or "").replace(" ", "")
    return out


def test_environment_yml_matches_pyproject() -> None:
    pip = pyproject_requirements()
    conda = environment_requirements()
    assert set(conda) - CONDA_ONLY == set(pip) - CONDA_ONLY, "packages differ"
    for name, spec in pip.items():
        assert conda[name] == spec, f"{name}: environment.yml has {conda[name]!r}, pyproject.toml {spec!r}"
    assert conda["python"] == "=3.11"
    assert "-e ." in (REPO / "environment.yml").read_text(encoding="utf-8")


def test_data_dictionary_is_up_to_date() -> None:
    expected = render_file(REPO / "data" / "datapackage.json")
    actual = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    assert actual == expected, "data/README.md is stale: run `make data-dictionary`"


def test_makefile_help_lists_every_target() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    phony = re.search(r"^\.PHONY: (.*)$", makefile, re.M).group(1).split()
    documented = set(re.findall(r"^([a-z-]+):.*## ", makefile, re.M))
    assert set(phony) == documented


def test_ci_calls_make_test() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_xdist_groups_name_existing_tests_and_keep_each_notebook_together() -> None:
    """A renamed test would silently leave its group (and rebuild a shared fixture on each worker)."""
    from tests.conftest import GROUPS, group_of

    for key in GROUPS:
        file, _, name = key.partition("::")
        assert (REPO / file).is_file(), key
        assert not name or f"def {name}(" in (REPO / file).read_text(encoding="utf-8"), key
    assert group_of("notebooks/01_causes.ipynb::Cell 0") == group_of("notebooks/01_causes.ipynb::Cell 5")
    assert group_of("notebooks/01_causes.ipynb::Cell 0") != group_of("notebooks/02_notable_emigrants.ipynb::Cell 0")
    assert group_of("tests/test_site.py::test_png_fixture_decodes") == "default-build"
    assert group_of("tests/test_data.py::test_x[a]") == "tests/test_data.py::test_x[a]"
