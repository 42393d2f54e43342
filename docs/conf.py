"""Sphinx configuration of the report site.

The report runner (``python -m russian_emigration report``) copies this folder into a staging
folder, adds the executed notebooks, the data package (``_extra/data``) and ``build.json`` (what
this build used), and runs ``python -m sphinx`` there. Nothing is executed here: the notebooks
arrive executed.
"""

import html
import json
from pathlib import Path

from russian_emigration import __version__

project = "Russian emigration since 2022"
author = "russian-emigration contributors"
release = version = __version__
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "russian_emigration.sphinx_ext"]
exclude_patterns = ["_build", "_extra", "build.json", "**.ipynb_checkpoints", "run"]
re_build = (
    json.loads((Path(__file__).with_name("build.json")).read_text(encoding="utf-8"))
    if (Path(__file__).with_name("build.json")).is_file()
    else {}
)

# MyST-NB renders what the runner executed; code is left out of the pages (each page keeps one toggle
# for its set-up code, by its own cell metadata) and every notebook is one click away as a download.
nb_execution_mode = "off"
nb_remove_code_source = True
nb_code_prompt_show = "Show the set-up code"
nb_code_prompt_hide = "Hide the set-up code"
myst_enable_extensions = ["colon_fence"]
# Straight quotes as written: a finding pasted on the landing page reads exactly as on its page.
smartquotes = False
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
templates_path = ["_templates"]
html_sidebars = {"**": ["site-title.html", "icon-links.html", "sbt-sidebar-nav.html"]}  # one search box: the header's
html_css_files = ["site.css"]
html_js_files = ["site.js"]
html_extra_path = ["_extra"]
html_last_updated_fmt = "%Y-%m-%d"
html_show_sourcelink = False
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
}
html_context = {"default_mode": "light"}
# The footer links to the project's repository when pyproject.toml names one ([project.urls]).
if re_build.get("repository"):
    repository, report_url = (html.escape(re_build.get(k) or re_build["repository"]) for k in ("repository", "issues"))
    html_theme_options["extra_footer"] = (
        f'<p>Code and data: <a href="{repository}">{repository}</a>. Found an error or a better source? '
        f'<a href="{report_url}">Report an error</a>, naming the table, the row id and the source that says '
        "otherwise.</p>"
    )

autodoc_typehints = "description"
autodoc_member_order = "bysource"
