"""Bilingual handouts (the patient's language beside English, passage by passage) and large print."""
import re
import shutil
from html.parser import HTMLParser

import pytest

from conftest import ROOT, run_pipeline, small_project, translate

LANGS = ["ar", "de", "es", "fr", "zh_CN"]


class Passages(HTMLParser):
    """Collects each passage: its two columns' lang, dir and the tags inside them."""

    def __init__(self):
        super().__init__()
        self.passages = []
        self.depth = 0
        self.column = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        cls = attrs.get("class", "")
        if tag == "div" and "passage" in cls.split():  # the urgent passage too (class "passage urgent")
            self.passages.append({})
        elif tag == "div" and cls in ("translated", "english"):
            self.column = cls
            self.passages[-1][cls] = {"lang": attrs.get("lang"), "dir": attrs.get("dir"), "tags": [], "text": ""}
        elif self.column and tag in ("h1", "h2", "h3", "p", "ul", "ol", "table"):
            self.passages[-1][self.column]["tags"].append(tag)

    def handle_endtag(self, tag):
        if tag == "div" and self.column:
            self.column = None

    def handle_data(self, data):
        if self.column:
            self.passages[-1][self.column]["text"] += data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("bilingual")
    for name in ("source", "locale"):
        shutil.copytree(ROOT / name, root / name)
    r = run_pipeline("-C", str(root), "build", "--large-print")
    assert r.returncode == 0, r.stderr
    return root


@pytest.mark.parametrize("code", LANGS)
def test_every_passage_pairs_the_language_with_english_heading_by_heading(built, code):
    html = (built / "output" / code / "ketamine.bilingual.html").read_text(encoding="utf-8")
    lang = code.replace("_", "-")
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{lang}" dir="{direction}">' in html
    parsed = Passages()
    parsed.feed(html)
    english = (ROOT / "output" / "en" / "ketamine.html").read_text(encoding="utf-8")
    blocks = len(re.findall(r"<(?:h[1-6]|p|ul|ol|table)>", english.split("<main>")[1].split("</main>")[0]))
    assert len(parsed.passages) == blocks
    for passage in parsed.passages:
        assert passage["translated"]["lang"] == lang and passage["translated"]["dir"] == direction
        assert passage["english"]["lang"] == "en" and passage["english"]["dir"] == "ltr"
        assert passage["translated"]["tags"] == passage["english"]["tags"]  # a heading beside a heading
    assert parsed.passages[0]["english"]["text"].strip() == "Ketamine"
    monolingual = (built / "output" / code / "ketamine.html").read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", monolingual).group(1)
    assert parsed.passages[0]["translated"]["text"].strip() == title


def test_english_has_no_bilingual_handout_and_the_index_links_every_other(built):
    assert not (built / "output" / "en" / "ketamine.bilingual.html").exists()
    index = (built / "output" / "index.html").read_text(encoding="utf-8")
    for code in LANGS:
        assert f'href="{code}/ketamine.bilingual.html"' in index
        assert f'href="{code}/ketamine.large.html"' in index
        assert (built / "output" / code / "ketamine.bilingual.large.html").exists()


def test_an_untranslated_passage_shows_english_in_both_columns_and_is_marked(tmp_path):
    root = small_project(tmp_path, "note", "# Note\n\nFirst part.\n\nSecond part.\n", ("de",))
    translate(root, "de", "note", {"Note": "Hinweis", "First part.": "Erster Teil."})
    assert run_pipeline("-C", str(root), "--min-translated", "0").returncode == 0
    parsed = Passages()
    parsed.feed((root / "output" / "de" / "note.bilingual.html").read_text(encoding="utf-8"))
    assert [p["translated"]["text"].strip() for p in parsed.passages] == ["Hinweis", "Erster Teil.", "Second part."]
    html = (root / "output" / "de" / "note.bilingual.html").read_text(encoding="utf-8")
    assert '<p lang="en" dir="ltr" class="untranslated">Second part.</p>' in html


def test_large_print_is_a_configuration_key_or_a_build_option(tmp_path):
    root = small_project(tmp_path, "note", "# Note\n\nRest.\n", ("de",))
    assert run_pipeline("-C", str(root), "build").returncode == 0
    assert not (root / "output" / "en" / "note.large.html").exists()
    (root / "pyproject.toml").write_text("[tool.handouts]\nlarge-print = true\n", encoding="utf-8")
    assert run_pipeline("-C", str(root), "build").returncode == 0
    html = (root / "output" / "en" / "note.large.html").read_text(encoding="utf-8")
    assert '<html lang="en" dir="ltr" class="large-print">' in html
    (root / "pyproject.toml").write_text("[tool.handouts]\nlarge-print = false\n", encoding="utf-8")
    assert run_pipeline("-C", str(root), "build").returncode == 0
    assert not (root / "output" / "en" / "note.large.html").exists()  # removed with the setting
    (root / "pyproject.toml").write_text("[tool.handouts]\nlarge-print = 1\n", encoding="utf-8")
    r = run_pipeline("-C", str(root), "build")
    assert r.returncode == 2 and "pyproject.toml: error: [tool.handouts] large-print must be true or false" in r.stderr


def test_the_stylesheet_sets_large_print_at_16_points_without_justification():
    css = (ROOT / "handouts" / "templates" / "handout.css").read_text(encoding="utf-8")
    assert "html.large-print { font-size: 16pt; }" in css
    assert "justify" not in css
