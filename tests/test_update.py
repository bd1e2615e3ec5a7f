"""Translators' work is never lost: update rules, and a property test over random edits."""
import polib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handouts.project import Project

PARAGRAPHS = [
    "Take paracetamol to bring a fever down.",
    "Drink plenty of fluids, such as water or squash.",
    "Rest at home and stay away from other people.",
    "See a doctor if the fever lasts more than 3 days.",
    "Call 999 if someone has a fit or cannot be woken.",
    "Keep medicines out of the reach of children.",
]


def write_doc(root, name, paragraphs):
    (root / "source").mkdir(exist_ok=True)
    text = "# Fever\n\n" + "\n\n".join(paragraphs) + "\n"
    (root / "source" / f"{name}.md").write_text(text, encoding="utf-8")


def update(root):
    Project(root, 80).run(("update",))


def catalog(root, name="fever", lang="es"):
    return polib.pofile(str(root / "locale" / lang / "LC_MESSAGES" / f"{name}.po"))


def save(root, po, name="fever", lang="es"):
    (root / "locale" / lang / "LC_MESSAGES" / f"{name}.po").write_text(str(po), encoding="utf-8")


def setup(tmp_path, paragraphs=PARAGRAPHS[:3]):
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "LINGUAS").write_text("es\n", encoding="utf-8")
    write_doc(tmp_path, "fever", paragraphs)
    update(tmp_path)
    return tmp_path


def test_translator_flags_comments_and_header_are_kept_byte_for_byte(tmp_path):
    root = setup(tmp_path)
    po = catalog(root)
    entry = po.find(PARAGRAPHS[0])
    entry.msgstr = "Tome paracetamol para bajar la fiebre."
    entry.tcomment = "revisado por Ana"
    entry.flags.append("no-wrap")
    po.metadata["Last-Translator"] = "Ana García <ana@example.org>"
    po.metadata["PO-Revision-Date"] = "2026-11-20 10:00+0100"
    po.metadata["Language-Team"] = "Spanish <es@example.org>"
    save(root, po)
    update(root)
    before = (root / "locale" / "es" / "LC_MESSAGES" / "fever.po").read_bytes()
    update(root)
    assert (root / "locale" / "es" / "LC_MESSAGES" / "fever.po").read_bytes() == before
    po = catalog(root)
    entry = po.find(PARAGRAPHS[0])
    assert (entry.msgstr, entry.tcomment) == ("Tome paracetamol para bajar la fiebre.", "revisado por Ana")
    assert "no-wrap" in entry.flags and "fuzzy" not in entry.flags
    assert po.metadata["Last-Translator"] == "Ana García <ana@example.org>"
    assert po.metadata["PO-Revision-Date"] == "2026-11-20 10:00+0100"
    assert po.metadata["Language-Team"] == "Spanish <es@example.org>"


def test_new_unit_is_prefilled_from_another_documents_translation(tmp_path):
    root = setup(tmp_path)
    po = catalog(root)
    po.find(PARAGRAPHS[2]).msgstr = "Descanse en casa y manténgase alejado de otras personas."
    save(root, po)
    write_doc(root, "flu", ["Flu spreads easily.", PARAGRAPHS[2]])
    update(root)
    entry = catalog(root, "flu").find(PARAGRAPHS[2])
    assert entry.msgstr == "Descanse en casa y manténgase alejado de otras personas."
    assert "fuzzy" in entry.flags


# --- the property: random source edits and translator edits, update after each ------------

source_edit = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 5), st.sampled_from(PARAGRAPHS)),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("reword"), st.integers(0, 5), st.sampled_from(["Please ", "Always ", "Now, "])),
    st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("restore")),
)
translator_edit = st.tuples(st.just("translate"), st.integers(0, 20), st.integers(0, 10**6))


def apply_source(paragraphs, history, edit):
    ps = list(paragraphs)
    kind = edit[0]
    if kind == "insert":
        ps.insert(edit[1] % (len(ps) + 1), edit[2])
    elif kind == "delete" and ps:
        ps.pop(edit[1] % len(ps))
    elif kind == "reword" and ps:
        i = edit[1] % len(ps)
        ps[i] = edit[2] + ps[i][0].lower() + ps[i][1:]
    elif kind == "move" and ps:
        ps.insert(edit[2] % len(ps), ps.pop(edit[1] % len(ps)))
    elif kind == "restore" and history:
        ps = list(history[0])
    return list(dict.fromkeys(ps))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(source_edit, translator_edit), min_size=1, max_size=8))
def test_no_translation_is_ever_lost(tmp_path_factory, steps):
    root = setup(tmp_path_factory.mktemp("p"))
    paragraphs = PARAGRAPHS[:3]
    history = [paragraphs]
    work: dict[str, str] = {}  # translation text -> the source it was written for
    for number, step in enumerate(steps):
        if step[0] == "translate":
            po = catalog(root)
            active = [e for e in po if not e.obsolete]
            entry = active[step[1] % len(active)]
            text = f"traducción {step[2]} ({number})"  # each text is written once
            if entry.msgstr in work:
                del work[entry.msgstr]  # the translator replaced their own earlier text
            entry.msgstr = text
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            work[text] = entry.msgid
            save(root, po)
        else:
            paragraphs = apply_source(paragraphs, history, step)
            history.append(paragraphs)
            write_doc(root, "fever", paragraphs)
        update(root)
        po = catalog(root)
        for text, source in work.items():
            holders = [e for e in po if e.msgstr == text]
            assert holders, f"translation {text!r} of {source!r} was lost"
            exact = [e for e in holders if e.msgid == source and not e.obsolete]
            if source in paragraphs:
                # on its unchanged unit the translation is active, as the translator left it
                assert exact and "fuzzy" not in exact[0].flags, (text, source)
            else:
                # its unit changed or went away: fuzzy on the edited unit, or obsolete
                assert all(e.obsolete or "fuzzy" in e.flags for e in holders if e.msgid != source)


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for folder in ("locale", "output") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def test_an_update_shared_among_worker_processes_writes_what_one_process_writes(tmp_path, monkeypatch):
    """With enough catalogs to merge, the update's languages are shared among forked workers, which
    send back their records, digests and what the build reads: catalogs and handouts are byte for
    byte those of one process, at every step, and a run after each writes nothing."""
    import shutil

    from handouts import update as update_stage

    roots = {}
    for name in ("serial", "workers"):
        root = tmp_path / name
        (root / "locale").mkdir(parents=True)
        (root / "locale" / "LINGUAS").write_text("es\nde\nfr\n", encoding="utf-8")
        for n in range(4):
            write_doc(root, f"doc{n}", PARAGRAPHS[n:n + 3])
        roots[name] = root
    monkeypatch.setattr(update_stage, "PARALLEL", 1)
    shared = []
    real = update_stage._workers
    monkeypatch.setattr(update_stage, "_workers", lambda *a: shared.append(real(*a)) or shared[-1])

    def run(name):
        return Project(roots[name], 0, jobs=1 if name == "serial" else 2).run()

    def translate(root):
        for path in sorted((root / "locale").rglob("doc*.po")):
            po = polib.pofile(str(path))
            for entry in po:
                entry.msgstr = f"[{path.parent.parent.name}] {entry.msgid}"
            po.save()

    steps = [lambda root: None, translate,
             lambda root: write_doc(root, "doc1", [PARAGRAPHS[1] + " Now.", PARAGRAPHS[5]]),
             lambda root: (root / "locale" / "LINGUAS").write_text("es\nde\nfr\nit\n", encoding="utf-8")]
    for step in steps:
        for name in roots:
            step(roots[name])
            run(name)
        assert _tree(roots["workers"]) == _tree(roots["serial"])
        memories = [sorted(p.name for p in (roots[n] / "build" / "memory").glob("*")) for n in roots]
        assert memories[0] == memories[1]  # the language's memory tables, made by a worker, kept
        again = run("workers")
        assert again.written == []
    assert 2 in shared  # (the workers did run)
    shutil.rmtree(tmp_path)


def test_a_bad_catalog_stops_an_update_shared_among_workers_before_anything_is_written(tmp_path, monkeypatch):
    from handouts import update as update_stage
    from handouts.errors import HandoutsError

    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "LINGUAS").write_text("es\nde\n", encoding="utf-8")
    for n in range(3):
        write_doc(tmp_path, f"doc{n}", PARAGRAPHS[n:n + 2])
    Project(tmp_path, 0, jobs=2).run(("update",))
    monkeypatch.setattr(update_stage, "PARALLEL", 1)
    for n in range(3):
        write_doc(tmp_path, f"doc{n}", PARAGRAPHS[n + 1:n + 4])
    bad = tmp_path / "locale" / "de" / "LC_MESSAGES" / "doc2.po"
    bad.write_text(bad.read_text(encoding="utf-8") + '\nmsgid "x"\n', encoding="utf-8")
    before = {p: p.read_bytes() for p in sorted((tmp_path / "locale").rglob("*.po*"))}
    try:
        Project(tmp_path, 0, jobs=2).run(("update",))
    except HandoutsError as error:
        assert error.path == "locale/de/LC_MESSAGES/doc2.po" and error.line is not None
    else:
        raise AssertionError("the bad catalog was not reported")
    assert {p: p.read_bytes() for p in sorted((tmp_path / "locale").rglob("*.po*"))} == before


def test_the_templates_words_are_kept_between_runs_and_a_template_edit_is_read_at_once(tmp_path, monkeypatch):
    """Extracting the templates' words (Babel's Jinja2 extractor) is kept in the user's cache by the
    templates' bytes: a new project's run reads it from there, and a project's edited template is
    extracted again at once, its new words in the templates' catalog and the old ones gone."""
    from pathlib import Path

    from conftest import run_pipeline, small_project

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = Path(__file__).resolve().parent.parent / "handouts" / "templates"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    root = small_project(tmp_path / "a", "dose", "# Dose\n\nTake 2 tablets a day.\n", ("de",))
    kept = set((tmp_path / "cache" / "handouts").glob("ui-words-*.pickle"))  # the package's templates' words
    assert len(kept) == 1
    (root / "templates").mkdir()
    text = (templates / "handout.txt.j2").read_text(encoding="utf-8")
    (root / "templates" / "handout.txt.j2").write_text(text + '{{ ui("Keep this leaflet") }}\n', encoding="utf-8")
    assert run_pipeline("-C", str(root)).returncode == 0
    assert len(set((tmp_path / "cache" / "handouts").glob("ui-words-*.pickle")) - kept) == 1
    pot = (root / "locale" / "handouts.pot").read_text(encoding="utf-8")
    assert 'msgid "Keep this leaflet"' in pot

    (root / "templates" / "handout.txt.j2").write_text(text + '{{ ui("Keep this handout") }}\n', encoding="utf-8")
    assert run_pipeline("-C", str(root)).returncode == 0
    pot = (root / "locale" / "handouts.pot").read_text(encoding="utf-8")
    assert 'msgid "Keep this handout"' in pot and "Keep this leaflet" not in pot
    assert len(set((tmp_path / "cache" / "handouts").glob("ui-words-*.pickle")) - kept) == 2

    # a second project with the same templates takes the kept words: the same catalog as with no cache
    other = small_project(tmp_path / "b", "dose", "# Dose\n\nTake 2 tablets a day.\n", ("de",))
    (other / "templates").mkdir()
    (other / "templates" / "handout.txt.j2").write_text(text + '{{ ui("Keep this handout") }}\n', encoding="utf-8")
    assert run_pipeline("-C", str(other)).returncode == 0
    monkeypatch.setenv("HANDOUTS_CACHE", "off")
    (other / "locale" / "handouts.pot").unlink()
    (other / "build" / "state.pickle").unlink()
    assert run_pipeline("-C", str(other)).returncode == 0
    assert (other / "locale" / "handouts.pot").read_text(encoding="utf-8").replace(str(other), "") \
        == pot.replace(str(root), "")
