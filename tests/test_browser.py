"""The handouts in a real browser: headless Chromium prints them, poppler reads the PDFs back.

.ci/run installs chromium, poppler-utils and the Noto fonts, so these run in CI; on a
machine without them they are skipped, except under CI, where a missing tool fails.
"""
import os
import re
import shutil
import subprocess
import unicodedata

import polib
import pytest

from handouts.pdf import chromium_command, find_engine
from conftest import ROOT, run_pipeline

LOCALES = ["en", "ar", "de", "es", "fr", "zh_CN"]
TOOLS = ["chromium", "pdftotext", "pdfinfo", "pdftoppm"]


def _require_tools():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        message = f"missing {', '.join(missing)} (apt-get install -y chromium poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    _require_tools()
    root = tmp_path_factory.mktemp("print")
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copytree(ROOT / "locale", root / "locale")
    assert run_pipeline("-C", str(root), "update").returncode == 0
    r = run_pipeline("-C", str(root), "build", "--pdf")
    assert r.returncode == 0, r.stderr
    return root


def _title(code):
    if code == "en":
        return "Ketamine"
    return polib.pofile(str(ROOT / "locale" / code / "LC_MESSAGES" / "ketamine.po")).find("Ketamine").msgstr


def _plain(text):
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069\s]", "", text)


@pytest.mark.parametrize("code", LOCALES)
def test_printed_handout_fits_two_a4_pages_and_shows_its_title(printed, code):
    pdf = printed / "output" / code / "ketamine.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 1 <= pages <= 2, f"{code}: {pages} pages"
    assert "(A4)" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert _plain(_title(code)) in _plain(text)


@pytest.mark.parametrize("code", LOCALES)
def test_printed_pages_are_not_blank(printed, code, tmp_path):
    pdf = printed / "output" / code / "ketamine.pdf"
    subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    (pgm,) = list(tmp_path.glob("p*.pgm"))
    data = pgm.read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    pixels = data[header.end():]
    dark = sum(1 for b in pixels if b < 128)
    assert dark / len(pixels) > 0.01, f"{code}: page 1 is blank"


@pytest.mark.parametrize("code", LOCALES)
def test_running_footer_has_title_language_and_page_number(printed, code):
    pdf = printed / "output" / code / "ketamine.pdf"
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    text = re.sub(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    assert re.search(r"1\s*/\s*2|2\s*/\s*1", text)  # an Arabic page reads it right to left
    assert f"{_title(code)} —" in text or f"— {_title(code)}" in text or _title(code) in text


@pytest.mark.parametrize("width", [360, 794], ids=["phone", "A4"])
@pytest.mark.parametrize("code", LOCALES)
def test_no_horizontal_overflow(printed, code, width, tmp_path):
    html = (printed / "output" / code / "ketamine.html").read_text(encoding="utf-8")
    probe = ("<script>document.body.setAttribute('data-overflow', String("
             "document.documentElement.scrollWidth > document.documentElement.clientWidth))</script></body>")
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", probe), encoding="utf-8")
    dom = subprocess.run(chromium_command(find_engine(), f"--window-size={width},900", "--dump-dom", page.as_uri()),
                         capture_output=True, text=True, timeout=120).stdout
    assert 'data-overflow="false"' in dom, f"{code} overflows at {width}px"


def test_a_screenshot_per_locale_is_written_for_reviewers(printed):
    for code in LOCALES:
        png = printed / "output" / "screenshots" / f"{code}-ketamine.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_links_are_printed_with_their_target(tmp_path):
    _require_tools()
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "help.md").write_text("# Help\n\nCall [NHS 111](https://111.nhs.uk) for advice.\n",
                                                 encoding="utf-8")
    r = run_pipeline("-C", str(tmp_path), "build", "--pdf")
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "output" / "en" / "help.pdf"), "-"],
                          capture_output=True, text=True).stdout
    assert "NHS 111 (https://111.nhs.uk)" in " ".join(text.split())


def test_letter_paper(tmp_path):
    _require_tools()
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "help.md").write_text("# Help\n\nRest.\n", encoding="utf-8")
    assert run_pipeline("-C", str(tmp_path), "build", "--pdf", "--paper", "Letter").returncode == 0
    info = subprocess.run(["pdfinfo", str(tmp_path / "output" / "en" / "help.pdf")], capture_output=True, text=True).stdout
    assert "(letter)" in info.lower()


def test_missing_engine_gets_a_clear_message(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "help.md").write_text("# Help\n\nRest.\n", encoding="utf-8")
    env_path = os.environ.get("PATH", "")
    os.environ["HANDOUTS_CHROMIUM"] = "no-such-browser"
    try:
        r = run_pipeline("-C", str(tmp_path), "build", "--pdf")
    finally:
        del os.environ["HANDOUTS_CHROMIUM"]
        os.environ["PATH"] = env_path
    assert r.returncode == 2
    assert "error: no PDF engine" in r.stderr and "apt-get install -y chromium" in r.stderr
    assert "Traceback" not in r.stderr
