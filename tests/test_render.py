"""Handouts as a clinic prints them: HTML and plain text per language, and the index."""
import re
import shutil

import pytest
from hypothesis import given, settings, strategies as st

from handouts.render import display_width, wrap
from conftest import ROOT, run_pipeline, small_project, translate

LANGS = ["ar", "de", "es", "fr", "zh_CN"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The repository's sources and catalogs, built into a scratch folder."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copytree(ROOT / "locale", root / "locale")
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    return root, r


def test_every_language_gets_an_html_and_a_text_handout(built):
    root, _ = built
    for code in ["en"] + LANGS:
        assert (root / "output" / code / "ketamine.html").is_file()
        assert (root / "output" / code / "ketamine.txt").is_file()


@pytest.mark.parametrize("code, lang, direction", [
    ("en", "en", "ltr"), ("es", "es", "ltr"), ("ar", "ar", "rtl"), ("zh_CN", "zh-CN", "ltr"),
])
def test_html_declares_language_and_direction(built, code, lang, direction):
    root, _ = built
    html = (root / "output" / code / "ketamine.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert "http://" not in html.split("<body", 1)[0] and "<link" not in html  # standalone


def test_html_shows_the_repaired_english(built):
    root, _ = built
    html = (root / "output" / "en" / "ketamine.html").read_text(encoding="utf-8")
    assert "pain management" in html
    assert "ache administration" not in html and "commander" not in html


def test_translated_handouts_contain_no_english_paragraphs(built):
    root, _ = built
    english = (root / "output" / "en" / "ketamine.txt").read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", english) if len(s.split()) > 6]
    for code in LANGS:
        text = (root / "output" / code / "ketamine.txt").read_text(encoding="utf-8")
        flat = " ".join(text.split())
        assert not [s for s in sentences if " ".join(s.split()) in flat], code


def test_last_reviewed_date_is_formatted_for_each_locale(built):
    root, _ = built
    expect = {
        "en": "November 24, 2026", "es": "24 de noviembre de 2026", "fr": "24 novembre 2026",
        "de": "24. November 2026", "zh_CN": "2026年11月24日",
    }
    for code, date in expect.items():
        assert date in (root / "output" / code / "ketamine.html").read_text(encoding="utf-8"), code
        assert date in (root / "output" / code / "ketamine.txt").read_text(encoding="utf-8"), code


def test_index_lists_every_language_by_its_native_name(built):
    root, _ = built
    index = (root / "output" / "index.html").read_text(encoding="utf-8")
    for native, href in [("English", "en/ketamine.html"), ("Español", "es/ketamine.html"),
                         ("Français", "fr/ketamine.html"), ("Deutsch", "de/ketamine.html"),
                         ("العربية", "ar/ketamine.html"), ("中文", "zh_CN/ketamine.html")]:
        assert native in index
        assert f'href="{href}"' in index


def test_plain_text_lines_fit_72_columns_and_headings_are_underlined(built):
    root, _ = built
    for code in ["en"] + LANGS:
        lines = (root / "output" / code / "ketamine.txt").read_text(encoding="utf-8").splitlines()
        assert all(display_width(l) <= 72 for l in lines if " " in l.strip() or display_width(l) > 1), code
        underlines = [(above, line) for above, line in zip(lines, lines[1:])
                      if above.strip() and len(line) > 1 and (set(line) == {"="} or set(line) == {"-"})]
        assert len(underlines) == 7, code  # the title and six section headings
        for above, line in underlines:
            assert len(line) == display_width(above), (code, above)


def test_a_script_in_a_translation_comes_out_escaped(tmp_path):
    small_project(tmp_path, "note", "# Note\n\nRest at home.\n", ("fr",))
    translate(tmp_path, "fr", "note", {"Rest at home.": "Reposez-vous <script>alert('x')</script> à la maison."})
    r = run_pipeline("-C", str(tmp_path), "--min-translated", "0", "build")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "output" / "fr" / "note.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html or "&lt;script&gt;" in html


def test_cjk_text_wraps_by_display_width_without_losing_characters():
    text = "氯胺酮是一种药物，已在医疗实践中广泛使用了几十年。它最初于二十世纪六十年代作为麻醉剂开发，至今仍是手术、急救和疼痛管理的重要工具。"
    lines = wrap(text, 72)
    assert len(lines) > 1
    assert all(display_width(l) <= 72 for l in lines)
    assert "".join(lines) == text
    assert not any(l[0] in "，。、" for l in lines)


def test_mixed_latin_and_cjk_keeps_spaces_between_latin_words():
    text = "Take 2 tablets 每天两次 with water."
    assert wrap(text, 72) == [text]
    lines = wrap("word " * 30, 20, "- ", "  ")
    assert lines[0].startswith("- word") and all(l.startswith("  word") for l in lines[1:])
    assert all(len(l) <= 20 for l in lines)


def test_running_the_pipeline_twice_changes_nothing(built):
    """Every file stays as it was, the build's records too; only build/digests.pickle may change: it
    learns, as git's index does, which files (and folders) were read long enough after their last
    change to be trusted by their identity next time (one read within 2 s of a change is read again)."""
    root, _ = built

    def files():
        return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != "digests.pickle"}

    before = files()
    assert root / "build" / "state.pickle" in before
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    assert "0 file(s) changed" in r.stdout
    assert files() == before


def test_summary_reports_documents_locales_and_translation_share(built):
    _, r = built
    assert "source/ketamine.md: repaired" in r.stdout
    assert "ketamine: translated en 100%, ar 100%, de 100%, es 100%, fr 100%, zh_CN 100%" in r.stdout
    assert "output/index.html" in r.stdout


def test_committed_catalogs_and_handouts_are_current(tmp_path):
    """A fresh clone's `python pipeline.py` changes nothing in locale/ or output/."""
    for folder in ("source", "locale", "output"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # large print is configured there
    r = run_pipeline("-C", str(tmp_path))
    assert r.returncode == 0, r.stderr
    for folder in ("locale", "output"):
        fresh = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / folder).rglob("*") if p.is_file()}
        committed = {p.relative_to(ROOT): p.read_bytes() for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert fresh == committed, folder


def _partly_translated(tmp_path, translated: int):
    """A 5-paragraph document with `translated` paragraphs (and the title) in German."""
    paras = [f"Paragraph number {n} has several words in it for counting." for n in range(1, 6)]
    small_project(tmp_path, "note", "# Note\n\n" + "\n\n".join(paras) + "\n", ("de",))
    work = {"Note": "Hinweis"}
    work.update({paras[n - 1]: f"Absatz Nummer {n} enthält mehrere Wörter zum Zählen." for n in range(1, translated + 1)})
    translate(tmp_path, "de", "note", work)
    return run_pipeline("-C", str(tmp_path))


def test_below_the_threshold_there_is_no_handout_and_the_index_says_why(tmp_path):
    r = _partly_translated(tmp_path, 2)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "output" / "de" / "note.html").exists()
    assert "no de handout: 41% of its words are translated, 80% needed" in r.stdout
    index = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    assert "41% translated" in index and "not printed: too little of it is translated" in index


def test_between_threshold_and_full_english_passages_are_marked(tmp_path):
    r = _partly_translated(tmp_path, 4)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "output" / "de" / "note.html").read_text(encoding="utf-8")
    assert '<p lang="en" dir="ltr" class="untranslated">Paragraph number 5' in html
    assert html.count('class="untranslated"') == 1
    assert "1 passage of this handout is not translated yet and is shown in English." in html
    text = (tmp_path / "output" / "de" / "note.txt").read_text(encoding="utf-8")
    assert "Paragraph number 5" in text and "Absatz Nummer 4" in text


def test_fuzzy_translations_are_never_printed(tmp_path):
    _partly_translated(tmp_path, 5)
    translate(tmp_path, "de", "note", {}, fuzzy=("Paragraph number 5 has several words in it for counting.",))
    assert run_pipeline("-C", str(tmp_path)).returncode == 0
    html = (tmp_path / "output" / "de" / "note.html").read_text(encoding="utf-8")
    assert "Absatz Nummer 5" not in html and "Paragraph number 5" in html


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcXYZ 0189.,;'\"?()/|éßçñ中文\u00a0\t") + list("\n!#$%&*+-:<=>@[\\]^_`{}~")),
               max_size=40))
def test_inline_text_is_parsed_as_markdown_it_parses_it(text):
    """The shortcut for text without syntax characters gives markdown-it's own tokens, and renders the same."""
    from handouts.units import markdown, parse_inline

    md = markdown()
    theirs = md.parseInline(text, {})[0].children or []
    ours = parse_inline(text)
    assert [t.as_dict() for t in ours] == [t.as_dict() for t in theirs]
    assert md.renderer.renderInline(ours, md.options, {}) == md.renderer.renderInline(theirs, md.options, {})


def _wrapped_the_general_way(text, width, first, rest):
    """``render.wrap`` as it wraps text with CJK: atoms of the regular expression, measured in columns."""
    from handouts import render

    lines = []
    for segment in text.split("\n"):
        line = first if not lines else rest
        used = prefix = render.display_width(line)
        space = False
        for atom in render._ATOM.findall(segment.strip()):
            if atom.isspace():
                space = True
                continue
            w = render.display_width(atom)
            gap = 1 if space and used > prefix else 0
            if used + gap + w > width and used > prefix:
                lines.append(line.rstrip())
                line, gap = rest, 0
                used = prefix = render.display_width(rest)
            line += " " * gap + atom
            used += gap + w
            space = False
        lines.append(line.rstrip())
    return lines


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(list("ab Z9-./)]},;:!?\u00a0\u00e9\u0161\n") + ["  ", "http://x.org/a"]),
                max_size=60).map("".join), st.integers(1, 30), st.sampled_from([("", ""), ("  - ", "    ")]))
def test_latin_text_is_wrapped_as_the_general_wrapping_wraps_it(text, width, prefixes):
    """Text without CJK takes a shortcut (split at spaces) past the regular expression that
    handles CJK: the lines, and where spaces stand, must be the same."""
    from handouts import render

    assert all(render._NARROW.fullmatch(segment) for segment in text.split("\n"))
    assert render.wrap(text, width, *prefixes) == _wrapped_the_general_way(text, width, *prefixes)
