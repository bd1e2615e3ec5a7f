"""powrap writes PO strings exactly as GNU gettext's msgcat writes them.

The proof is msgcat itself: a catalog of thousands of random, adversarial
strings written with powrap must come back from `msgcat` byte for byte.

Run more of them outside the test suite:
    python tests/test_powrap.py --count 200000 --seeds 1 2 3
"""
from __future__ import annotations

import random
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handouts.powrap import PAGE_WIDTH, rewrap, wrap_references, wrap_string  # noqa: E402

MSGCAT = shutil.which("msgcat")
needs_msgcat = pytest.mark.skipif(
    MSGCAT is None, reason="GNU gettext's msgcat is not installed (apt-get install -y gettext); CI installs it")

# ---------------------------------------------------------------------------
# Random strings from tricky pieces

WORDS = ("the a of fever hours take tablet doctor call if you feel dizzy Kopfschmerzen "
         "Arzneimittel médecin fiebre niño day x y z I A ok").split()
PIECES = (
    [" ", " ", " ", " ", "  ", "   "]
    + list(string.punctuation)
    + list(string.digits)
    + ["–", "—", "…", "«", "»", "“", "”", "‘", "’", "„", "‚", "¿", "¡", "%", "‰", "€", "$", "£", "°",
       "/", "?", "&", "=", "#", "@", "·", "•", "×", "½", "²", "§", "¶", "†", "′", "″", "⁗", "‐", "‑", "‒",
       "4–6", "4-6", "10 %", "10%", "5 €", "$5", "€5", "3.5", "1,000", "x:y", "a.b", "e.g.", "i.e.,",
       "…then", "...then", "—and", "“quoted”", "«guillemets»", "« espacés »", "‹x›", "(a)", "[b]", "{c}",
       "https://example.org/a/b?c=d&e=f#g", "http://x.y/c?d=e", "www.example.com/path_to/file.html",
       "mailto:someone@example.org", "user@example.com", "C:\\path\\file", "/usr/bin/env",
       "well-known", "follow-up", "e-mail", "x--y", "a - b", "re-evaluate", "COVID-19",
       "中文字", "发烧", "医生", "你好世界", "、", "。", "，", "（", "）", "「", "」", "『", "』", "：", "；", "！", "？",
       "《", "》", "〈", "〉", "【", "】", "·", "ー", "っ", "ゃ", "カタカナ", "ひらがな", "한국어", "각", "ᄀ", "ᅡ",
       "ＡＢＣ", "１２３", "％", "＄",
       "مرحبا", "الطبيب", "،", "؟", "؛", "٪", "١٢٣", "۔",
       "שלום", "רופא", "־", "״", "׳",
       "สวัสดี", "ภาษาไทย", "ខ្មែរ",
       "😀", "👍", "👍🏽", "🏽", "👨\u200d👩\u200d👧", "🇩🇪", "🇫🇷🇩🇪", "🇺", "❤️", "☺", "✂", "\U0001FAF9", "\U0001F6DD",
       "e\u0301", "\u0301", "\u0308", "n\u0303", "\u094d", "नमस्ते", "\u0e31",
       "\u00a0", "\u202f", "\u2007", "\u2009", "\u3000", "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
       "\u2028", "\u2029", "\u0085", "\u061c", "\u200e", "\u200f", "\ufffc", "\ufffd", "\U000E0001", "\U0010FFFD",
       # new in Unicode 15 (unassigned for libunistring 1.0), a noncharacter, CJK extension B
       "\U0001FAF7", "\U0001F6DC", "\u0cf3", "\U00031350", "\U00011F00", "\U0002FFFE", "\U00020000",
       "\t", "\n", "\n", "\r", "\r\n", "\a", "\b", "\f", "\v", "\\", "\"", "\\n", "'", "''",
       "\x01", "\x1b", "\x1c", "\x1f", "\x7f", "\x80", "\x9f",
       "%s", "%d", "%(name)s", "%(count)d", "% d", "%(first name)s", "%-5s", "%.2f", "%%", "%(a-b)s", "%(x",
       "{name}", "{0}", "<b>", "</b>", "&amp;", "*bold*", "_under_",
       "a" * 90, "x" * 75, "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen",
       "supercalifragilistic-expialidocious-" * 2, "中" * 40, "٪" * 3]
)
KEYWORD_WEIGHTS = (["msgid"] * 4 + ["msgstr"] * 4 + ["msgctxt", "msgid_plural", "msgstr[0]", "msgstr[1]"])


def random_text(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.05:
        return ""
    if shape < 0.45:   # prose: words and spaces with some punctuation
        n = rng.randint(1, 60)
        out = []
        for _ in range(n):
            out.append(rng.choice(WORDS) if rng.random() < 0.75 else rng.choice(PIECES))
            out.append(" " if rng.random() < 0.85 else "")
        return "".join(out).rstrip(" ") if rng.random() < 0.7 else "".join(out)
    n = rng.randint(1, 45)
    return "".join(rng.choice(WORDS) if rng.random() < 0.3 else rng.choice(PIECES) for _ in range(n))


def random_refs(rng: random.Random) -> list[str]:
    names = ["src/a.py", "./b.c", "handouts/templates/page.html", "x" * 50, "docs/ü.md", "lib/long_module_name.py"]
    refs = []
    for _ in range(rng.randint(0, 14)):
        name = rng.choice(names)
        refs.append(name if rng.random() < 0.1 else f"{name}:{rng.randint(1, 99999)}")
    return refs


class Entry:
    def __init__(self, rng: random.Random, number: int, obsolete: bool = False):
        self.flags = []
        if rng.random() < 0.15:
            self.flags.append("fuzzy")
        if rng.random() < 0.2:
            self.flags.append("python-format")
        if rng.random() < 0.12:
            self.flags.append("no-wrap")
        self.obsolete = obsolete
        self.refs = random_refs(rng) if rng.random() < 0.4 else []
        self.previous = random_text(rng) if rng.random() < 0.15 else None
        # msgctxt makes each entry unique (msgcat merges duplicates)
        self.msgctxt = f"n{number}" if rng.random() < 0.8 else f"n{number} " + random_text(rng)
        self.msgid = random_text(rng)
        self.plural = random_text(rng) if rng.random() < 0.15 else None
        self.msgstrs = [random_text(rng) for _ in range(2 if self.plural is not None else 1)]
        if obsolete:  # msgcat drops an obsolete entry whose msgstr is empty
            self.msgstrs = [s or "x" for s in self.msgstrs]
        if "fuzzy" in self.flags:  # and the fuzzy flag of an untranslated one
            self.msgstrs[0] = self.msgstrs[0] or "x"

    def lines(self) -> list[str]:
        p = "#~ " if self.obsolete else ""
        wrap = "no-wrap" not in self.flags
        out = list(wrap_references(self.refs))
        if self.flags:
            order = [f for f in ("fuzzy", "python-format", "no-wrap") if f in self.flags]
            out.append("#, " + ", ".join(order))
        if self.previous is not None:
            out += wrap_string("msgid", self.previous, "#~| " if self.obsolete else "#| ", wrap, self.flags)
        out += wrap_string("msgctxt", self.msgctxt, p, wrap, self.flags)
        out += wrap_string("msgid", self.msgid, p, wrap, self.flags)
        if self.plural is not None:
            out += wrap_string("msgid_plural", self.plural, p, wrap, self.flags)
            for i, s in enumerate(self.msgstrs):
                out += wrap_string(f"msgstr[{i}]", s, p, wrap, self.flags)
        else:
            out += wrap_string("msgstr", self.msgstrs[0], p, wrap, self.flags)
        return out


HEADER = ["msgid \"\"", "msgstr \"\"", "\"Content-Type: text/plain; charset=UTF-8\\n\"",
          "\"Plural-Forms: nplurals=2; plural=(n != 1);\\n\""]


def random_catalog(count: int, seed: int) -> str:
    rng = random.Random(seed)
    entries = [Entry(rng, i) for i in range(count)]
    entries += [Entry(rng, count + i, obsolete=True) for i in range(count // 10)]
    blocks = ["\n".join(wrap_string("msgid", "") + wrap_string(
        "msgstr", "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"))]
    blocks += ["\n".join(e.lines()) for e in entries]
    return "\n\n".join(blocks) + "\n"


def msgcat(text: str, tmp: Path, *options: str) -> str:
    path = tmp / "in.po"
    path.write_bytes(text.encode("utf-8"))
    r = subprocess.run([MSGCAT, *options, str(path)], capture_output=True)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")[:2000]
    return r.stdout.decode("utf-8")


def differences(ours: str, gnu: str) -> list[tuple[str, str]]:
    a, b = ours.split("\n\n"), gnu.split("\n\n")
    if len(a) != len(b):
        return [(f"{len(a)} entries", f"{len(b)} entries")]
    return [(x, y) for x, y in zip(a, b) if x != y]


# ---------------------------------------------------------------------------
# Tests

@needs_msgcat
@pytest.mark.parametrize("seed", [1, 2])
def test_random_catalog_survives_a_msgcat_round_trip(tmp_path, seed):
    ours = random_catalog(4000, seed)
    diffs = differences(ours, msgcat(ours, tmp_path))
    assert not diffs, "\n\n---- ours:\n" + diffs[0][0] + "\n---- msgcat:\n" + diffs[0][1]


def test_fast_path_agrees_with_the_reference_path():
    """The word-by-word fast path gives what the character-by-character
    reference gives (no msgcat needed)."""
    from handouts import powrap
    rng = random.Random(5)
    for _ in range(20000):
        text = random_text(rng)
        keyword = rng.choice(KEYWORD_WEIGHTS)
        prefix = rng.choice(["", "#~ ", "#| ", "#~| "])
        wrap = rng.random() < 0.9
        room = (PAGE_WIDTH if wrap else 1 << 40) - 2 - len(prefix)
        expected = powrap._wrap_reference(keyword, text, prefix, room, len(keyword) + 1, ())
        assert wrap_string(keyword, text, prefix, wrap) == expected, text


@needs_msgcat
def test_rewrap_gives_what_msgcat_gives(tmp_path):
    """rewrap() re-wraps a whole PO text (flags honoured) as msgcat does."""
    ours = random_catalog(600, 7)
    # Unwrap every string onto one line, then let rewrap do the work again.
    unwrapped = msgcat(ours, tmp_path, "--no-wrap")
    assert rewrap(unwrapped) == msgcat(ours, tmp_path)


def test_rewrap_flags_apply_to_their_entry_only():
    long = "word " * 20
    text = f'#, no-wrap\nmsgid "a"\nmsgstr "{long}"\nmsgid "b"\nmsgstr "{long}"'
    assert rewrap(text).split("\n") == (['#, no-wrap', 'msgid "a"', f'msgstr "{long}"', 'msgid "b"']
                                         + wrap_string("msgstr", long))


GOLDEN = [
    # the cases
    ("msgid", "Take one tablet every 4–6 hours with water; if the fever lasts longer than three "
              "days, call your doctor.", ""),
    ("msgstr", "Weitere Informationen finden Sie unter https://example.org/fieber/info?lang=de&page=2 "
               "oder bei Ihrer Ärztin.", ""),
    ("msgid", "If the pain does not go away after a few days and you start to feel dizzy or sick…then "
              "see a doctor.", ""),
    ("msgid", "Rapport x:y entre les doses, « guillemets » et ratio 1:2 — voir le tableau ci-dessous, "
              "s’il vous plaît.", ""),
    ("msgstr", "发烧时请多喝水，注意休息。如果体温超过三十九度，或者持续三天以上，请立即就医。服药前请阅读说明书，"
               "并遵医嘱。", ""),
    ("msgstr", "إذا استمرت الحمى أكثر من ثلاثة أيام، أو إذا شعرت بالدوار، فاتصل بطبيبك؟ لا تتناول أكثر من "
               "أربعة أقراص في اليوم.", ""),
    ("msgid", "Line one\nLine two, which is long enough to need a break because it goes on and on "
              "and on past the margin\n", "#~ "),
    ("msgid", "Previous text of the message, long enough to be wrapped over two lines of a PO file.", "#| "),
    ("msgid", "exactly fits: " + "x" * 57, ""),                 # 79 columns
    ("msgid", "one column too many: " + "x" * 51, ""),          # 80 columns
]


@needs_msgcat
@pytest.mark.parametrize("keyword,text,prefix", GOLDEN)
def test_golden_examples_match_msgcat(tmp_path, keyword, text, prefix):
    lines = wrap_string(keyword, text, prefix)
    if prefix == "#| ":        # the previous msgid of a fuzzy entry
        entry = ["#, fuzzy", *lines, 'msgid "m"', 'msgstr "x"']
    elif keyword == "msgid":
        entry = [*lines, f'{prefix}msgstr "x"']
    else:
        entry = [f'{prefix}msgid "m"', *lines]
    catalog = "\n".join(HEADER) + "\n\n" + "\n".join(entry) + "\n"
    assert msgcat(catalog, tmp_path) == catalog


def test_golden_breaks():
    """What GNU does with cases the old hand-written rules got wrong.

    Each expected value was checked with msgcat 0.21 (libunistring 1.0)."""
    assert wrap_string("msgid", "Take one tablet every 4–6 hours with water; if the fever lasts longer "
                                "than three days, call your doctor.") == [
        'msgid ""',
        '"Take one tablet every 4–6 hours with water; if the fever lasts longer than "',
        '"three days, call your doctor."']
    # An en dash (BA) allows a break after it, even inside "4–6".
    assert wrap_string("msgid", "w" * 73 + " 4–6 hours") == ['msgid ""', '"' + "w" * 73 + ' 4–"', '"6 hours"']
    # In a URL a break may follow "/" (SY), "." or ":" (IS) and "?" (EX) before a
    # letter, never "&" or "=" (AL).
    assert wrap_string("msgstr", "See https://example.org/fieber/info?lang=de&page=2 and "
                                 "https://example.org/a/very/long/path/segment/that/needs/a/break/ok") == [
        'msgstr ""',
        '"See https://example.org/fieber/info?lang=de&page=2 and https://example.org/a/"',
        '"very/long/path/segment/that/needs/a/break/ok"']
    assert wrap_string("msgid", "w" * 60 + " https://ex.org/info?lang=de&page=2") == [
        'msgid ""', '"' + "w" * 60 + ' https://ex.org/"', '"info?lang=de&page=2"']
    assert wrap_string("msgid", "w" * 66 + " https://ex.org/info?lang=de&page=2") == [
        'msgid ""', '"' + "w" * 66 + ' https://"', '"ex.org/info?lang=de&page=2"']
    # An ellipsis (IN) may end a line before a letter; so may ":" in "x:y".
    assert wrap_string("msgid", "w" * 72 + " a…then more") == [
        'msgid ""', '"' + "w" * 72 + ' a…"', '"then more"']
    assert wrap_string("msgid", "w" * 70 + " ab x:yz") == ['msgid ""', '"' + "w" * 70 + ' ab x:"', '"yz"']
    # No break before "%".
    assert wrap_string("msgid", "w" * 70 + " 10 % more") == ['msgid ""', '"' + "w" * 70 + ' 10 % "', '"more"']
    # Guillemets: no break after « or before »; with spaces inside, after the space.
    assert wrap_string("msgid", "w" * 70 + " «Hallo» more") == [
        'msgid ""', '"' + "w" * 70 + ' "', '"«Hallo» more"']
    assert wrap_string("msgid", "w" * 70 + " « Hallo » more") == [
        'msgid ""', '"' + "w" * 70 + ' « "', '"Hallo » more"']
    # CJK: breaks between ideographs, never before "，" "」" "。" or after "「".
    assert wrap_string("msgstr", "你" * 30 + "，「好」。" + "你" * 10) == [
        'msgstr ""', '"' + "你" * 30 + "，「好」。" + "你" * 3 + '"', '"' + "你" * 7 + '"']


def test_first_line_rule():
    assert wrap_string("msgid", "") == ['msgid ""']
    assert wrap_string("msgid", "a\n") == ['msgid "a\\n"']
    assert wrap_string("msgid", "a\nb") == ['msgid ""', '"a\\n"', '"b"']
    assert wrap_string("msgid", "x" * 70) == ['msgid "' + "x" * 70 + '"']      # 78 columns
    assert wrap_string("msgid", "x" * 71) == ['msgid "' + "x" * 71 + '"']      # 79
    assert wrap_string("msgid", "x" * 72) == ['msgid "' + "x" * 72 + '"']      # no break opportunity
    assert wrap_string("msgid", "x " * 36) == ['msgid ""', '"' + "x " * 36 + '"']
    assert wrap_string("msgid", "中" * 35) == ['msgid "' + "中" * 35 + '"']        # 77 columns
    assert wrap_string("msgid", "中" * 37) == ['msgid ""', '"' + "中" * 37 + '"']  # 2 x 37 = 74
    # no-wrap: only a newline before the end moves the text off the first line
    long = "word " * 30
    assert wrap_string("msgid", long, wrap=False) == [f'msgid "{long}"']
    assert wrap_string("msgid", long + "\n", wrap=False) == [f'msgid "{long}\\n"']
    assert wrap_string("msgid", "a\n" + long, wrap=False) == ['msgid ""', '"a\\n"', f'"{long}"']
    assert wrap_string("msgid", "a\n" + long, flags=["fuzzy", "no-wrap"]) == ['msgid ""', '"a\\n"', f'"{long}"']


def test_escapes():
    assert wrap_string("msgid", 'a\\b"c\td\re\af\bg\fh\vi\x1cj\x7fk\u2028l') == [
        'msgid "a\\\\b\\"c\\td\\re\\af\\bg\\fh\\vi\x1cj\x7fk\u2028l"']


def test_python_format_directives_are_not_broken():
    text = "x" * 66 + " %(first name)s and more"
    assert wrap_string("msgid", text, flags=["python-format"]) == [
        'msgid ""', '"' + "x" * 66 + ' "', '"%(first name)s and more"']
    assert wrap_string("msgid", text) == ['msgid ""', '"' + "x" * 66 + ' %(first "', '"name)s and more"']


def test_references():
    assert wrap_references([]) == []
    assert wrap_references(["./a.py:1", "a.py:1", "a.py:1", "b.py:007", "c.py"]) == ["#: a.py:1 a.py:1 b.py:7 c.py"]
    refs = [f"handouts/module_{i}.py:{i * 100}" for i in range(8)]
    lines = wrap_references(refs)
    assert lines == ["#: handouts/module_0.py:0 handouts/module_1.py:100 handouts/module_2.py:200",
                     "#: handouts/module_3.py:300 handouts/module_4.py:400 handouts/module_5.py:500",
                     "#: handouts/module_6.py:600 handouts/module_7.py:700"]


def tricky_refs(rng: random.Random) -> list[str]:
    """References as they may come in: "./" prefixes, duplicates, leading zeros,
    spaces around the colon, names that contain a colon, no line number."""
    forms = ["a.py:1", "./a.py:1", "a.py:001", "b.c: 5", "c.c :6", "d.c : 7", "e:f", "g.c:", "h.c:12x",
             "x" * 70 + ":9", "ü/ö.py:3", "p.py", "./q.py", "r.py:99999999", ":5", "s.py::8"]
    return [rng.choice(forms) for _ in range(rng.randint(1, 12))] + random_refs(rng)


@needs_msgcat
def test_references_match_msgcat(tmp_path):
    """msgcat reads the raw references and writes exactly wrap_references()."""
    rng = random.Random(3)
    raw = ["\n".join(HEADER)]
    expected = ["\n".join(HEADER)]
    for i in range(400):
        refs = tricky_refs(rng)
        entry = [f'msgid "m{i}"', 'msgstr ""']
        raw.append("\n".join(["#: " + " ".join(refs)] + entry))
        expected.append("\n".join(wrap_references(refs) + entry))
    gnu = msgcat("\n\n".join(raw) + "\n", tmp_path)
    diffs = differences("\n\n".join(expected) + "\n", gnu)
    assert not diffs, diffs[:3]


# ---------------------------------------------------------------------------
# Many more strings, and a speed measurement, outside the test suite

def realistic_strings(count: int, seed: int = 0) -> dict[str, list[str]]:
    """Paragraphs of 20-80 words in English, German, Arabic and Chinese, cut from
    the project's own catalogs, and short headings/labels (1-6 words)."""
    import polib
    root = Path(__file__).resolve().parent.parent / "locale"
    texts: dict[str, list[str]] = {"en": [], "de": [], "ar": [], "zh_CN": []}
    for path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        lang = path.parent.parent.name
        for entry in polib.pofile(str(path)):
            if lang in texts and entry.msgstr:
                texts[lang].append(entry.msgstr)
            texts["en"].append(entry.msgid)
    rng = random.Random(seed)
    out: dict[str, list[str]] = {}
    for lang, parts in texts.items():
        joined = " ".join(parts)
        units = list(joined.replace(" ", "")) if lang == "zh_CN" else joined.split()
        sep = "" if lang == "zh_CN" else " "
        paragraphs = []
        for _ in range(count):
            n = rng.randint(20, 80) * (2 if lang == "zh_CN" else 1)
            i = rng.randrange(len(units))
            paragraphs.append(sep.join((units * 2)[i:i + n]))
        out[f"paragraphs {lang}"] = paragraphs
        out[f"short {lang}"] = [sep.join((units * 2)[i:i + rng.randint(1, 6) * (2 if lang == "zh_CN" else 1)])
                                for i in (rng.randrange(len(units)) for _ in range(count))]
    return out


def bench(module_path: str | None, count: int, cold: bool) -> None:
    import importlib.util
    import time
    if module_path:
        spec = importlib.util.spec_from_file_location("powrap_under_test", module_path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        wrap = mod.wrap_string
    else:
        wrap = wrap_string
    if cold:  # no word seen before: forget the cache before every string
        from handouts import powrap

        def wrap(keyword, text, _wrap=wrap, _cache=powrap._WORDS):
            _cache.clear()
            return _wrap(keyword, text)
    groups = realistic_strings(count)
    mix: list[str] = []
    for name, strings in groups.items():
        mix += strings[: count * 7 // 10] if name.startswith("paragraphs") else strings[: count * 3 // 10]
        for keyword in ("msgstr",):
            t = time.perf_counter()
            for s in strings:
                wrap(keyword, s)
            dt = time.perf_counter() - t
        print(f"{name:22s} {len(strings) / dt:10.0f} strings/s")
    random.Random(1).shuffle(mix)
    t = time.perf_counter()
    for s in mix:
        wrap("msgstr", s)
    dt = time.perf_counter() - t
    print(f"{'mix (70% paragraphs)':22s} {len(mix) / dt:10.0f} strings/s")


def main(argv: list[str]) -> int:
    import argparse
    import tempfile
    import time
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200000, help="entries per seed (or strings per group with --bench)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--bench", action="store_true", help="measure strings/second instead")
    ap.add_argument("--module", help="with --bench: path of another powrap.py to measure (e.g. the old one)")
    ap.add_argument("--cold", action="store_true", help="with --bench: clear the word cache before each string")
    args = ap.parse_args(argv)
    if args.bench:
        bench(args.module, args.count, args.cold)
        return 0
    total = bad = strings = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            t = time.perf_counter()
            ours = random_catalog(args.count, seed)
            gnu = msgcat(ours, Path(tmp))
            diffs = differences(ours, gnu)
            n = ours.count("\n\n") + 1
            strings += sum(1 for line in ours.split("\n") if line.startswith(("msg", "#~ msg", "#| msg", "#~| msg")))
            total += n
            bad += len(diffs)
            print(f"seed {seed}: {n} entries, {len(diffs)} differ ({time.perf_counter() - t:.1f} s)")
            for x, y in diffs[:3]:
                print("---- ours:\n" + x + "\n---- msgcat:\n" + y)
    print(f"total: {total} entries, {strings} strings, {bad} entries differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
