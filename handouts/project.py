"""The pipeline over a whole project folder: repair -> update -> build.

    source/<doc>.md                  English documents as received
    source/<doc>.toml                optional: reviewed = 2026-11-24
    locale/LINGUAS                   configured languages
    locale/<doc>.pot, locale/handouts.pot
    locale/<lang>/LC_MESSAGES/<doc>.po, .../handouts.po
    output/<lang>/<doc>.html, .txt   handouts (``en`` is the source language)
    output/index.html                every document in every language
    output/repair/<doc>.txt          what the repair step changed and flagged
"""
from __future__ import annotations

import datetime as dt
import gettext
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import polib
from babel import Locale
from babel.dates import format_date
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup

from . import catalogs, checks, render
from .catalogs import UI_DOMAIN, Message
from .documents import read_text, write_text
from .errors import HandoutsError
from .repair import Repair, repair
from .pdf import find_engine, print_pdf, screenshot
from .units import Parsed, Unit, parse

SOURCE_LANGUAGE = "en"


@dataclass(slots=True)
class Document:
    """One source document, repaired and parsed."""

    name: str
    """File stem: ``ketamine``; also the catalog's domain."""
    path: str
    """As written in messages and catalogs: ``source/ketamine.md``."""
    original: str
    repaired: Repair
    parsed: Parsed
    reviewed: dt.date | None


@dataclass(slots=True)
class Summary:
    documents: list[Document] = field(default_factory=list)
    locales: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    """Files whose bytes changed."""
    translated: dict[tuple[str, str], "Translations"] = field(default_factory=dict)
    """(document, locale) -> what is translated."""


@dataclass(slots=True)
class Translations:
    """One document in one language: what can be printed, and how much of it there is."""

    locale: str
    document: str
    total_units: int = 0
    total_words: int = 0
    units_done: int = 0
    words_done: int = 0
    units_fuzzy: int = 0
    words_fuzzy: int = 0
    table: dict[str, str] = field(default_factory=dict)
    """msgid -> translation, only entries fit to print."""
    fuzzy: set[str] = field(default_factory=set)
    rejected: list = field(default_factory=list)
    """(catalog path, line, msgid, [Problem]) of translations that failed an error-level check."""

    @property
    def share(self) -> int:
        """Percentage of the document's words that are translated (rounded down)."""
        return 100 if not self.total_words else self.words_done * 100 // self.total_words


DEFAULT_MIN_TRANSLATED = 80


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

    # -- stage 1: read and repair -------------------------------------------------------

    def documents(self) -> list[Document]:
        if not self.source.is_dir():
            raise HandoutsError(self.rel(self.source), "no source folder (put English documents in source/*.md)")
        docs = []
        for path in sorted(self.source.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue  # notes about the folder, not a handout
            name = path.stem
            if name == UI_DOMAIN:
                raise HandoutsError(self.rel(path), f"the name {name!r} is reserved for the templates' catalog")
            rel = self.rel(path)
            original = read_text(path)
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
        from .report import format_report  # the same report `fix` prints

        for doc in docs:
            path = self.output / "repair" / f"{doc.name}.txt"
            if write_text(path, format_report(doc.path, doc.original, doc.repaired)):
                summary.written.append(path)

    # -- stage 2: catalogs ---------------------------------------------------------------

    def locales(self) -> list[str]:
        return catalogs.read_linguas(self.locale)

    def ui_messages(self) -> list[Message]:
        """The templates' own words, extracted with Babel's Jinja2 extractor."""
        messages: dict[tuple[str, str], Message] = {}
        for path in sorted(render.TEMPLATES.glob("*.j2")):
            with path.open("rb") as f:
                for lineno, msg, comments, _ctx in extract(
                    "jinja2", f, keywords={"ui": (1,), "ui_n": (1, 2)},
                    options={"extensions": "jinja2.ext.i18n", "trimmed": "false"},
                ):
                    singular, plural = (msg if isinstance(msg, tuple) else (msg, ""))
                    loc = (f"handouts/templates/{path.name}", lineno)
                    key = (singular, plural)
                    old = messages.get(key)
                    comment = "handout template: words of every handout"
                    locations = (old.locations if old else ()) + (loc,)
                    messages[key] = Message(singular, locations, comment, plural)
        return list(messages.values())

    def update(self, docs: list[Document], summary: Summary) -> None:
        codes = self.locales()
        domains = [(d.name, catalogs.messages_from_units(d.path, d.parsed.units)) for d in docs]
        domains.append((UI_DOMAIN, self.ui_messages()))
        memories = {code: self._memory(code) for code in codes}
        for domain, messages in domains:
            pot = catalogs.build_template(domain, messages)
            path = self.locale / f"{domain}.pot"
            if catalogs.save(path, pot):
                summary.written.append(path)
            for code in codes:
                po_path = catalogs.po_path(self.locale, code, domain)
                old = catalogs.load_po(po_path)
                memory = {k: v for (d, k), v in memories[code].items() if d != domain}
                new = catalogs.merge(pot, old, code, domain, memory)
                if catalogs.save(po_path, new):
                    summary.written.append(po_path)

    def _memory(self, code: str) -> dict[tuple[str, str], str]:
        """(domain, source text) -> translation, from every catalog of ``code``: checked work only."""
        memory: dict[tuple[str, str], str] = {}
        folder = self.locale / code / "LC_MESSAGES"
        for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
            for entry in catalogs.load_po(path) or []:
                if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags and not entry.msgid_plural:
                    memory.setdefault((path.stem, entry.msgid), entry.msgstr)
        return memory

    def init(self, code: str) -> list[Path]:
        catalogs.check_locale(code)
        codes = self.locales()
        written = []
        if code not in codes:
            catalogs.write_linguas(self.locale, codes + [code])
            written.append(self.locale / "LINGUAS")
        return written

    # -- stage 3: handouts ----------------------------------------------------------------

    def _environment(self) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(render.TEMPLATES),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters["wraptext"] = lambda text: "\n".join(render.wrap(str(text)))
        env.filters["css_string"] = _css_string
        return env

    def _ui_translations(self, code: str) -> gettext.NullTranslations:
        if code == SOURCE_LANGUAGE:
            return gettext.NullTranslations()
        path = catalogs.po_path(self.locale, code, UI_DOMAIN)
        if not path.exists():
            return gettext.NullTranslations()
        with path.open("rb") as f:
            catalog = read_po(f, locale=code)
        buf = io.BytesIO()
        write_mo(buf, catalog)  # fuzzy entries are left out, as msgfmt does
        buf.seek(0)
        return gettext.GNUTranslations(buf)

    def translations(self, code: str, doc: Document) -> "Translations":
        """The usable translations of ``doc`` in ``code``, with counts for status and policy.

        Fuzzy entries are never used; an entry that fails an error-level check is
        treated as untranslated and reported in ``rejected``.
        """
        units = doc.parsed.units
        result = Translations(code, doc.name, total_units=len(units),
                              total_words=sum(_words(u.msgid) for u in units))
        if code == SOURCE_LANGUAGE:
            result.table = {u.msgid: u.msgid for u in units}
        else:
            path = catalogs.po_path(self.locale, code, doc.name)
            po = catalogs.load_po(path)
            entries = {e.msgid: e for e in (po or []) if not e.obsolete}
            for msgid in dict.fromkeys(u.msgid for u in units):
                entry = entries.get(msgid)
                if entry is None or not entry.msgstr:
                    continue
                if "fuzzy" in entry.flags:
                    result.fuzzy.add(msgid)
                    continue
                errors = [p for p in checks.check_entry(entry, code, None) if p.level == checks.ERROR]
                if errors:
                    result.rejected.append((self.rel(path), entry.linenum, msgid, errors))
                    continue
                result.table[msgid] = entry.msgstr
        for unit in units:
            words = _words(unit.msgid)
            if unit.msgid in result.table:
                result.units_done += 1
                result.words_done += words
            elif unit.msgid in result.fuzzy:
                result.units_fuzzy += 1
                result.words_fuzzy += words
        return result

    def build(self, docs: list[Document], summary: Summary, paper: str = "A4", pdf: bool = False) -> None:
        engine = find_engine() if pdf else ""
        env = self._environment()
        codes = [SOURCE_LANGUAGE] + [c for c in self.locales() if c != SOURCE_LANGUAGE]
        summary.locales = codes
        languages = {c: _language(c) for c in codes}
        index_docs = []
        for doc in docs:
            entry = {"name": doc.name, "title": "", "languages": []}
            for code in codes:
                tr = self.translations(code, doc)
                summary.translated[(doc.name, code)] = tr
                lang = languages[code]
                html_path = self.output / code / f"{doc.name}.html"
                text_path = self.output / code / f"{doc.name}.txt"
                if tr.share < self.min_translated:
                    for stale in (html_path, text_path):
                        if stale.exists():
                            stale.unlink()
                            summary.written.append(stale)
                    entry["languages"].append({**lang, "complete": tr.share, "printed": False})
                    continue
                tokens, english = render.translate_tokens(
                    doc.parsed, lambda unit: tr.table.get(unit.msgid),
                    None if code == SOURCE_LANGUAGE else SOURCE_LANGUAGE)
                ui_tr = self._ui_translations(code)
                reviewed = format_date(doc.reviewed, format="long", locale=code) if doc.reviewed else None
                title = render.title_of(tokens) or doc.name
                others = [languages[c] for c in codes if c != code]
                html = env.get_template("handout.html.j2").render(
                    **_ui_functions(ui_tr, code, html=True),
                    lang=lang["lang"], dir=lang["dir"], script=lang["script"], title=title,
                    body=Markup(render.body_html(tokens)), reviewed=reviewed,
                    others=others, document=doc.name, english=english, paper=paper,
                    footer_label=f"{title} — {lang['name']}",
                )
                body = render.body_text(tokens)
                text = env.get_template("handout.txt.j2").render(
                    **_ui_functions(ui_tr, code, html=False),
                    body=body.rstrip("\n"), rule="-" * render.TEXT_WIDTH, reviewed=reviewed, english=english,
                )
                for path, content in ((html_path, html), (text_path, text)):
                    if write_text(path, content):
                        summary.written.append(path)
                if pdf:
                    pdf_path = self.output / code / f"{doc.name}.pdf"
                    print_pdf(engine, html_path, pdf_path)
                    png_path = self.output / "screenshots" / f"{code}-{doc.name}.png"
                    screenshot(engine, html_path, png_path)
                    summary.written += [pdf_path, png_path]
                if code == SOURCE_LANGUAGE:
                    entry["title"] = title
                entry["languages"].append({**lang, "complete": tr.share, "printed": True})
            index_docs.append(entry)
        en = languages[SOURCE_LANGUAGE]
        index = env.get_template("index.html.j2").render(
            **_ui_functions(gettext.NullTranslations(), SOURCE_LANGUAGE, html=True),
            lang=en["lang"], dir=en["dir"], documents=index_docs)
        path = self.output / "index.html"
        if write_text(path, index):
            summary.written.append(path)

    # -- everything -----------------------------------------------------------------------

    def run(self) -> Summary:
        summary = Summary()
        docs = self.documents()
        summary.documents = docs
        self.write_repair_reports(docs, summary)
        self.update(docs, summary)
        self.build(docs, summary)
        return summary


def _ui_functions(translations: gettext.NullTranslations, code: str, html: bool) -> dict:
    """``ui(msgid, **values)`` and ``ui_n(singular, plural, n, **values)`` for the templates.

    They are gettext with python-format values.  A string the language's catalog does
    not have yet is shown in English and, in HTML, wrapped in ``<span lang="en">`` so
    that readers and screen readers know which language they are reading.
    """
    catalog = getattr(translations, "_catalog", {})

    def finish(text: str, missing: bool, values: dict) -> str:
        if values or "%%" in text:
            text = text % values
        if not html:
            return text
        if missing:
            return Markup('<span lang="en" dir="ltr">{}</span>').format(text)
        return Markup.escape(text)

    def ui(msgid: str, **values) -> str:
        missing = code != SOURCE_LANGUAGE and not catalog.get(msgid)
        return finish(translations.gettext(msgid), missing, values)

    def ui_n(singular: str, plural: str, n: int, **values) -> str:
        missing = code != SOURCE_LANGUAGE and not catalog.get((singular, 0))
        return finish(translations.ngettext(singular, plural, n), missing, {"count": n, **values})

    return {"ui": ui, "ui_n": ui_n}


def _css_string(value: str) -> Markup:
    """A CSS string literal, safe inside <style>: quotes, backslashes and '<' escaped."""
    out = []
    for c in str(value):
        if c in '"\\<>&' or ord(c) < 0x20:
            out.append(f"\\{ord(c):x} ")
        else:
            out.append(c)
    return Markup('"' + "".join(out) + '"')


def _words(text: str) -> int:
    """Words of a unit's English source: shares are measured on the source, so all languages compare."""
    return max(1, len(text.split()))


def _language(code: str) -> dict:
    locale = Locale.parse(code)
    name = locale.get_display_name(code) or code
    name = name[:1].upper() + name[1:]
    script = {"ar": "arab", "fa": "arab", "ur": "arab", "zh": "hans", "ja": "jpan", "ko": "kore", "he": "hebr"}.get(
        locale.language, "latn")
    if locale.language == "zh" and (locale.script == "Hant" or locale.territory in ("TW", "HK", "MO")):
        script = "hant"
    return {
        "code": code,
        "lang": code.replace("_", "-"),
        "dir": locale.text_direction,
        "name": name,
        "english_name": locale.get_display_name("en"),
        "script": script,
    }
