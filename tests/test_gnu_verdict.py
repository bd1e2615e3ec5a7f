"""The catalog reader gives GNU gettext's verdict: a differential test against `msgfmt -c`.

Real catalogs of this project are mutated at random (lines deleted, duplicated, swapped or
moved; stray bytes and escapes inserted) and each copy is read by the pipeline's reader and by
`msgfmt -c`.  They must agree, except where the reader is stricter on purpose (a NUL, bytes
that are not UTF-8 in a comment, a legacy charset, comments after the last message: see
scripts/gnu_verdict.py), and the reader must never crash.  The seed changes every run; a
failure prints it (HANDOUTS_FUZZ_SEED=... reproduces the run).
"""
import importlib.util
import os
import random
import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_pipeline, small_project

spec = importlib.util.spec_from_file_location("gnu_verdict", ROOT / "scripts" / "gnu_verdict.py")
gnu_verdict = importlib.util.module_from_spec(spec)
sys.modules["gnu_verdict"] = gnu_verdict
spec.loader.exec_module(gnu_verdict)

CASES = int(os.environ.get("HANDOUTS_FUZZ_CASES", "240"))
HEADER = ('msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset={charset}\\n"\n'
          '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n')

needs_msgfmt = pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext is not installed")


@needs_msgfmt
def test_the_reader_gives_msgfmts_verdict_on_mutated_catalogs(tmp_path):
    seed = int(os.environ.get("HANDOUTS_FUZZ_SEED", random.randrange(2**32)))
    cases = gnu_verdict.fuzz(CASES, seed, tmp_path)
    crashes = [c for c in cases if c.outcome == "crash"]
    differ = [c for c in cases if c.outcome not in ("same", "crash") and not c.outcome.startswith("deliberate")]
    same = sum(c.outcome == "same" for c in cases)
    assert not crashes, f"seed {seed}: " + "; ".join(f"{c.name}: {c.reader.message}" for c in crashes)
    assert not differ, f"seed {seed}: " + "; ".join(
        f"{c.name}: {c.outcome}: reader {c.reader.message!r}, GNU {c.gnu.message[:200]!r}" for c in differ)
    assert same >= 0.9 * len(cases)  # deliberate differences are the exception
    assert sum(not c.gnu.accepted for c in cases) >= 0.3 * len(cases)  # the mutations do break catalogs


def _verdict(tmp_path, data: bytes):
    path = tmp_path / "case.po"
    path.write_bytes(data)
    return gnu_verdict.reader_verdict(path), gnu_verdict.gnu_verdict(path)


@needs_msgfmt
@pytest.mark.parametrize("charset", ["ASCII", "US-ASCII", "ANSI_X3.4-1968"])
def test_an_ascii_catalog_is_read_as_utf8(tmp_path, charset):
    data = (HEADER.format(charset=charset) + 'msgid "Dose"\nmsgstr "Dosis"\n').encode()
    reader, gnu = _verdict(tmp_path, data)
    assert reader.accepted and gnu.accepted, reader.message
    # ... and, like GNU, refuses a character ASCII does not have
    reader, gnu = _verdict(tmp_path, data.replace(b"Dosis", "Dosis für".encode()))
    assert not reader.accepted and not gnu.accepted
    assert "charset=UTF-8" in reader.message


def test_a_legacy_charset_says_how_to_convert(tmp_path):
    data = (HEADER.format(charset="ISO-8859-1") + 'msgid "Dose"\nmsgstr "Dosis für Kinder"\n').encode("latin-1")
    reader, _ = _verdict(tmp_path, data)
    assert not reader.accepted and "msgconv -t UTF-8" in reader.message and ":4: error:" in reader.message
    # the same header on a file that happens to be plain ASCII: the same advice
    reader, _ = _verdict(tmp_path, data.replace("für".encode("latin-1"), b"fuer"))
    assert not reader.accepted and "msgconv -t UTF-8" in reader.message


@needs_msgfmt
@pytest.mark.parametrize("body, accepted", [
    ('msgid "a"\nmsgstr "b" "c"\n', True),  # several strings on a line
    ('msgid "a"\nmsgstr "b\\\n"\n', True),  # backslash-newline continues the line (po-lex.c)
    ('msgid "a"\nmsgstr "b\\x414"\n', True),  # \x reads every hex digit that follows
    ('msgid "a"\nmsgstr "b\\x"\n', False),
    ('msgid "a"\nmsgstr "b\\x4"\n', False),  # the context separator EOT
    ('msgid "a"\nmsgstr "b"\x0b\n', True),  # vertical tab is white space to GNU
    ('msgid "a"\nmsgstr "b"\x1c\n', False),  # U+001C is not (Python's str.strip thinks it is)
    ('msgid "a"\nmsgstr "b"\u2028\n', False),
    ('msgid "a"\nmsgid_plural "as"\nmsgstr[1] "bs"\nmsgstr[0] "b"\n', False),  # forms out of order
    ('#, python-format\nmsgid "%(n)s a"\nmsgid_plural "%(n)s as"\nmsgstr[0] "ein a"\nmsgstr[1] "%(n)s as"\n',
     True),  # a form that covers n = 1 only may leave the number out
    ('#, python-format\nmsgid "%(n)s a"\nmsgid_plural "%(n)s as"\nmsgstr[0] "%(n)s a"\nmsgstr[1] "as"\n',
     False),  # ... but not the form of every other n
    # '#' outside a string is a comment to the end of the line, in an obsolete entry too
    ('msgid "a"\nmsgstr "b" # note\n\nmsgid "c"\nmsgstr "d"\n', True),
    ('#~ msgid "a"\n#~ msgstr "b"#\n\nmsgid "c"\nmsgstr "d"\n', True),
    ('#~ msgid "a" # note\n#~ msgstr "b"\n\nmsgid "c"\nmsgstr "d"\n', False),  # ... which ends the entry
    ('#| msgid "old" # note\nmsgid "a"\nmsgstr "b"\n', False),  # between the previous msgid and the msgid
    # a backslash-newline joins an obsolete line to the next, whose "#~" is then inside the line
    # (found by the fuzzing test, seed 989583368): GNU reads the two strings as one
    ('msgid "c"\nmsgstr "d"\n\n#~ msgid ""\n#~ "a "\\\n#~ "b"\n#~ msgstr "e"\n', True),
    ('msgid "a"\nmsgstr "b"\\\n#~ "c"\n', False),  # an active line joined to an obsolete one
    ('msgid "a"\nmsgstr "b"\\\n# note\nmsgid "c"\nmsgstr "d"\n', True),  # ... or to a comment
])
def test_gnu_grammar_details(tmp_path, body, accepted):
    reader, gnu = _verdict(tmp_path, (HEADER.format(charset="UTF-8") + body).encode())
    assert gnu.accepted == accepted, gnu.message
    assert reader.accepted == accepted, reader.message
    assert not reader.crash


def test_a_plural_translation_needs_plural_forms(tmp_path):
    header = HEADER.format(charset="UTF-8").replace('"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n', "")
    body = 'msgid "a"\nmsgid_plural "as"\nmsgstr[0] "b"\nmsgstr[1] "bs"\n'
    reader, _ = _verdict(tmp_path, (header + body).encode())
    assert not reader.accepted and "Plural-Forms" in reader.message
    reader, _ = _verdict(tmp_path, (header + body.replace('"b"', '""').replace('"bs"', '""')).encode())
    assert reader.accepted, reader.message  # untranslated: GNU does not ask for it either


def test_check_and_update_report_a_broken_escape_without_a_traceback(tmp_path):
    root = small_project(tmp_path, "dose", "# Dose\n\nTake 2 tablets.\n", ("de",))
    path = root / "locale" / "de" / "LC_MESSAGES" / "dose.po"
    text = path.read_text(encoding="utf-8").replace('msgid "Dose"\nmsgstr ""', 'msgid "Dose"\nmsgstr "Dosis \\x"')
    path.write_text(text, encoding="utf-8")
    line = text.split("\n").index('msgstr "Dosis \\x"') + 1
    for command in ("check", "update"):
        r = run_pipeline("-C", str(root), command)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(f"locale/de/LC_MESSAGES/dose.po:{line}: error: invalid escape"), r.stderr
        assert "Traceback" not in r.stderr
    assert path.read_text(encoding="utf-8") == text


# A catalog with every construct the quick reader (pofile._parse_plain) takes: a commented header,
# contexts, plurals, escapes, continued strings, previous strings, obsolete entries (plain and
# plural), comments of every kind (one with trailing blanks), references with and without a line.
EVERY_KIND = (
    "# Translator's note   \n# second line\n#, fuzzy\n" + HEADER.format(charset="UTF-8")
    + '#. extracted\n#: handouts/a.md:3 b.md c:d:4\n#, python-format, no-wrap\n'
      'msgid "%(n)s tablets\\n"\nmsgstr ""\n"%(n)s Tabletten \\"Dosis\\"\\t\\\\\\n"\n\n'
      'msgctxt "menu"\nmsgid "Open"\nmsgstr "Öffnen"\n\n'
      '#, fuzzy\n#| msgctxt "old"\n#| msgid "Clse"\n#| "d"\nmsgctxt "menu"\nmsgid "Close"\nmsgstr "Schließen"\n\n'
      '#| msgid "one pill"\n#| msgid_plural "%(n)s pills"\nmsgid "one tablet"\nmsgid_plural "%(n)s tablets"\n'
      'msgstr[0] "eine Tablette"\nmsgstr[1] ""\n"%(n)s Tabletten"\n\n'
      '#  a comment with two spaces and blanks after it  \t\n#~ msgid "Gone"\n#~ msgstr ""\n#~ "Weg"\n\n'
      '#~ msgctxt "x"\n#~ msgid "a"\n#~ msgid_plural "as"\n#~ msgstr[0] "b"\n#~ msgstr[1] "bs"\n\n\n'
)


def _read_both(text: str):
    """(the quick reader's Catalog or None, the full reader's Catalog or its error)."""
    from handouts import pofile
    from handouts.errors import HandoutsError

    try:
        full = pofile._parse(text, "case.po")
    except HandoutsError as exc:
        full = exc
    return pofile._parse_plain(text, "case.po"), full


def _seen(catalog) -> tuple:
    from handouts import pofile

    return (catalog.header, catalog.metadata, catalog.header_line, catalog.header_msgstr,
            [(pofile._signature(e), e.linenum, list(e.flags), e.occurrences) for e in catalog.entries])


def test_the_quick_reader_reads_what_the_full_reader_reads_or_leaves_it():
    # the quick reader takes the common shapes of a catalog an entry at a time; on every catalog of this
    # project, the one above and thousands of mutations of them, it gives the full reader's Catalog or
    # leaves the text to it (which gives the error) -- never another reading, never a pass of a wrong one
    originals = [p.read_bytes() for p in gnu_verdict.sources()] + [EVERY_KIND.encode()]
    quick, full = _read_both(EVERY_KIND)
    assert quick is not None and not isinstance(full, Exception)
    assert _seen(quick) == _seen(full)
    kinds = {("obsolete" if e.obsolete else "") + ("plural" if e.msgid_plural else "")
             + ("previous" if e.previous_msgid else "") + ("context" if e.msgctxt else "") for e in quick.entries}
    assert kinds == {"obsolete", "obsoletepluralcontext", "pluralprevious", "previouscontext", "context", ""}
    for data in originals[:-1]:  # the project's own catalogs: all read the quick way
        assert _read_both(data.decode("utf-8"))[0] is not None
    seed = int(os.environ.get("HANDOUTS_FUZZ_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    taken = refused = 0
    for n in range(3000):
        data, how = gnu_verdict.mutate(rng, originals[n % len(originals)])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        quick, full = _read_both(text)
        if quick is None:
            refused += 1
            continue
        taken += 1
        assert not isinstance(full, Exception), f"seed {seed}, case {n} ({how}): the full reader says {full}"
        assert _seen(quick) == _seen(full), f"seed {seed}, case {n} ({how})"
    assert taken > 1000 and refused > 300  # both kinds were tried
