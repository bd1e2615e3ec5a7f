"""Incremental builds are never stale: after any edits, they equal a clean build byte for byte.

A property test plays random edits to every kind of input (a source paragraph, a new or
removed document, a translation, a fuzzy flag, the templates' words, the configuration,
the project's own templates, the review date, an editor's decision on the repair, the
language list, a deleted handout) and
after each step builds twice from the same starting point: once incrementally, with the
cache in build/, and once from scratch in a copy without it.  locale/ and output/ must be
identical.
"""
import shutil
from pathlib import Path

import polib
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handouts.cli import main
from handouts.repair import decisions

PARAGRAPHS = [
    "Take paracetamol to bring a fever down.",
    "Drink plenty of fluids, such as water or squash.",
    "Do not take more than 8 tablets in 24 hours.",
    "See a doctor if the fever lasts more than 3 days.",
    "Call 999 if someone has a fit or cannot be woken.",
    "Keep medicines out of the reach of children.",
]
GERMAN = {
    "Take paracetamol to bring a fever down.": "Nehmen Sie Paracetamol, um das Fieber zu senken.",
    "Drink plenty of fluids, such as water or squash.": "Trinken Sie viel, zum Beispiel Wasser oder Saft.",
    "Do not take more than 8 tablets in 24 hours.": "Nehmen Sie nicht mehr als 8 Tabletten in 24 Stunden.",
    "See a doctor if the fever lasts more than 3 days.": "Gehen Sie zum Arzt, wenn das Fieber länger als 3 Tage dauert.",
    "Fever": "Fieber",
}
INPUTS = ("source", "locale", "templates", "pyproject.toml", "output", "build")


def _doc(paragraphs):
    return "# Fever\n\n" + "\n\n".join(paragraphs) + "\n"


def _run(root: Path, jobs: int) -> None:
    assert main(["-C", str(root), "--quiet", "--jobs", str(jobs)]) == 0


def _tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for folder in ("locale", "output") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def _set_msgstr(path: Path, msgid: str, text: str | None, fuzzy: bool = False) -> None:
    if not path.exists():
        return
    po = polib.pofile(str(path))
    entry = po.find(msgid)
    if entry is None:
        return
    entry.msgstr = text or ""
    if fuzzy and "fuzzy" not in entry.flags:
        entry.flags.append("fuzzy")
    path.write_text(str(po), encoding="utf-8")


def edit(root: Path, kind: str, n: int) -> None:
    """One edit of the kind a clinic makes; ``n`` picks what exactly."""
    source = root / "source"
    if kind == "paragraph":
        docs = sorted(source.glob("*.md"))
        path = docs[n % len(docs)]
        paras = [p for p in path.read_text(encoding="utf-8").split("\n\n")[1:]]
        paras[n % len(paras)] = PARAGRAPHS[(n + 1) % len(PARAGRAPHS)] if n % 3 else paras[n % len(paras)].replace(".", ", as a rule.")
        path.write_text("# Fever\n\n" + "\n\n".join(p.strip() for p in paras) + "\n", encoding="utf-8")
    elif kind == "new document":
        (source / f"extra-{n % 3}.md").write_text(_doc(PARAGRAPHS[n % 4: n % 4 + 3]), encoding="utf-8")
    elif kind == "remove document":
        docs = sorted(source.glob("*.md"))
        if len(docs) > 1:
            docs[n % len(docs)].unlink()
    elif kind in ("translation", "fuzzy"):
        pos = sorted((root / "locale").glob("*/LC_MESSAGES/*.po"))
        if pos:
            msgid = list(GERMAN)[n % len(GERMAN)]
            _set_msgstr(pos[n % len(pos)], msgid, GERMAN[msgid] + ("" if n % 2 else " Bitte."), kind == "fuzzy")
    elif kind == "clear translation":
        for path in sorted((root / "locale").glob("de/LC_MESSAGES/*.po"))[:1]:
            _set_msgstr(path, list(GERMAN)[n % len(GERMAN)], None)
    elif kind == "template words":
        _set_msgstr(root / "locale" / "de" / "LC_MESSAGES" / "handouts.po",
                    "This handout gives general information. It does not replace advice from your doctor, "
                    "nurse or pharmacist.", f"Allgemeine Informationen, Fassung {n}. Sie ersetzen nicht den Rat "
                                            "Ihres Arztes, Ihrer Pflegekraft oder Ihrer Apotheke.")
    elif kind == "configuration":
        (root / "pyproject.toml").write_text(f"[tool.handouts]\nmin-translated = {(0, 40, 80, 100)[n % 4]}\n",
                                             encoding="utf-8")
    elif kind == "project template":
        folder = root / "templates"
        if n % 3 == 0 and folder.exists():
            shutil.rmtree(folder)
        else:
            folder.mkdir(exist_ok=True)
            text = (Path(__file__).parent.parent / "handouts" / "templates" / "handout.txt.j2").read_text(encoding="utf-8")
            (folder / "handout.txt.j2").write_text(text + f"\nClinic copy {n}.\n", encoding="utf-8")
    elif kind == "review date":
        for path in sorted(source.glob("*.md"))[:1]:
            path.with_suffix(".toml").write_text(f"reviewed = 2026-{n % 12 + 1:02d}-15\n", encoding="utf-8")
    elif kind == "decision":  # an editor's decision: applied to its document, learned by the others
        docs = sorted(source.glob("*.md"))
        path = docs[n % len(docs)]
        review = decisions.path_for(path)
        lines = path.read_text(encoding="utf-8").splitlines()
        if n % 4 == 0 or len(lines) < 3:
            review.unlink(missing_ok=True)
            return
        words = lines[2].split()
        word = words[n % len(words)].strip(".,")
        line = 3 if n % 5 else 4  # now and then a decision that does not hold (stale)
        made = {1: decisions.Decision(line, word, after=word.upper()), 2: decisions.Decision(line, word, keep=True),
                3: decisions.Decision(line, word, after=f"the {word}")}[n % 4]
        decisions.save(review, decisions.decide(decisions.load(review), made))
    elif kind == "languages":
        (root / "locale" / "LINGUAS").write_text("de\n" + ("es\n" if n % 2 else ""), encoding="utf-8")
    elif kind == "delete a handout":
        outputs = sorted((root / "output").glob("*/*.html"))
        if outputs:
            outputs[n % len(outputs)].unlink()


KINDS = ["paragraph", "new document", "remove document", "translation", "fuzzy", "clear translation",
         "template words", "configuration", "project template", "review date", "decision", "languages",
         "delete a handout"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 50), st.sampled_from([1, 2])),
                      min_size=1, max_size=4))
@example(steps=[("decision", 1, 1), ("decision", 6, 2), ("decision", 3, 1)])  # cold.md teaches fever.md
def test_an_incremental_build_equals_a_clean_build(tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("incremental")
    (root / "source").mkdir()
    (root / "source" / "fever.md").write_text(_doc(PARAGRAPHS[:4]), encoding="utf-8")
    (root / "source" / "cold.md").write_text(_doc(PARAGRAPHS[1:5]), encoding="utf-8")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text("de\nes\n", encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.handouts]\nmin-translated = 40\n", encoding="utf-8")
    _run(root, 1)
    for po in (root / "locale" / "de" / "LC_MESSAGES").glob("*.po"):
        for msgid, text in GERMAN.items():
            _set_msgstr(po, msgid, text)
    _run(root, 2)
    for number, (kind, n, jobs) in enumerate(steps):
        edit(root, kind, n)
        clean = tmp_path_factory.mktemp("clean")
        for name in INPUTS:
            if (root / name).is_dir():
                shutil.copytree(root / name, clean / name)
            elif (root / name).exists():
                shutil.copyfile(root / name, clean / name)
        shutil.rmtree(clean / "build", ignore_errors=True)
        shutil.rmtree(clean / "output", ignore_errors=True)
        _run(root, jobs)
        _run(clean, 1)
        assert _tree(root) == _tree(clean), f"after step {number + 1}: {kind} {n}"
