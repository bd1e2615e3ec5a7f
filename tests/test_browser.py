"""The handouts in a real browser: headless Chromium prints them, poppler reads the PDFs back.

.ci/run installs chromium, poppler-utils and the Noto fonts, so these run in CI; on a
machine without them they are skipped, except under CI, where a missing tool fails.
"""
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata

import polib
import pytest

from handouts.pdf import Printer, chromium_command, find_engine
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
    r = run_pipeline("-C", str(root), "build", "--pdf", "--large-print")
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


EMERGENCY = "If you feel very unwell or think you need emergency help, call your local emergency number now."


@pytest.mark.parametrize("variant", ["", ".large", ".bilingual"])
@pytest.mark.parametrize("code", LOCALES)
def test_the_urgent_line_is_on_the_first_page(printed, code, variant):
    """The ketamine handout marks its emergency line urgent: a patient who reads page 1 reads it."""
    if code == "en" and variant == ".bilingual":
        pytest.skip("English has no bilingual handout")
    urgent = EMERGENCY if code == "en" else polib.pofile(
        str(ROOT / "locale" / code / "LC_MESSAGES" / "ketamine.po")).find(EMERGENCY).msgstr
    pdf = printed / "output" / code / f"ketamine{variant}.pdf"
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    if variant == ".bilingual":  # the two columns interleave line by line in the text layer
        assert set(re.findall(r"\w+", urgent + EMERGENCY)) <= set(re.findall(r"\w+", first))
    else:
        assert _plain(urgent) in _plain(first)


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


@pytest.fixture(scope="module")
def browser():
    """One real headless Chromium for this file's layout probes, the build's own printer (driven over the
    DevTools pipe): each probe loads its page in a new tab at the viewport asked, as ``--window-size``
    would, without starting a browser per probe."""
    _require_tools()
    with Printer(find_engine()) as printer:
        yield printer


def _dump_dom(browser, page, width, height):
    """The page's DOM once it has loaded and its scripts have run, at this viewport (``--dump-dom``)."""
    with browser._tab(page, page, "read this page", (width, height)) as session:
        return browser._call("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                                  "returnByValue": True}, session)["result"]["value"]


@pytest.mark.parametrize("width", [360, 794], ids=["phone", "A4"])
@pytest.mark.parametrize("code", LOCALES)
def test_no_horizontal_overflow(printed, browser, code, width, tmp_path):
    html = (printed / "output" / code / "ketamine.html").read_text(encoding="utf-8")
    probe = ("<script>document.body.setAttribute('data-overflow', String("
             "document.documentElement.scrollWidth > document.documentElement.clientWidth))</script></body>")
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", probe), encoding="utf-8")
    dom = _dump_dom(browser, page, width, 900)
    assert 'data-overflow="false"' in dom, f"{code} overflows at {width}px"


def _probe(browser, html_path, script, width, tmp_path, height=900):
    """Load a page in Chromium at a window width, run ``script`` (which sets data-probe on <body>), read it back."""
    html = html_path.read_text(encoding="utf-8")
    page = html_path.parent / f".probe-{tmp_path.name}.html"  # beside the page, so relative links resolve
    page.write_text(html.replace("</body>", f"<script>{script}</script></body>"), encoding="utf-8")
    try:
        dom = _dump_dom(browser, page, width, height)
    finally:
        page.unlink()
    m = re.search(r'data-probe="([^"]*)"', dom)
    assert m, dom[-500:]
    return m.group(1)


_LAYOUT = """
var rows = [];
document.querySelectorAll('.passage').forEach(function (p) {
  var t = p.querySelector('.translated').getBoundingClientRect(), e = p.querySelector('.english').getBoundingClientRect();
  rows.push([Math.round(t.left), Math.round(t.top), Math.round(t.bottom), Math.round(e.left), Math.round(e.top)].join(','));
});
var over = document.documentElement.scrollWidth > document.documentElement.clientWidth;
document.body.setAttribute('data-probe', (over ? 'overflow' : 'fits') + ';' + rows.join(';'));
"""


@pytest.mark.parametrize("width", [360, 794, 1200], ids=["phone", "A4", "desktop"])
@pytest.mark.parametrize("code", [c for c in LOCALES if c != "en"])
def test_bilingual_columns_side_by_side_and_stacked_on_a_phone(printed, browser, code, width, tmp_path):
    result = _probe(browser, printed / "output" / code / "ketamine.bilingual.html", _LAYOUT, width, tmp_path)
    fits, *rows = result.split(";")
    assert fits == "fits", f"{code} overflows at {width}px"
    assert len(rows) >= 10
    for row in rows:
        t_left, t_top, t_bottom, e_left, e_top = map(int, row.split(","))
        if width == 360:  # stacked, English second
            assert e_top >= t_bottom - 1 and e_left == t_left
        else:  # side by side; a right-to-left language's column on the right
            assert abs(e_top - t_top) <= 2
            assert (t_left > e_left) if code == "ar" else (t_left < e_left)


@pytest.mark.parametrize("code", [c for c in LOCALES if c != "en"])
def test_bilingual_pdf_holds_both_languages(printed, code):
    pdf = printed / "output" / code / "ketamine.bilingual.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    print(f"{code}: bilingual handout, {pages} A4 pages")
    assert 1 <= pages <= 5 and "(A4)" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert _plain(_title(code)) in _plain(text)
    words = set(re.findall(r"[A-Za-z-]+", text))  # the columns interleave line by line in the text layer
    assert {"Ketamine", "anesthetic", "neuroplasticity", "post-traumatic", "dissociation", "supervision"} <= words


def _word_heights(pdf, latin: bool):
    """Median height of the words of one script (Latin, or not) on the printed pages, in points."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    heights = sorted(float(m.group(2)) - float(m.group(1))
                     for m in re.finditer(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', out)
                     if bool(re.fullmatch(r"[\x20-\x7e’“”]+", m.group(3))) == latin)
    return heights[len(heights) // 2]


@pytest.mark.parametrize("variant", ["", ".bilingual"])
@pytest.mark.parametrize("code", LOCALES)
def test_large_print_is_printed_at_16_points_or_more(printed, code, variant):
    """Normal print is 11 pt; the glyphs of large print must be at least 16/11 as tall."""
    if code == "en" and variant:
        pytest.skip("English has no bilingual handout")
    scripts = [True] if code not in ("ar", "zh_CN") else ([False, True] if variant else [False])
    for latin in scripts:  # each column measured in its own script: fonts differ in height
        normal = _word_heights(printed / "output" / code / f"ketamine{variant}.pdf", latin)
        large = _word_heights(printed / "output" / code / f"ketamine{variant}.large.pdf", latin)
        print(f"{code}{variant} ({'Latin' if latin else 'its own script'}): median word height "
              f"{normal:.1f} pt normal, {large:.1f} pt large print")
        assert large / normal >= 16 / 11 * 0.97


_TYPE = """
var p = document.querySelector('main p'), s = getComputedStyle(p);
var justified = Array.prototype.some.call(document.querySelectorAll('p, li, td'), function (el) {
  return getComputedStyle(el).textAlign === 'justify'; });
document.body.setAttribute('data-probe', [parseFloat(s.fontSize), parseFloat(s.lineHeight), justified].join(','));
"""


@pytest.mark.parametrize("name", ["ketamine.large.html", "ketamine.bilingual.large.html"])
@pytest.mark.parametrize("code", LOCALES)
def test_large_print_type_on_screen(printed, browser, code, name, tmp_path):
    if code == "en" and "bilingual" in name:
        pytest.skip("English has no bilingual handout")
    size, line, justified = _probe(browser, printed / "output" / code / name, _TYPE, 1000, tmp_path).split(",")
    assert float(size) >= 16 * 96 / 72 - 0.1  # 16 pt in CSS pixels
    assert float(line) >= 1.5 * float(size)
    assert justified == "false"


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


def test_letter_paper_is_chosen_at_print_time_without_rewriting_the_html(tmp_path):
    _require_tools()
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "help.md").write_text("# Help\n\nRest.\n", encoding="utf-8")
    assert run_pipeline("-C", str(tmp_path), "build").returncode == 0
    html = {p: p.read_bytes() for p in (tmp_path / "output").rglob("*.html") if p.name != "index.html"}
    assert not re.search(rb"[^-]size:", html[tmp_path / "output" / "en" / "help.html"])  # the printer's paper
    r = run_pipeline("-C", str(tmp_path), "build", "--pdf", "--paper", "Letter")
    assert r.returncode == 0, r.stderr
    info = subprocess.run(["pdfinfo", str(tmp_path / "output" / "en" / "help.pdf")], capture_output=True, text=True).stdout
    assert "(letter)" in info.lower()
    assert {p: p.read_bytes() for p in (tmp_path / "output").rglob("*.html") if p.name != "index.html"} == html
    assert 'href="en/help.pdf">PDF</a>' in (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    assert not [p for p in (tmp_path / "output").rglob(".*")]  # no temporary copy left beside the page


def _pages(pdf):
    """How full each page is: the lowest word above the footer, as a share of the height inside the margins."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    fill = []
    for page in re.finditer(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', out, re.S):
        top, bottom = 16 / 25.4 * 72, float(page.group(1)) - 18 / 25.4 * 72  # the stylesheet's margins
        words = [float(y) for y in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)"',
                                              page.group(2))]
        fill.append((max([y for y in words if y < bottom], default=top) - top) / (bottom - top))
    return fill


@pytest.mark.parametrize("variant", ["", ".large", ".bilingual", ".bilingual.large"])
@pytest.mark.parametrize("code", LOCALES)
def test_no_page_is_less_than_a_third_full_but_the_last(printed, code, variant):
    if code == "en" and "bilingual" in variant:
        pytest.skip("English has no bilingual handout")
    fill = _pages(printed / "output" / code / f"ketamine{variant}.pdf")
    print(f"{code}{variant}: {len(fill)} pages, filled " + ", ".join(f"{f:.0%}" for f in fill))
    assert all(f >= 1 / 3 for f in fill[:-1]), fill


@pytest.mark.parametrize("code", [c for c in LOCALES if c != "en"])
def test_bilingual_large_print_takes_at_most_twice_the_pages_of_large_print(printed, code):
    large = len(_pages(printed / "output" / code / "ketamine.large.pdf"))
    both = len(_pages(printed / "output" / code / "ketamine.bilingual.large.pdf"))
    print(f"{code}: large print {large} pages, bilingual large print {both}")
    assert both <= 2 * large


@pytest.mark.parametrize("code", LOCALES)
def test_the_running_footer_is_in_the_body_font_and_mirrored_right_to_left(printed, code):
    pdf = printed / "output" / code / "ketamine.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Serif" not in fonts and "Liberation" not in fonts, fonts
    out = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    width, height = map(float, re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out).groups())
    footer = [(float(x), w) for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" '
                                                      r'yMax="[\d.]+">([^<]*)<', out) if float(y) > height - 40]
    number = [x for x, w in footer if w.isdigit()]
    label = [x for x, w in footer if not w.isdigit() and w != "/"]
    assert number and label
    if code == "ar":  # the title where a right-to-left reader starts, the page number where they end
        assert min(label) > width / 2 > max(number)
    else:
        assert max(label) < width / 2 < min(number)


def test_pdfs_and_screenshots_are_readable_by_others(printed):
    umask = os.umask(0)
    os.umask(umask)
    made = list((printed / "output").rglob("*.pdf")) + list((printed / "output").rglob("*.png"))
    assert made and {p.stat().st_mode & 0o777 for p in made} == {0o666 & ~umask}  # 0644 under umask 022


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


def _gone(pid: int) -> bool:
    """Has the process ended (gone, or a zombie waiting for its new parent to reap it)?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _logging_engine(tmp_path, body: str = 'exec "$REAL" "$@"') -> str:
    """A browser command that notes each start (its process id) in starts.log, then runs ``body``."""
    engine = tmp_path / "browser.sh"
    engine.write_text(f'#!/bin/sh\necho $$ >> "{tmp_path}/starts.log"\nREAL="{find_engine()}"\n{body}\n',
                      encoding="utf-8")
    engine.chmod(0o755)
    return str(engine)


def _small_page(tmp_path, text: str):
    """A page of one paragraph, to print (the tools checked first)."""
    _require_tools()
    page = tmp_path / "page.html"
    page.write_text(f"<!doctype html><title>t</title><style></style><p>{text}</p>", encoding="utf-8")
    return page


def test_one_browser_prints_a_documents_pages_and_ends_with_the_build(tmp_path):
    """A document's handouts (here its page, large print and screenshot) are printed by one browser,
    started once (a start took about 0.8 s a page), and no browser is left running after the build."""
    _require_tools()
    project = tmp_path / "project"
    (project / "source").mkdir(parents=True)
    (project / "source" / "help.md").write_text("# Help\n\nRest, and drink **2 litres** of water a day.\n",
                                                encoding="utf-8")
    os.environ["HANDOUTS_CHROMIUM"] = _logging_engine(tmp_path)
    try:
        r = run_pipeline("-C", str(project), "build", "--pdf", "--large-print")
    finally:
        del os.environ["HANDOUTS_CHROMIUM"]
    assert r.returncode == 0, r.stderr
    for name in ("help.pdf", "help.large.pdf"):
        text = subprocess.run(["pdftotext", str(project / "output" / "en" / name), "-"],
                              capture_output=True, text=True).stdout
        assert "2 litres" in text, name
    assert (project / "output" / "screenshots" / "en-help.png").read_bytes()[:4] == b"\x89PNG"
    starts = [int(line) for line in (tmp_path / "starts.log").read_text().split()]
    assert len(starts) == 1 and _gone(starts[0])


def test_each_worker_starts_one_browser_for_all_the_pages_it_prints(tmp_path):
    """Five documents built by two workers: ten pages (a PDF and a screenshot each), printed by one
    browser per worker, not one per document, and none left running."""
    _require_tools()
    project = tmp_path / "project"
    (project / "source").mkdir(parents=True)
    for n in range(5):
        (project / "source" / f"leaflet-{n}.md").write_text(f"# Leaflet {n}\n\nTake {n + 1} tablets.\n",
                                                            encoding="utf-8")
    os.environ["HANDOUTS_CHROMIUM"] = _logging_engine(tmp_path)
    try:
        r = run_pipeline("-C", str(project), "--jobs", "2", "build", "--pdf")
    finally:
        del os.environ["HANDOUTS_CHROMIUM"]
    assert r.returncode == 0, r.stderr
    for n in range(5):
        text = subprocess.run(["pdftotext", str(project / "output" / "en" / f"leaflet-{n}.pdf"), "-"],
                              capture_output=True, text=True).stdout
        assert f"Take {n + 1} tablets." in text
    starts = [int(line) for line in (tmp_path / "starts.log").read_text().split()]
    assert 1 <= len(starts) <= 2 and all(_gone(pid) for pid in starts)


def test_a_killed_build_leaves_no_browser_behind(tmp_path):
    """A build stopped by SIGKILL cannot close its browser: the browser ends with it all the same."""
    page = _small_page(tmp_path, "Rest.")
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom pathlib import Path\nfrom handouts.pdf import Printer, find_engine\n"
        "p = Printer(find_engine())\np.print_pdf(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print(p._proc.pid, flush=True)\ntime.sleep(120)\n"), str(page), str(tmp_path / "page.pdf")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        browser = int(child.stdout.readline())
        assert not _gone(browser) and (tmp_path / "page.pdf").read_bytes()[:5] == b"%PDF-"
    finally:
        child.kill()
        child.wait()
    deadline = time.monotonic() + 10
    while not _gone(browser) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(browser)


def test_a_browser_that_fails_gets_a_clear_message_and_leaves_no_file(tmp_path):
    _require_tools()
    project = tmp_path / "project"
    (project / "source").mkdir(parents=True)
    (project / "source" / "help.md").write_text("# Help\n\nRest.\n", encoding="utf-8")
    os.environ["HANDOUTS_CHROMIUM"] = _logging_engine(tmp_path, 'echo "cannot open display" >&2\nexit 3')
    try:
        r = run_pipeline("-C", str(project), "build", "--pdf")
    finally:
        del os.environ["HANDOUTS_CHROMIUM"]
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert re.search(r"en/help\.html: error: Chromium could not print this page: .*cannot open display", r.stderr)
    assert not list((project / "output").rglob("*.pdf")) and not list((project / "output").rglob(".*"))


def test_a_process_with_many_open_files_still_prints(tmp_path):
    """A long-lived process (a watch, a resident) may hold more than 1,023 descriptors; the printer's
    pipes are then numbered above what select() can wait on.  It still prints."""
    page = _small_page(tmp_path, "Take 2 tablets.")
    r = subprocess.run([sys.executable, "-c", (
        "import os, resource, sys\nfrom pathlib import Path\nfrom handouts.pdf import Printer, find_engine\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))\n"
        "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]\n"
        "with Printer(find_engine()) as p:\n    p.print_pdf(Path(sys.argv[1]), Path(sys.argv[2]))\n"), str(page),
        str(tmp_path / "page.pdf")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    text = subprocess.run(["pdftotext", str(tmp_path / "page.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Take 2 tablets." in text
