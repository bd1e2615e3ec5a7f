"""PDF: print each HTML handout through headless Chromium.

Chromium (Debian's ``chromium`` package) is the engine because the tests already
need a real browser for the HTML: the PDF is then exactly what a clinic gets
when it prints the page, with the same fonts, right-to-left layout and CJK line
breaking, and the ``@page`` margin boxes (running footer, page numbers) of the
stylesheet.  WeasyPrint would be a second layout engine to keep in step.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .documents import new_mode, temporary_name
from .errors import HandoutsError

ENGINES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_engine() -> str:
    """The browser to print with (``HANDOUTS_CHROMIUM`` overrides the search)."""
    configured = os.environ.get("HANDOUTS_CHROMIUM")
    candidates = [configured] if configured else list(ENGINES)
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    raise HandoutsError(
        "build --pdf",
        "no PDF engine: install headless Chromium (Debian/Ubuntu: apt-get install -y chromium) "
        "or point HANDOUTS_CHROMIUM at a Chromium or Chrome binary",
    )


def chromium_command(engine: str, *args: str) -> list[str]:
    return [engine, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--hide-scrollbars", *args]


def _run_to_file(engine: str, html: Path, out: Path, what: str, *flags: str, paper: str | None = None) -> None:
    """Run Chromium with ``flags`` (which name ``{tmp}``), writing ``out`` via a temporary file.

    ``paper`` (``A4``, ``Letter``) is set at print time: Chromium prints a temporary copy of the
    page, beside it (so that its relative links resolve), with ``@page { size: ... }`` added; the
    page itself, which a clinic may print from the browser on any paper, is not touched.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(out, out.suffix)
    page = html
    try:
        if paper:
            page = temporary_name(html, ".html")
            text = html.read_text(encoding="utf-8")
            page.write_text(text.replace("</style>", f"@page {{ size: {paper}; }}\n</style>", 1), encoding="utf-8")
        args = [f.format(tmp=tmp) for f in flags]
        result = subprocess.run(chromium_command(engine, *args, page.resolve().as_uri()),
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            raise HandoutsError(str(html), f"Chromium could not {what}: {result.stderr.strip()[-300:]}")
        os.chmod(tmp, new_mode(out))  # Chromium writes 0600; a web server or a colleague must read it
        os.replace(tmp, out)
    finally:
        for path in (tmp, page):
            if path != html and path.exists():
                path.unlink()


def print_pdf(engine: str, html: Path, pdf: Path, paper: str = "A4") -> None:
    """Print ``html`` to ``pdf`` on ``paper`` as the browser's Print button would, margin boxes included."""
    _run_to_file(engine, html, pdf, "print this page", "--no-pdf-header-footer", "--print-to-pdf={tmp}",
                 paper=paper)


def screenshot(engine: str, html: Path, png: Path, width: int = 800, height: int = 1200) -> None:
    """A PNG of the top of the page as a reader sees it on screen, for reviewers."""
    _run_to_file(engine, html, png, "take a screenshot", f"--window-size={width},{height}", "--screenshot={tmp}")
