"""Accessibility of the handouts: heading order, contrast, language of every passage."""
import re

from conftest import ROOT

LOCALES = ["en", "ar", "de", "es", "fr", "zh_CN"]


def test_headings_are_in_order():
    for code in LOCALES:
        html = (ROOT / "output" / code / "ketamine.html").read_text(encoding="utf-8")
        levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
        assert levels[0] == 1 and levels.count(1) == 1, code
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), code


def _luminance(hex_colour):
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)] if len(hex_colour) == 6 else \
          [int(c * 2, 16) / 255 for c in hex_colour]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_every_text_colour_has_enough_contrast_on_white():
    css = (ROOT / "handouts" / "templates" / "handout.css").read_text(encoding="utf-8")
    colours = set(re.findall(r"(?<![-\w])color:\s*#([0-9a-fA-F]{3,6})", css))
    colours |= set(re.findall(r"--(?:text|muted):\s*#([0-9a-fA-F]{3,6})", css))
    assert colours
    for colour in colours:
        ratio = (1.0 + 0.05) / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, f"#{colour} on white: {ratio:.1f}:1"


def test_passages_in_another_language_carry_their_lang():
    for code in LOCALES:
        html = (ROOT / "output" / code / "ketamine.html").read_text(encoding="utf-8")
        for m in re.finditer(r'<a href="\.\./([\w]+)/ketamine\.html" lang="([\w-]+)"', html):
            assert m.group(2) == m.group(1).replace("_", "-")


def test_template_words_not_yet_translated_are_marked_english(tmp_path):
    """A German handout whose template strings have no German yet says which parts are English."""
    from conftest import run_pipeline

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "note.md").write_text("# Note\n\nRest.\n", encoding="utf-8")
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "LINGUAS").write_text("de\n", encoding="utf-8")
    r = run_pipeline("-C", str(tmp_path), "--min-translated", "0")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "output" / "de" / "note.html").read_text(encoding="utf-8")
    assert '<html lang="de" dir="ltr">' in html
    assert '<span lang="en" dir="ltr">This handout gives general information.' in html
    assert '<h1 lang="en" dir="ltr" class="untranslated">Note</h1>' in html
    text = (tmp_path / "output" / "de" / "note.txt").read_text(encoding="utf-8")
    assert "<span" not in text and "This handout gives general information." in text


def test_translated_template_words_are_not_marked():
    html = (ROOT / "output" / "de" / "ketamine.html").read_text(encoding="utf-8")
    assert 'lang="en"' not in html.replace('href="../en/ketamine.html" lang="en"', "")
