"""One call to make a notebook's output deterministic and readable."""

from __future__ import annotations

import pandas as pd

PANDAS_OPTIONS = {
    "display.max_columns": 30,
    "display.max_rows": 120,
    "display.width": 160,
    "display.precision": 2,
    "display.max_colwidth": 90,
    "display.show_dimensions": False,
}


def setup_notebook() -> None:
    """Set pandas display options, the matplotlib style and PNG inline figures; silence no warnings but named ones."""
    for key, value in PANDAS_OPTIONS.items():
        pd.set_option(key, value)
    from russian_emigration.charts import apply_style

    apply_style()
    shell = _kernel_shell()
    if shell is None:  # a plain script or a test: nothing inline to configure
        return
    # A kernel inherits MPLBACKEND from whoever started it (make exports agg for scripts), so
    # choose the inline backend explicitly: charts must always be stored in the notebook.
    shell.run_line_magic("matplotlib", "inline")
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png", bbox_inches=None)  # finish() lays the figure out; one draw, not two
    apply_style()  # %matplotlib inline resets some rcParams


def _kernel_shell():
    """The IPython shell of the running Jupyter kernel, or None outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def show(text: str) -> None:
    """Display a sentence written with numbers from the data, as Markdown."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def table(frame: pd.DataFrame, columns: dict[str, str] | list[str]) -> pd.DataFrame:
    """Pick and rename columns for display: blanks for missing text, lists as '59; 60', rows numbered from 1."""
    mapping = columns if isinstance(columns, dict) else {c: c for c in columns}
    out = frame[list(mapping)].rename(columns=mapping).reset_index(drop=True)
    for column in out.columns:
        values = out[column]
        if values.dtype == object and values.map(lambda v: isinstance(v, tuple)).any():
            out[column] = values.map(lambda v: "; ".join(map(str, v)) if isinstance(v, tuple) else v)
        elif isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values.dtype):
            out[column] = values.astype(object).where(values.notna(), "")
    out.index = out.index + 1
    return out
