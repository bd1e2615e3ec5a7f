"""A project folder and the stages over it: repair -> update -> build.

    source/<doc>.md                  English documents as received
    source/<doc>.toml                optional: reviewed = 2026-11-24
    locale/LINGUAS                   configured languages
    locale/<doc>.pot, locale/handouts.pot
    locale/<lang>/LC_MESSAGES/<doc>.po, .../handouts.po
    output/<lang>/<doc>.html, .txt   handouts (``en`` is the source language)
    output/index.html                every document in every language
    output/repair/<doc>.txt          what the repair step changed and flagged
    build/                           the lock (and caches); git ignores it, delete it any time

This module reads the configuration and the documents; the stages live in
``update.py`` and ``build.py``.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import build as build_stage
from . import catalogs, locales, update as update_stage
from .build import SOURCE_LANGUAGE, Document, Translations
from .documents import ProjectLock, check_characters, clean_temporary_files, read_text, write_text
from .errors import HandoutsError
from .repair import repair
from .units import parse

DEFAULT_MIN_TRANSLATED = 80

__all__ = ["Project", "Summary", "Document", "Translations", "SOURCE_LANGUAGE"]


@dataclass(slots=True)
class Summary:
    documents: list[Document] = field(default_factory=list)
    locales: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    """Files whose bytes changed."""
    translated: dict[tuple[str, str], Translations] = field(default_factory=dict)
    """(document, locale) -> what is translated."""


class Project:
    def __init__(self, root: Path | str = ".", min_translated: int | None = None):
        self.root = Path(root)
        self.source = self.root / "source"
        self.locale = self.root / "locale"
        self.output = self.root / "output"
        self.min_translated = min_translated if min_translated is not None else self._configured_min()

    def _configured_min(self) -> int:
        """``[tool.handouts] min-translated`` in pyproject.toml, else 80 (%)."""
        path = self.root / "pyproject.toml"
        if not path.exists():
            return DEFAULT_MIN_TRANSLATED
        try:
            data = tomllib.loads(read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise HandoutsError(self.rel(path), f"bad TOML: {exc}", getattr(exc, "lineno", None)) from None
        value = data.get("tool", {}).get("handouts", {}).get("min-translated", DEFAULT_MIN_TRANSLATED)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise HandoutsError(self.rel(path), "[tool.handouts] min-translated must be a whole number from 0 to 100")
        return value

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @contextlib.contextmanager
    def lock(self):
        """Held by every command that writes; also clears temporary files a killed run left."""
        with ProjectLock(self.root):
            clean_temporary_files(self.locale, self.output)
            yield

    # -- stage 1: read and repair -------------------------------------------------------

    def documents(self) -> list[Document]:
        if not self.source.is_dir():
            raise HandoutsError(self.rel(self.source), "no source folder (put English documents in source/*.md)")
        docs = []
        for path in sorted(self.source.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue  # notes about the folder, not a handout
            name = path.stem
            if name == catalogs.UI_DOMAIN:
                raise HandoutsError(self.rel(path), f"the name {name!r} is reserved for the templates' catalog")
            rel = self.rel(path)
            original = read_text(path)
            check_characters(original, rel)
            result = repair(original)
            docs.append(Document(name, rel, original, result, parse(rel, result.text), self._reviewed(path)))
        if not docs:
            raise HandoutsError(self.rel(self.source), "no documents: put English Markdown files in source/*.md")
        return docs

    def _reviewed(self, doc_path: Path) -> dt.date | None:
        meta_path = doc_path.with_suffix(".toml")
        if not meta_path.exists():
            return None
        try:
            meta = tomllib.loads(read_text(meta_path))
        except tomllib.TOMLDecodeError as exc:
            raise HandoutsError(self.rel(meta_path), f"bad TOML: {exc}", getattr(exc, "lineno", None)) from None
        value = meta.get("reviewed")
        if value is None:
            return None
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise HandoutsError(self.rel(meta_path), "reviewed must be a date such as 2026-11-24")
        return value

    def write_repair_reports(self, docs: list[Document], summary: Summary) -> None:
        from .cli import format_report  # the same report `fix` prints

        for doc in docs:
            path = self.output / "repair" / f"{doc.name}.txt"
            if write_text(path, format_report(doc.path, doc.original, doc.repaired)):
                summary.written.append(path)

    # -- stage 2: catalogs ---------------------------------------------------------------

    def locales(self) -> list[str]:
        return locales.read_linguas(self.locale)

    def update(self, docs: list[Document], summary: Summary) -> None:
        documents = [(d.name, catalogs.messages_from_units(d.path, d.parsed.units)) for d in docs]
        summary.written += update_stage.update(self.locale, self.locales(), documents, self.rel)

    def init(self, code: str) -> list[Path]:
        locales.check_locale(code)
        codes = self.locales()
        written = []
        if code not in codes:
            locales.write_linguas(self.locale, codes + [code])
            written.append(self.locale / "LINGUAS")
        return written

    # -- stage 3: handouts ----------------------------------------------------------------

    def translations(self, code: str, doc: Document) -> Translations:
        return build_stage.translations(self.locale, code, doc, self.rel)

    def build(self, docs: list[Document], summary: Summary, paper: str = "A4", pdf: bool = False) -> None:
        result = build_stage.build(self.locale, self.output, self.locales(), docs, self.min_translated,
                                   self.rel, paper=paper, pdf=pdf)
        summary.written += result.written
        summary.translated.update(result.translated)
        summary.locales = result.locales

    # -- everything -----------------------------------------------------------------------

    def run(self) -> Summary:
        summary = Summary()
        docs = self.documents()
        summary.documents = docs
        self.write_repair_reports(docs, summary)
        self.update(docs, summary)
        self.build(docs, summary)
        return summary
