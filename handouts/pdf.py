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


def print_pdf(engine: str, html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` (written to a temporary file, then renamed)."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{pdf.name}.", suffix=".tmp", dir=pdf.parent)
    os.close(fd)
    try:
        result = subprocess.run(
            chromium_command(engine, "--no-pdf-header-footer", f"--print-to-pdf={tmp}", html.resolve().as_uri()),
            capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0 or os.path.getsize(tmp) == 0:
            raise HandoutsError(str(html), f"Chromium could not print this page: {result.stderr.strip()[-300:]}")
        os.replace(tmp, pdf)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def screenshot(engine: str, html: Path, png: Path, width: int = 800, height: int = 1200) -> None:
    """A PNG of the top of the page as a reader sees it on screen, for reviewers."""
    png.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{png.stem}.", suffix=".png", dir=png.parent)
    os.close(fd)
    try:
        result = subprocess.run(
            chromium_command(engine, f"--window-size={width},{height}", f"--screenshot={tmp}", html.resolve().as_uri()),
            capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0 or os.path.getsize(tmp) == 0:
            raise HandoutsError(str(html), f"Chromium could not take a screenshot: {result.stderr.strip()[-300:]}")
        os.replace(tmp, png)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
