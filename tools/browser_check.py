"""Open the built report in headless Chromium and check it as a reader would.

Uses Debian's Chromium (/usr/bin/chromium) through Playwright; never downloads a browser.
Checks that every page loads, every image has a natural width above 0, every link in index.html
resolves, and the console shows no errors. Saves screenshots of the index and one notebook page
into the report folder. Usage: python tools/browser_check.py REPORT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Flags for a closed network and a root user (see the tool library's notes on this machine).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def check(report: Path) -> list[str]:
    """Return the problems found in the report at ``report`` (empty when it passes)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    index = report / "index.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("requestfailed", lambda req: errors.append(f"{page.url}: request failed {req.url}"))
        response = page.goto(index.as_uri())
        if response is None or not response.ok:
            problems.append(f"index.html did not load ({response and response.status})")
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        if not links:
            problems.append("index.html has no links")
        page.screenshot(path=str(report / "screenshot-index.png"), full_page=True)
        for link in links:
            target = (report / link).resolve()
            if not target.is_file():
                problems.append(f"index.html links to {link}, which does not exist")
                continue
            if target.suffix != ".html":
                continue
            response = page.goto(target.as_uri())
            if response is None or not response.ok:
                problems.append(f"{link} did not load")
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            if not widths:
                problems.append(f"{link} shows no images")
            problems += [f"{link}: image {i} has natural width 0" for i, w in enumerate(widths) if w <= 0]
            if link == links[0]:
                page.screenshot(path=str(report / "screenshot-notebook.png"), full_page=False)
        browser.close()
    return problems + [f"console error: {e}" for e in errors]


def self_test(report: Path) -> list[str]:
    """Break a copy of the report in three ways; return what the check failed to catch."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        broken = Path(tmp) / "report"
        shutil.copytree(report, broken)
        index = broken / "index.html"
        index.write_text(
            index.read_text(encoding="utf-8").replace("</ol>", '<li><a href="missing.html">x</a></li></ol>'),
            encoding="utf-8",
        )
        page = sorted(broken.glob("0*.html"))[0]
        page.write_text(
            page.read_text(encoding="utf-8").replace(
                "</body>", '<img src="data:image/png;base64,AAAA"><script>undefinedFunction()</script></body>'
            ),
            encoding="utf-8",
        )
        found = " ".join(check(broken))
    expected = {
        "dangling link": "missing.html",
        "undecodable image": "natural width 0",
        "script error": "undefinedFunction",
    }
    return [name for name, text in expected.items() if text not in found]


def main(argv: list[str]) -> int:
    report = Path(argv[1] if len(argv) > 1 else "reports").resolve()
    problems = check(report)
    for problem in problems:
        print(f"FAIL {problem}")
    missed = self_test(report)
    for name in missed:
        print(f"FAIL self-test: a {name} in a broken copy of the report went unnoticed")
    print(
        f"browser check of {report}: {'passed' if not problems else f'{len(problems)} problem(s)'}; "
        f"self-test: {'caught all 3 planted faults' if not missed else f'missed {len(missed)}'}"
    )
    return 1 if problems or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
