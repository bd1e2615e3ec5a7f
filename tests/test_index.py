"""The indexes: the library's table (documents x languages) and each language's own list."""
import datetime as dt
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from handouts.build import Settings, Translations, indexes
from handouts.pdf import chromium_command, find_engine
from handouts.state import State
from conftest import ROOT, run_pipeline, small_project, translate

LANGS = ["ar", "de", "es", "fr", "zh_CN"]


class Table(HTMLParser):
    """The library table as a reader sees it: header cells, then rows of (row header, date, cells)."""

    def __init__(self):
        super().__init__()
        self.head, self.rows, self.cell, self.links = [], [], None, []
        self.section = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr" and self.section == "tbody":
            self.rows.append([])
        elif tag in ("th", "td") and self.section:
            self.cell = {"text": "", "links": [], "lang": attrs.get("lang"), "dir": attrs.get("dir")}
        elif tag == "a" and self.cell is not None:
            self.cell["links"].append(attrs["href"])
            self.cell["lang"] = self.cell["lang"] or attrs.get("lang")

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            (self.head if self.section == "thead" else self.rows[-1]).append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data


def table(html):
    parsed = Table()
    parsed.feed(html)
    return parsed


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Three documents in three languages: one fully translated, one half (not printed in French), one English only."""
    root = small_project(tmp_path_factory.mktemp("library"), "burns",
                         "# Burns\n\nCool the burn under running water.\n", ("de", "fr"))
    (root / "source" / "asthma.md").write_text("# Asthma\n\nUse your inhaler.\n\nSee a nurse.\n", encoding="utf-8")
    (root / "source" / "asthma.toml").write_text("reviewed = 2026-03-02\n", encoding="utf-8")
    (root / "source" / "colds.md").write_text("# Colds\n\nRest.\n", encoding="utf-8")
    assert run_pipeline("-C", str(root), "update").returncode == 0
    translate(root, "de", "burns", {"Burns": "Verbrennungen", "Cool the burn under running water.":
                                    "Kühlen Sie die Verbrennung unter fließendem Wasser."})
    translate(root, "de", "asthma", {"Asthma": "Asthma", "Use your inhaler.": "Benutzen Sie Ihren Inhalator.",
                                     "See a nurse.": "Gehen Sie zu einer Pflegefachkraft."})
    translate(root, "fr", "burns", {"Burns": "Brûlures", "Cool the burn under running water.":
                                    "Refroidissez la brûlure sous l’eau courante."})
    translate(root, "fr", "asthma", {"Asthma": "Asthme"})
    (root / "pyproject.toml").write_text("[tool.handouts]\nlarge-print = true\n", encoding="utf-8")
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    return root


def test_the_library_is_a_table_of_documents_by_title_and_languages_by_native_name(library):
    parsed = table((library / "output" / "index.html").read_text(encoding="utf-8"))
    assert [c["text"].strip() for c in parsed.head] == ["Handout", "Last reviewed", "English", "Deutsch German",
                                                        "Français French"]
    assert [c["links"] for c in parsed.head[2:]] == [["en/index.html"], ["de/index.html"], ["fr/index.html"]]
    assert [row[0]["text"] for row in parsed.rows] == ["Asthma", "Burns", "Colds"]  # by English title
    assert [row[1]["text"] for row in parsed.rows] == ["Mar 2, 2026", "", ""]
    asthma_de = parsed.rows[0][3]
    assert asthma_de["lang"] == "de" and asthma_de["text"].startswith("Asthma")
    assert asthma_de["links"] == ["de/asthma.html", "de/asthma.bilingual.html", "de/asthma.large.html",
                                  "de/asthma.bilingual.large.html", "de/asthma.txt"]
    assert parsed.rows[0][2]["links"] == ["en/asthma.html", "en/asthma.large.html", "en/asthma.txt"]
    asthma_fr = parsed.rows[0][4]  # one word in seven translated: no handout, and the cell says why
    assert asthma_fr["links"] == [] and "not printed: too little of it is translated (14% translated)" in \
        " ".join(asthma_fr["text"].split())
    assert parsed.rows[2][3]["links"] == [] and "(0% translated)" in parsed.rows[2][3]["text"]


def test_each_language_has_its_own_index_by_translated_title_in_its_own_words(library):
    html = (library / "output" / "fr" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr" dir="ltr">' in html
    assert re.findall(r'<li data-row><a href="([^"]+)">([^<]+)</a>', html) == [("burns.html", "Brûlures")]
    assert "· Français</h1>" in html and 'href="../index.html"' in html
    de = (library / "output" / "de" / "index.html").read_text(encoding="utf-8")
    assert [t for _, t in re.findall(r'<li data-row><a href="([^"]+)">([^<]+)</a>', de)] == \
        ["Asthma", "Verbrennungen"]
    assert "02.03.2026" in de  # the date as a German reader writes it
    assert 'href="asthma.bilingual.large.html">' in de


def test_the_shipped_languages_have_their_index_with_lang_and_dir(tmp_path):
    shutil.copytree(ROOT / "source", tmp_path / "source")
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    assert run_pipeline("-C", str(tmp_path), "build").returncode == 0
    for code, lang, direction, words in [("ar", "ar", "rtl", "جميع اللغات"), ("zh_CN", "zh-CN", "ltr", "所有语言"),
                                         ("es", "es", "ltr", "Todos los idiomas"), ("de", "de", "ltr", "Alle Sprachen"),
                                         ("en", "en", "ltr", "All languages")]:
        html = (tmp_path / "output" / code / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}" dir="{direction}">' in html and words in html
        assert 'href="ketamine.html">' in html
        assert '<span lang="en"' not in html  # every word of the page is in the language


def test_a_language_that_is_removed_takes_its_index_with_it(library, tmp_path):
    shutil.copytree(library, tmp_path / "p")
    (tmp_path / "p" / "locale" / "LINGUAS").write_text("de\n", encoding="utf-8")
    assert run_pipeline("-C", str(tmp_path / "p"), "build").returncode == 0
    assert not (tmp_path / "p" / "output" / "fr").exists()
    assert (tmp_path / "p" / "output" / "de" / "index.html").is_file()


def test_a_pdf_on_disk_is_linked_and_a_removed_one_is_not(library, tmp_path):
    """The index links the PDFs that are there: written by ``build --pdf`` (here: put in place as a
    colleague's copy would be), then deleted by hand, each seen by the next run even when the folder
    was last listed long before (its listing is kept between runs by the folder's identity)."""
    root = tmp_path / "p"
    shutil.copytree(library, root)
    folder = root / "output" / "de"

    def links():
        assert run_pipeline("-C", str(root), "build").returncode == 0
        return table((root / "output" / "index.html").read_text(encoding="utf-8")).rows[0][3]["links"]

    def age(seconds):  # the folder as if its last change was long ago (a listing then is trusted later)
        st = folder.stat()
        os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))

    assert "de/asthma.pdf" not in links()
    age(60)
    links()  # listed again (the folder moved), now long after its last change: kept
    (folder / "asthma.pdf").write_bytes(b"%PDF-1.4\n")
    assert links()[:2] == ["de/asthma.html", "de/asthma.pdf"]
    age(60)
    links()
    (folder / "asthma.pdf").unlink()
    assert "de/asthma.pdf" not in links()


def test_a_document_may_not_be_called_index(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "index.md").write_text("# Index\n", encoding="utf-8")
    r = run_pipeline("-C", str(tmp_path))
    assert r.returncode == 2 and "source/index.md: error: the name 'index' is reserved" in r.stderr


# ---------------------------------------------------------------------------
# A clinic's library in a real browser: 1,000 documents in 16 languages

CODES = ["en", "ar", "de", "es", "fr", "zh_CN", "pt_BR", "it", "pl", "ru", "tr", "uk", "fa", "ja", "vi", "hi"]
TOPICS = ["asthma", "burns", "colds", "diabetes", "eczema", "gout", "migraine", "shingles", "statins", "warfarin"]


@pytest.fixture(scope="module")
def big_library(tmp_path_factory):
    """The indexes of 1,000 documents x 16 languages, from plain records (no handouts behind them)."""
    root = tmp_path_factory.mktemp("big")
    settings = Settings(ROOT / "locale", root / "output", CODES, 80, root=root, large_print=True)
    names = [f"doc-{i:04d}" for i in range(1000)]
    translated = {}
    for i, name in enumerate(names):
        for k, code in enumerate(CODES):
            share = 0 if (i + k) % 17 == 0 else 100
            translated[(name, code)] = Translations(
                code, name, total_words=100, words_done=share, title=f"{TOPICS[i % 10].title()} {i:04d} {code}"
                if share else "", reviewed=dt.date(2026, 1 + i % 12, 1 + i % 28))
    indexes(settings, names, translated, {}, State())
    return root / "output"


def _probe(page, script, width, tmp_path, height=800):
    html = page.read_text(encoding="utf-8")
    probe = page.parent / f".probe-{tmp_path.name}.html"
    probe.write_text(html.replace("</body>", f"<script>{script}</script></body>"), encoding="utf-8")
    try:
        dom = subprocess.run(chromium_command(find_engine(), f"--window-size={width},{height}", "--dump-dom",
                                              probe.as_uri()), capture_output=True, text=True, timeout=120).stdout
    finally:
        probe.unlink()
    return re.search(r'data-probe="([^"]*)"', dom).group(1).split(",")


_FILTER = """
var box = document.getElementById('filter'), frame = document.querySelector('.frame');
var rows = document.querySelectorAll('[data-row]'), groups = document.querySelectorAll('[data-rows]');
function drawn() {  /* rows with a box on the page: shown, not merely without the hidden attribute */
  return Array.prototype.filter.call(rows, function (r) { return r.getClientRects().length > 0; }).length; }
box.value = 'Migraine 0456'; box.dispatchEvent(new Event('input'));
var shown = drawn(), groupsLeft = Array.prototype.filter.call(groups, function (g) { return !g.hidden; }).length;
box.value = 'mIGRAINE'; box.dispatchEvent(new Event('input'));
var migraine = drawn();
box.value = ''; box.dispatchEvent(new Event('input'));
var all = document.querySelectorAll('[data-row]:not([hidden])').length +
  document.querySelectorAll('[data-rows]:not([hidden])').length * 1000;
var over = document.documentElement.scrollWidth > document.documentElement.clientWidth;
var head = document.querySelector('thead th:nth-child(5)').getBoundingClientRect().top;
frame.scrollTop = 5000; frame.scrollLeft = 3000;
var kept = document.querySelector('thead th:nth-child(5)').getBoundingClientRect().top;
var column = Math.round(rows[60].querySelector('th.doc').getBoundingClientRect().left - frame.getBoundingClientRect().left);
document.body.setAttribute('data-probe', [groups.length, shown, groupsLeft, migraine, all, over, Math.round(head),
  Math.round(kept), column].join(','));
"""


@pytest.mark.parametrize("width", [360, 1280], ids=["phone", "desktop"])
def test_a_library_of_1000_documents_in_16_languages_filters_scrolls_and_fits_a_phone(big_library, width, tmp_path):
    """Correctness only: how fast it loads and filters is measured by scripts/bench_index.py (README)."""
    if shutil.which("chromium") is None:
        pytest.skip("no chromium (apt-get install -y chromium)")
    probe = _probe(big_library / "index.html", _FILTER, width, tmp_path)
    groups, shown, groups_left, migraine, everything, over, head, kept, column = probe
    assert groups == "100"  # 1,000 rows in groups of 10, each laid out only when in view
    assert (shown, groups_left, migraine) == ("1", "1", "100")  # a group with no row left is hidden whole
    assert everything == str(1000 + 100 * 1000)  # cleared: every row and group shown again
    assert over == "false"  # on a phone the table scrolls inside its frame
    assert head == kept  # the language headers stay in view while the rows scroll
    assert column == "1"  # and the document's title while the languages scroll (inside the frame's border)


def test_a_language_index_of_1000_handouts_filters_in_its_own_script(big_library, tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("no chromium (apt-get install -y chromium)")
    script = """
    var box = document.getElementById('filter'); box.value = 'shingles 0007'; box.dispatchEvent(new Event('input'));
    var n = document.querySelectorAll('[data-row]:not([hidden])').length;
    box.value = 'zzz'; box.dispatchEvent(new Event('input'));
    var none = !document.getElementById('filter-status').hidden;
    document.body.setAttribute('data-probe', [n, none, document.documentElement.scrollWidth >
      document.documentElement.clientWidth].join(','));
    """
    assert _probe(big_library / "ar" / "index.html", script, 360, tmp_path) == ["1", "true", "false"]
