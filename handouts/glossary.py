"""Glossaries: the agreed term for a medical concept in each language, used the same way everywhere.

``locale/<lang>/glossary.csv`` (UTF-8, RFC 4180, a header row ``source,target,note``):

    source,target,note
    post-traumatic stress disorder,posttraumatische Belastungsstörung | posttraumatischen Belastungsstörung,ICD-10 F43.1
    controlled substance,substance réglementée,"not ""stupéfiant"" (narcotic)"

* ``source`` is matched in the English by whole words, case-insensitively, also in the
  plural ("controlled substances");
* ``target`` lists the accepted forms, separated by `` | `` (a language that inflects the
  term needs more than one); the first is the preferred one, shown in messages. A
  translation passes when it contains one of them, case-insensitively;
* ``note`` is for translators.

A malformed glossary is ``path:line: error:`` (exit 2), never silently ignored.
"""
from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .documents import decode, exists, read_bytes
from .errors import HandoutsError

COLUMNS = ["source", "target", "note"]


@dataclass(frozen=True, slots=True)
class Term:
    source: str
    targets: tuple[str, ...]
    """Accepted forms in the language, the preferred one first."""
    note: str
    line: int
    pattern: re.Pattern

    @property
    def target(self) -> str:
        return self.targets[0]

    def in_source(self, english: str) -> bool:
        return self.pattern.search(english) is not None

    def in_translation(self, translation: str) -> bool:
        text = _fold(translation)
        return any(_fold(t) in text for t in self.targets)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _plural(word: str) -> str:
    w = re.escape(word)
    forms = [w, w + "s", w + "es"]
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms.append(re.escape(word[:-1]) + "ies")
    return "(?:" + "|".join(forms) + ")"


def _pattern(source: str) -> re.Pattern:
    words = source.split()
    parts = [re.escape(w) for w in words[:-1]] + [_plural(words[-1])]
    return re.compile(r"(?<![\w-])" + r"[\s\u00a0]+".join(parts) + r"(?![\w-])", re.IGNORECASE)


def path_for(locale_dir: Path, code: str) -> Path:
    return locale_dir / code / "glossary.csv"


def load(locale_dir: Path, code: str, rel=str) -> tuple[Term, ...]:
    """The glossary of ``code``, or () when it has none."""
    path = path_for(locale_dir, code)
    if not exists(path):
        return ()
    return _load(str(path), rel(path), read_bytes(path))


@functools.lru_cache(maxsize=64)
def _load(path: str, name: str, data: bytes) -> tuple[Term, ...]:
    text = decode(data, name)
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark, as spreadsheets write it
    rows = csv.reader(text.splitlines(keepends=True), strict=True)
    terms: list[Term] = []
    seen: dict[str, int] = {}
    try:
        header = next(rows, None)
        if header is None:
            raise HandoutsError(name, "empty glossary: the first line must be the header source,target,note", 1)
        if [h.strip().lower() for h in header] != COLUMNS:
            raise HandoutsError(name, f"the header must be source,target,note, not {','.join(header)}", 1)
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 3:
                raise HandoutsError(name, f"{len(row)} fields where 3 belong (source,target,note); "
                                          "quote a field that holds a comma", line)
            source, target, note = (cell.strip() for cell in row)
            if not source or not target:
                raise HandoutsError(name, "a term needs both a source and a target", line)
            targets = tuple(t.strip() for t in target.split(" | ") if t.strip())
            if any("|" in t for t in targets):
                raise HandoutsError(name, "separate the accepted forms of a target with ' | ' (a space on each side)", line)
            key = source.casefold()
            if key in seen:
                raise HandoutsError(name, f"{source!r} is already defined at line {seen[key]}", line)
            seen[key] = line
            terms.append(Term(source, targets, note, line, _pattern(source)))
    except csv.Error as exc:
        raise HandoutsError(name, f"not valid CSV: {exc}", rows.line_num) from None
    return tuple(terms)


def missing(terms: tuple[Term, ...], english: str, translation: str) -> list[Term]:
    """The glossary terms the English uses whose agreed translation the translation lacks."""
    return [t for t in terms if t.in_source(english) and not t.in_translation(translation)]


def coverage(terms: tuple[Term, ...], pairs) -> tuple[int, int]:
    """(uses of a glossary term in translated English, how many of them the translation follows)."""
    used = followed = 0
    for english, translation in pairs:
        for term in terms:
            if term.in_source(english):
                used += 1
                followed += term.in_translation(translation)
    return used, followed
