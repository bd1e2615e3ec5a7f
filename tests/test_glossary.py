"""Glossaries: the agreed term for each medical concept, checked in every translation."""
import json

import pytest

from conftest import ROOT, run_pipeline, small_project, translate
from handouts import glossary

DOC = """# PTSD

Ketamine is studied for post-traumatic stress disorder (PTSD).

Ketamine is a controlled substance in most countries.

Keep all controlled substances locked away.
"""
GERMAN = {
    "PTSD": "PTBS",
    "Ketamine is studied for post-traumatic stress disorder (PTSD).":
        "Ketamin wird bei posttraumatischer Belastungsstörung (PTBS) untersucht.",
    "Ketamine is a controlled substance in most countries.":
        "Ketamin ist in den meisten Ländern ein Betäubungsmittel.",
    "Keep all controlled substances locked away.": "Bewahren Sie alle kontrollierten Substanzen verschlossen auf.",
}
GLOSSARY = (
    "source,target,note\n"
    "post-traumatic stress disorder,posttraumatische Belastungsstörung | posttraumatischer Belastungsstörung,ICD-10 F43.1\n"
    "controlled substance,kontrollierte Substanz | kontrollierten Substanzen,\"not \"\"Betäubungsmittel\"\" (a narcotic)\"\n"
    "order,Bestellung,a word that must match whole words only\n"
)


def _project(tmp_path, text=GLOSSARY):
    root = small_project(tmp_path, "ptsd", DOC, ("de",))
    translate(root, "de", "ptsd", GERMAN)
    (root / "locale" / "de" / "glossary.csv").write_text(text, encoding="utf-8")
    return root


def test_check_warns_where_a_translation_ignores_the_glossary(tmp_path):
    root = _project(tmp_path)
    r = run_pipeline("-C", str(root), "check")
    assert r.returncode == 0, r.stderr  # a warning: reported, not an error
    import polib

    line = polib.pofile(str(root / "locale" / "de" / "LC_MESSAGES" / "ptsd.po")).find(
        "Ketamine is a controlled substance in most countries.").linenum
    glossary_lines = [l for l in r.stderr.splitlines() if "glossary" in l]
    assert glossary_lines == [
        f'locale/de/LC_MESSAGES/ptsd.po:{line}: warning: glossary: "controlled substance" should be translated '
        '"kontrollierte Substanz" (not "Betäubungsmittel" (a narcotic))',
    ]
    # the inflected form listed after ' | ' passes; so does the plural in the English ("controlled substances")


def test_terms_match_whole_words_case_insensitively_and_in_the_plural():
    (ptsd, substance, order) = glossary._load("g.csv", "g.csv", GLOSSARY.encode())
    assert ptsd.in_source("Post-Traumatic Stress Disorder is treatable.")
    assert ptsd.in_source("post-traumatic stress disorders")
    assert substance.in_source("controlled substances") and substance.in_source("Controlled  Substance.")
    assert not order.in_source("Reorder your medicines.") and not order.in_source("a mail-order pharmacy")
    assert order.in_source("Orders arrive in a week.")
    assert substance.in_translation("Eine KONTROLLIERTE Substanz.")
    assert not substance.in_translation("Ein Betäubungsmittel.")


@pytest.mark.parametrize("text, line, words", [
    ("term,translation\nketamine,Ketamin\n", 1, "the header must be source,target,note"),
    ("source,target,note\nketamine,Ketamin\n", 2, "2 fields where 3 belong"),
    ("source,target,note\nketamine,,\n", 2, "needs both a source and a target"),
    ("source,target,note\nketamine,Ketamin,\nKetamine,Ketamin,again\n", 3, "already defined at line 2"),
    ('source,target,note\nketamine,"Ketamin,\n', 2, "not valid CSV"),
    ("source,target,note\nketamine,Ketamin|Ketamins,\n", 2, "separate the accepted forms"),
    ("", 1, "empty glossary"),
])
def test_a_malformed_glossary_is_an_error_with_its_line(tmp_path, text, line, words):
    root = _project(tmp_path, text)
    for command in ("check", "status"):
        r = run_pipeline("-C", str(root), command)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(f"locale/de/glossary.csv:{line}: error: "), r.stderr
        assert words in r.stderr and "Traceback" not in r.stderr


def test_bad_bytes_in_a_glossary_are_reported(tmp_path):
    root = _project(tmp_path)
    (root / "locale" / "de" / "glossary.csv").write_bytes(b"source,target,note\nketamine,Ketamin\xff,\n")
    r = run_pipeline("-C", str(root), "check")
    assert r.returncode == 2 and r.stderr.startswith("locale/de/glossary.csv:2: error: not valid UTF-8"), r.stderr


def test_status_shows_glossary_coverage(tmp_path):
    root = _project(tmp_path)
    r = run_pipeline("-C", str(root), "status", "--json")
    row = json.loads(r.stdout)["catalogs"][0]
    assert row["glossary"] == {"terms": 3, "used": 3, "followed": 2}
    r = run_pipeline("-C", str(root), "status")
    assert "2/3" in r.stdout


SHIPPED = ["ar", "de", "es", "fr", "zh_CN"]


@pytest.mark.parametrize("code", SHIPPED)
def test_shipped_languages_have_a_glossary_and_follow_it(code):
    terms = glossary.load(ROOT / "locale", code)
    assert len(terms) >= 15
    assert {"ketamine", "post-traumatic stress disorder", "controlled substance"} <= {t.source.lower() for t in terms}


def test_shipped_translations_follow_their_glossaries():
    r = run_pipeline("-C", str(ROOT), "check")
    assert r.returncode == 0, r.stderr
    assert "glossary" not in r.stderr, r.stderr


def _catalog_at(revision, path):
    """A catalog as it was committed at ``revision`` (the translations before the medical review)."""
    import subprocess

    from handouts import pofile

    r = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:{path}"], capture_output=True)
    if r.returncode != 0:
        pytest.skip("not a git checkout with its history")
    return pofile.parse(r.stdout.decode("utf-8"), path)


@pytest.mark.parametrize("code, domain, term", [
    ("fr", "ketamine", "controlled substance"),       # "classée comme stupéfiant": a narcotic
    ("fr", "handouts", "nurse"),                       # "infirmier/ère"
    ("ar", "ketamine", "anesthetic"),                  # "مادة مخدِّرة للتخدير": circular, reads as a narcotic
    ("ar", "ketamine", "dissociation"),                # "الانفصال عن الواقع": reads as psychosis
    ("ar", "ketamine", "PTSD"),                        # the abbreviation was dropped
])
def test_the_glossaries_catch_what_the_medical_review_found(code, domain, term):
    """The translations as they were before the review fail today's glossary on the reviewed term."""
    before = _catalog_at("7d2719a", f"locale/{code}/LC_MESSAGES/{domain}.po")
    terms = glossary.load(ROOT / "locale", code)
    found = {t.source for e in before.entries if e.msgstr and not e.obsolete
             for t in glossary.missing(terms, e.msgid, e.msgstr)}
    assert term in found
    now = run_pipeline("-C", str(ROOT), "check", "--locale", code)
    assert f'"{term}" should be translated' not in now.stderr
