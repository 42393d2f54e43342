"""Build the wheel, install it into a fresh virtual environment and use it from another folder.

Proves that the data package, the notebooks, the site's Sphinx project, CITATION.cff and the licences
ship inside the wheel: `load_dataset()` and `validate` must work with no checkout in sight. Run by `make wheel-check`
(and by CI).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECK = """
import russian_emigration, pathlib
from russian_emigration import load_dataset, data_dir
from russian_emigration.report import _packaged, notebooks_dir
from russian_emigration.execute import notebook_paths
ds = load_dataset()
assert ds.vote_abroad_stations.shape[0] == 62, ds
here = pathlib.Path(russian_emigration.__file__).parent
assert data_dir() == here / "data", data_dir()
assert [p.name for p in notebook_paths(notebooks_dir())][:1] == ["01_causes.ipynb"], notebooks_dir()
assert notebooks_dir() == here / "notebooks"
docs = _packaged("docs")
assert docs == here / "docs" and (docs / "conf.py").is_file() and (docs / "_static" / "site.js").is_file(), docs
assert _packaged("about") == here / "about"
assert all((_packaged("about") / n).is_file() for n in ("CITATION.cff", "LICENSE", "DATA_LICENSE.md"))
# The `notebooks` verb rewrites a checkout's notebooks; from a wheel it must refuse and touch nothing.
import subprocess, sys
before = {p: p.read_bytes() for p in notebook_paths(notebooks_dir())}
run = subprocess.run([sys.executable, "-m", "russian_emigration", "notebooks"], capture_output=True, text=True)
assert run.returncode == 2 and "installed, not a checkout" in run.stderr, run
assert before == {p: p.read_bytes() for p in notebook_paths(notebooks_dir())}
run = subprocess.run([sys.executable, "-m", "russian_emigration", "validate"], capture_output=True, text=True)
assert run.returncode == 0 and run.stdout.startswith("valid: data/datapackage.json, 7 tables"), run
print("wheel OK:", ds)
"""


def run(*args: str, cwd: Path) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True, cwd=cwd)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        run(sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(REPO), cwd=REPO)
        wheel = next((tmp_path / "dist").glob("russian_emigration-*.whl"))
        venv.create(tmp_path / "venv", with_pip=True)
        python = tmp_path / "venv" / "bin" / "python"
        run(str(python), "-m", "pip", "install", "--quiet", str(wheel), cwd=tmp_path)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        run(str(python), "-c", CHECK, cwd=elsewhere)
    return 0


if __name__ == "__main__":
    sys.exit(main())
