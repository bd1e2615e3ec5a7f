"""An editor's decisions on the repair, as a user meets them: the decisions file beside the
source, applied on every run, learned from by every other document, a gate before
translation with ``require-review``, and the terminal form ``fix -i``.

The spun inputs are real documents of the development split (tests/corpus/spun).
"""
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, run_pipeline
from handouts.repair import decisions, repair
from handouts.repair.decisions import Decision
from handouts.repair.learning import learn

SPUN = CORPUS / "spun"


def project(root: Path, *names: str, langs: str = "de\n", config: str = "") -> Path:
    """A project folder holding these development-split documents as received."""
    (root / "source").mkdir(parents=True)
    for name in names:
        shutil.copyfile(SPUN / f"{name}.spun.md", root / "source" / f"{name}.md")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text(langs, encoding="utf-8")
    if config:
        (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


def write_decisions(path: Path, *found: Decision) -> None:
    """Do what the review form does: save decisions in the documented file."""
    decisions.save(path, list(found))


def items_of(source: Path) -> list[decisions.Item]:
    """The items an editor is asked about, as the library computes them."""
    original = source.read_text(encoding="utf-8")
    chosen = decisions.load(decisions.path_for(source))
    automatic = repair(original, learned=learn(source.parent))
    return [i for i in decisions.review_items(original, automatic, chosen) if not i.reviewed]


def pot_ids(root: Path, name: str) -> list[str]:
    import polib

    return [e.msgid for e in polib.pofile(str(root / "locale" / f"{name}.pot"))]


# -- the file --------------------------------------------------------------------------------------


def test_the_decisions_file_round_trips(tmp_path):
    chosen = [
        Decision(12, "ailment", after="disease"),
        Decision(3, "redness", keep=True),
        Decision(3, 'a "quoted" \\ back\tslash', after="ünïcödé — 创伤"),
        Decision(40, "Ache administration", after=""),
    ]
    path = tmp_path / "doc.review.toml"
    decisions.save(path, chosen)
    assert [p.name for p in tmp_path.iterdir()] == ["doc.review.toml"]  # no temporary file left
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# An editor's decisions on the repair of doc.md")
    back = decisions.load(path)
    strip = lambda ds: sorted((d.line, d.before, d.after, d.keep) for d in ds)  # noqa: E731
    assert strip(back) == strip(chosen)
    assert decisions.dumps(back, "doc.md") == text  # written the same way every time
    assert all(text.splitlines()[d.origin - 1] == "[[decision]]" for d in back)


BAD = {
    "unknown key": ('[[decision]]\nline = 3\nbefore = "assaults"\nafter = "attacks"\nwhy = "x"\n',
                    1, "unknown key 'why'"),
    "after and keep": ('# notes\n\n[[decision]]\nline = 3\nbefore = "assaults"\nafter = "attacks"\nkeep = true\n',
                       3, "not both or neither"),
    "bad TOML": ('[[decision]]\nline = 3\nbefore = "assaults\n', 3, "bad TOML"),
    "bad UTF-8": (b'[[decision]]\nline = 3\nbefore = "assaults"\nafter = "caf\xe9"\n', 4, "not valid UTF-8"),
    "no line": ('[[decision]]\nbefore = "assaults"\nkeep = true\n', 1, "needs 'line'"),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=str)
def test_a_bad_decisions_file_is_path_line_error_without_traceback(tmp_path, case):
    content, line, words = BAD[case]
    root = project(tmp_path, "gout")
    review = root / "source" / "gout.review.toml"
    review.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    for args in (["-C", str(root), "update"], ["fix", str(root / "source" / "gout.md")]):
        r = run_pipeline(*args)
        assert r.returncode == 2, (args, r.stderr)
        where = "source/gout.review.toml" if args[0] == "-C" else str(review)
        assert r.stderr.startswith(f"{where}:{line}: error: "), r.stderr
        assert words in r.stderr and "Traceback" not in r.stderr
    assert not (root / "locale" / "gout.pot").exists()


# -- applied on every run ----------------------------------------------------------------------------


def test_a_decision_changes_the_catalogs_msgid_on_the_next_run(tmp_path):
    root = project(tmp_path, "gout")
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    n = len(items_of(root / "source" / "gout.md"))
    assert (f"source/gout.md: {n} flag(s) or statistical repair(s) not reviewed yet: "
            "python pipeline.py fix -i source/gout.md") in r.stdout
    # "assaults" is repaired (a known swap), "a sort of arthritis" (for "a type of") only flagged
    before = [m for m in pot_ids(root, "gout") if "sudden" in m]
    assert len(before) == 1 and "a sort of arthritis" in before[0] and "sudden attacks of" in before[0]

    write_decisions(root / "source" / "gout.review.toml", Decision(3, "sort", after="type"))
    r = run_pipeline("-C", str(root), "--quiet")
    assert r.returncode == 0, r.stderr
    (after,) = [m for m in pot_ids(root, "gout") if "sudden" in m]
    assert after == before[0].replace("a sort of", "a type of")
    po = (root / "locale" / "de" / "LC_MESSAGES" / "gout.po").read_text(encoding="utf-8")
    assert "a type of arthritis" in po and "a sort of arthritis" not in po
    report = (root / "output" / "repair" / "gout.txt").read_text(encoding="utf-8")
    assert "# editor's decisions: 1\n" in report
    assert 'source/gout.md:3:11: fixed: "sort" → "type"  [editor:decision, decided]' in report


def test_a_stale_decision_is_reported_and_applied_nowhere(tmp_path):
    root = project(tmp_path, "gout")
    assert run_pipeline("-C", str(root), "--quiet").returncode == 0
    clean = pot_ids(root, "gout")
    # "assaults" is on line 3, not 4; "flares" is nowhere
    write_decisions(root / "source" / "gout.review.toml",
                    Decision(4, "assaults", after="attacks"), Decision(3, "flares", keep=True))
    r = run_pipeline("-C", str(root), "--quiet")
    assert r.returncode == 0, r.stderr
    assert pot_ids(root, "gout") == clean
    report = (root / "output" / "repair" / "gout.txt").read_text(encoding="utf-8")
    text = (root / "source" / "gout.review.toml").read_text(encoding="utf-8").splitlines()
    first = text.index("[[decision]]") + 1
    second = text.index("[[decision]]", first) + 1
    assert (f'source/gout.review.toml:{first}: warning: stale decision: "flares" is no longer on line 3 '
            f"of source/gout.md") in report
    assert (f'source/gout.review.toml:{second}: warning: stale decision: "assaults" is no longer on line 4 '
            f"of source/gout.md") in report
    check = run_pipeline("-C", str(root), "check")
    assert f'source/gout.review.toml:{second}: warning: stale decision: "assaults"' in check.stderr
    status = run_pipeline("-C", str(root), "status")
    assert "gout: " in status.stdout and "2 stale decision(s)" in status.stdout


# -- learning ---------------------------------------------------------------------------------------


def test_a_swap_accepted_in_one_document_repairs_another_spun_one_and_only_flags_a_clean_one(tmp_path):
    root = project(tmp_path, "statins", "healthy-weight")
    (root / "source" / "colds.md").write_text(
        "# Colds\n\nA cold is a common ailment of the nose and throat. Rest and drink plenty of fluids.\n",
        encoding="utf-8")
    # statins.md:12 "Have heart ailment or narrowed arteries": the editor wrote "disease"
    write_decisions(root / "source" / "statins.review.toml", Decision(12, "ailment", after="disease"))
    r = run_pipeline("-C", str(root), "--quiet")
    assert r.returncode == 0, r.stderr
    spun = (root / "output" / "repair" / "healthy-weight.txt").read_text(encoding="utf-8")
    assert "# learned from editors' decisions: 1\n" in spun
    assert 'source/healthy-weight.md:5:83: fixed: "ailment" → "disease"  [learned:ailment, spun]' in spun
    assert any("high blood pressure, heart disease," in m for m in pot_ids(root, "healthy-weight"))
    clean = (root / "output" / "repair" / "colds.txt").read_text(encoding="utf-8")
    assert ('source/colds.md:3:20: flag: "ailment": an editor replaced this wording in '
            'source/statins.review.toml; suggestion: "disease"  [learned:ailment, spun]') in clean
    assert "0 fixed" in clean
    assert any("a common ailment of the nose" in m for m in pot_ids(root, "colds"))
    # a fresh clone learns the same: no build/ cache, the same catalogs and reports
    fresh = tmp_path / "fresh"
    for name in ("source", "locale"):
        shutil.copytree(root / name, fresh / name)
    assert run_pipeline("-C", str(fresh), "--quiet").returncode == 0
    for path in sorted((root / "locale").rglob("*.po*")) + sorted((root / "output" / "repair").glob("*.txt")):
        assert (fresh / path.relative_to(root)).read_bytes() == path.read_bytes(), path


def test_a_kept_original_is_not_flagged_again_in_any_document(tmp_path):
    root = project(tmp_path, "statins", "gout")
    flagged = [i.before for i in items_of(root / "source" / "gout.md")]
    assert "ailment" in flagged  # gout.md:13 "Have kidney ailment or ..."
    write_decisions(root / "source" / "statins.review.toml", Decision(12, "ailment", keep=True))
    assert "ailment" not in [i.before for i in items_of(root / "source" / "gout.md")]
    r = run_pipeline("-C", str(root), "--quiet")
    assert r.returncode == 0, r.stderr
    gout = (root / "output" / "repair" / "gout.txt").read_text(encoding="utf-8")
    statins = (root / "output" / "repair" / "statins.txt").read_text(encoding="utf-8")
    assert '"ailment"' not in gout
    assert 'source/statins.md:12:14: kept: "ailment"  [editor:decision, decided]' in statins
    assert 'flag: "ailment"' not in statins


# -- the gate ---------------------------------------------------------------------------------------


def test_require_review_stops_update_until_every_item_is_decided(tmp_path):
    root = project(tmp_path, "gout", config="[tool.handouts]\nrequire-review = true\n")
    items = items_of(root / "source" / "gout.md")
    assert items
    for args in (["update"], []):
        r = run_pipeline("-C", str(root), *args)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr
        errors = r.stderr.splitlines()
        assert errors == [f'source/gout.md:{i.line}: error: unreviewed repair: "{i.before}"'
                          + (f' (suggestion: "{i.suggestions[0]}")' if i.suggestions else "")
                          + "; decide with python pipeline.py review (require-review is set: no catalog is "
                            "updated until every item is decided)" for i in items]
    assert not (root / "locale" / "gout.pot").exists() and not (root / "output").exists()
    r = run_pipeline("-C", str(root), "init", "fr")  # adding a language would update catalogs too
    assert r.returncode == 2 and r.stderr.splitlines() == errors
    assert (root / "locale" / "LINGUAS").read_text(encoding="utf-8") == "de\n"

    check = run_pipeline("-C", str(root), "check")
    assert check.returncode == 0
    for i in items:
        assert f'source/gout.md:{i.line}: warning: unreviewed repair: "{i.before}"' in check.stderr
    status = run_pipeline("-C", str(root), "status")
    assert f"gout: {len(items)} not reviewed" in status.stdout

    # the editor decides all but one (accepts the first suggestion, keeps the rest): still stopped,
    # for that one only
    chosen = [Decision(items[0].line, items[0].before, after=items[0].suggestions[0])]
    chosen += [Decision(i.line, i.before, keep=True) for i in items[1:-1]]
    write_decisions(root / "source" / "gout.review.toml", *chosen)
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [e for e in errors if f':{items[-1].line}: ' in e and
                                     f'"{items[-1].before}"' in e]
    write_decisions(root / "source" / "gout.review.toml", *chosen,
                    Decision(items[-1].line, items[-1].before, keep=True))
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 0, r.stderr
    assert (root / "locale" / "gout.pot").exists()
    assert "gout: 0 not reviewed" in run_pipeline("-C", str(root), "status").stdout


# -- the terminal form ------------------------------------------------------------------------------


class Terminal:
    """A real pseudo-terminal around the real command line."""

    def __init__(self, *args: str):
        self.master, slave = pty.openpty()
        env = dict(os.environ, PYTHONIOENCODING="utf-8", TERM="dumb")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "pipeline.py"), *args], stdin=slave,
                                     stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = b""
        self.pos = 0

    def expect(self, text: str, timeout: float = 120) -> str:
        """Read until ``text`` appears after what was already expected; what came before it."""
        want = text.encode("utf-8")
        end = time.monotonic() + timeout
        while want not in self.seen[self.pos:]:
            left = end - time.monotonic()
            assert left > 0, f"waited for {text!r}, got {self.seen[self.pos:].decode('utf-8', 'replace')!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"ended before {text!r}: {self.seen[self.pos:].decode('utf-8', 'replace')!r}"
                self.seen += chunk
        k = self.seen.index(want, self.pos)
        before = self.seen[self.pos:k].decode("utf-8", "replace")
        self.pos = k + len(want)
        return before

    def send(self, data: str) -> None:
        os.write(self.master, data.encode("utf-8"))

    def close(self) -> int:
        code = self.proc.wait(timeout=60)
        os.close(self.master)
        return code


def test_fix_i_in_a_real_terminal_accepts_keeps_and_edits(tmp_path):
    shutil.copyfile(SPUN / "gout.spun.md", tmp_path / "gout.md")
    src = tmp_path / "gout.md"
    items = items_of(src)
    assert len(items) > 3
    term = Terminal("fix", "-i", str(src))
    shown = term.expect("decision? ")
    assert f"{src}:{items[0].line}:{items[0].column}:" in shown
    assert f"  1) \"{items[0].suggestions[0]}\"" in shown
    assert "^" * len(items[0].before) in shown  # the span is marked under the line
    term.send("a")  # one key, no Enter
    term.expect("decision? ")
    term.send("k")
    term.expect("decision? ")
    term.send("e")
    term.expect("replace with: ")
    term.send("comes abaut\x7f\x7f\x7fout\r")  # typed, a typo undone with three backspaces, Return
    term.expect("decision? ")
    term.send("q")
    tail = term.expect(" left")
    assert term.close() == 0
    assert tail.strip().endswith(f"3 decided, {len(items) - 3}")
    saved = decisions.load(decisions.path_for(src))
    assert sorted((d.line, d.before, d.after, d.keep) for d in saved) == sorted([
        (items[0].line, items[0].before, items[0].suggestions[0], False),
        (items[1].line, items[1].before, None, True),
        (items[2].line, items[2].before, "comes about", False),
    ])
    # the next run applies them, and asks only about the rest
    r = run_pipeline("fix", str(src))
    line = r.stdout.splitlines()[items[2].line - 1]
    assert "comes about" in line and "comes about" not in src.read_text(encoding="utf-8")
    assert "# editor's decisions: 3\n" in r.stderr and f'kept: "{items[1].before}"' in r.stderr


def test_fix_i_reads_answers_line_by_line_from_a_pipe(tmp_path):
    shutil.copyfile(SPUN / "gout.spun.md", tmp_path / "gout.md")
    src = tmp_path / "gout.md"
    items = items_of(src)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    r = subprocess.run([sys.executable, str(ROOT / "pipeline.py"), "fix", "-i", str(src)], input="\ns\nk\n",
                       capture_output=True, text=True, encoding="utf-8", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith(f"2 decided, {len(items) - 2} left")  # the input ended: as q
    saved = sorted((d.line, d.before, d.after, d.keep) for d in decisions.load(decisions.path_for(src)))
    assert saved == sorted([(items[0].line, items[0].before, items[0].suggestions[0], False),
                            (items[2].line, items[2].before, None, True)])


def test_a_decision_on_the_second_place_of_a_word_on_its_line_stays_there(tmp_path):
    # what another editor decided (its document since removed) flags "ailment" here twice
    write_decisions(tmp_path / "old.review.toml", Decision(1, "ailment", after="disease"))
    src = tmp_path / "colds.md"
    src.write_text("# Colds\n\nA cold is a common ailment, and hay fever is a frequent ailment too.\n",
                   encoding="utf-8")
    first, second = items_of(src)
    assert (first.before, second.before, second.suggestions) == ("ailment", "ailment", ("disease",))
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    r = subprocess.run([sys.executable, str(ROOT / "pipeline.py"), "fix", "-i", str(src)], input="s\na\n",
                       capture_output=True, text=True, encoding="utf-8", env=env)
    assert r.returncode == 0 and r.stdout.rstrip().endswith("1 decided, 1 left"), r.stdout + r.stderr
    (saved,) = decisions.load(decisions.path_for(src))
    assert (saved.line, saved.before, saved.after) == (3, "frequent ailment", "frequent disease")
    assert [i.start for i in items_of(src)] == [first.start]  # the first place is still to review
    fixed = run_pipeline("fix", str(src))
    assert "a common ailment, and hay fever is a frequent disease too." in fixed.stdout


def test_what_is_learned_and_what_is_not(tmp_path):
    write_decisions(tmp_path / "a.review.toml",
                    Decision(1, "ailment", after="disease"),                  # learned
                    Decision(2, "Ache administration", after="Pain management"),  # learned, lower case
                    Decision(3, "Device", after="device"),                    # only the case: not learned
                    Decision(4, "take 2 tablets", after="take two tablets"),  # a number: not learned
                    Decision(5, "one two three four five six seven", after="seven"),  # too long
                    Decision(6, "ketamine", after="esketamine"),              # a drug name changes: not learned
                    Decision(7, "redness", after=""),                         # empty: not learned
                    Decision(8, "wellness", after="health"),                  # kept elsewhere: not learned
                    Decision(9, "assaults", after="attacks"))
    write_decisions(tmp_path / "b.review.toml",
                    Decision(1, "Wellness", keep=True),
                    Decision(2, "assaults", after="bouts"),
                    Decision(3, "ailment", after="disease"))
    write_decisions(tmp_path / "c.review.toml", Decision(1, "assaults", after="bouts"))
    learned = learn(tmp_path)
    assert [(s.before, s.after, s.source) for s in learned.swaps] == [
        ("ache administration", "pain management", str(tmp_path / "a.review.toml")),
        ("ailment", "disease", str(tmp_path / "a.review.toml")),
        ("assaults", "bouts", str(tmp_path / "b.review.toml")),  # two files against one
    ]
    assert learned.kept == {("wellness",)}
    # a stale decision teaches nothing: its document no longer has the text on that line
    (tmp_path / "c.md").write_text("Sudden flares of pain.\n", encoding="utf-8")
    assert [(s.before, s.after) for s in learn(tmp_path).swaps if s.before == "assaults"] == [("assaults", "attacks")]
    # learned swaps are no evidence of spinning: two of them in a clean text are flagged, not repaired
    clean = "# Gout\n\nGout is a painful ailment. Sudden assaults of pain are common at night.\n"
    result = repair(clean, learned=learn(tmp_path))
    assert result.text == clean and result.fixes == []
    assert [(f.text, f.suggestion, f.rule) for f in result.flags] == [
        ("ailment", "disease", "learned:ailment"), ("assaults", "attacks", "learned:assaults")]


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text(alphabet="ab\n\r é", max_size=60), st.integers(min_value=0, max_value=70))
def test_lines_give_each_offset_its_line_and_column(text, offset):
    # what reports and decisions print as line:column: a line starts after each "\n", nowhere else
    lines = decisions.Lines(text)
    assert lines.starts == [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    offset = min(offset, len(text))
    line, column = lines.position(offset)
    assert line == text[:offset].count("\n") + 1
    assert column == offset - (text.rfind("\n", 0, offset) + 1) + 1
