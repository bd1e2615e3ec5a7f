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
import tempfile
from pathlib import Path

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


def _run_to_file(engine: str, html: Path, out: Path, what: str, *flags: str) -> None:
    """Run Chromium with ``flags`` (which name ``{tmp}``), writing ``out`` via a temporary file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".tmp{out.suffix}", dir=out.parent)
    os.close(fd)
    try:
        args = [f.format(tmp=tmp) for f in flags]
        result = subprocess.run(chromium_command(engine, *args, html.resolve().as_uri()),
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or os.path.getsize(tmp) == 0:
            raise HandoutsError(str(html), f"Chromium could not {what}: {result.stderr.strip()[-300:]}")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def print_pdf(engine: str, html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` as the browser's Print button would, margin boxes included."""
    _run_to_file(engine, html, pdf, "print this page", "--no-pdf-header-footer", "--print-to-pdf={tmp}")


def screenshot(engine: str, html: Path, png: Path, width: int = 800, height: int = 1200) -> None:
    """A PNG of the top of the page as a reader sees it on screen, for reviewers."""
    _run_to_file(engine, html, png, "take a screenshot", f"--window-size={width},{height}", "--screenshot={tmp}")
