"""The repository keeps its promises: the notebooks' skeleton, environment.yml in sync, the dictionary
up to date, a self-documenting Makefile, CI running the README's test command."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

from russian_emigration.dictionary import render_file
from russian_emigration.execute import notebook_paths

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_paths(REPO / "notebooks")
#: conda-forge names where they differ from PyPI's, and what conda users get that pip installs apart.
CONDA_NAMES = {"build": "python-build"}
CONDA_ONLY = {"python", "pip", "jupyterlab"}


def test_four_numbered_notebooks() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_has_its_skeleton_and_stored_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source.startswith("# ") and "**Question.**" in nb.cells[0].source
    assert [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"][-1] == "## Caveats and sources"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "re-run with `make notebooks`"
    assert all(c.outputs for c in code[1:]), "a cell after the parameters has no stored output"
    assert not any(o.get("output_type") == "error" or o.get("name") == "stderr" for c in code for o in c.outputs)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert code[0].metadata["tags"] == ["parameters", "remove-cell"]
    assert code[1].metadata == {"tags": ["hide-input"], "mystnb": {"remove_code_source": False}}, "the set-up toggle"
    assert any('class="re-chart"' in "".join(o.get("data", {}).get("text/html", "")) for c in code for o in c.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_annotated_literals_with_help_and_all_validated(path: Path) -> None:
    import papermill

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    names = []
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.AnnAssign):
            ast.literal_eval(node.value)
            names.append(node.target.id)
        else:
            assert isinstance(node, ast.ImportFrom) and node.module == "typing"
    inspected = papermill.inspect_notebook(str(path))
    assert list(inspected) == names and all(p["help"] for p in inspected.values())
    setup = nb.cells[nb.cells.index(cell) + 1].source
    for name in names:
        assert ("check_data_dir(data_dir)" if name == "data_dir" else f"{name}={name}") in setup, name


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


def test_environment_yml_matches_pyproject() -> None:
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    conda = {}
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s+- ([A-Za-z0-9_.-]+)([<>=!].*)?$", line)
        if match:
            conda[match.group(1).lower()] = (match.group(2) or "").replace(" ", "")
    pip = pyproject_requirements()
    assert set(conda) - CONDA_ONLY == set(pip) - CONDA_ONLY, "packages differ"
    assert all(conda[name] == spec for name, spec in pip.items()), "versions differ"
    assert conda["python"] == "=3.11" and "-e ." in text


def test_the_data_dictionary_is_up_to_date() -> None:
    expected = render_file(REPO / "data" / "datapackage.json")
    assert (REPO / "data" / "README.md").read_text(encoding="utf-8") == expected, "run `make data-dictionary`"


def test_the_makefile_lists_every_target_and_ci_runs_the_readme_commands() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    phony = re.search(r"^\.PHONY: (.*)$", makefile, re.M).group(1).split()
    assert set(phony) == set(re.findall(r"^([a-z-]+):.*## ", makefile, re.M))
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make test" in ci and "make test" in readme and "make check-notebooks" in ci
