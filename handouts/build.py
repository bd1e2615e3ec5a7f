"""The build stage: catalogs -> handouts (HTML and plain text per document and language), and the index.

What prints follows the completeness policy: fuzzy translations and translations that
fail an error-level check are never printed; a language's handout exists only when
enough of the document's words are translated; an untranslated passage is printed in
English and marked.  The templates' own words follow the same rules, with plural
forms chosen by each catalog's own ``Plural-Forms``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from babel.dates import format_date
from markupsafe import Markup

from . import catalogs, checks, render
from .catalogs import UI_DOMAIN
from .documents import remove, write_text
from .locales import babel_locale, language
from .pdf import find_engine, print_pdf, screenshot
from .pofile import plural_function
from .units import Parsed

SOURCE_LANGUAGE = "en"


@dataclass(slots=True)
class Document:
    """One source document, repaired and parsed."""

    name: str
    """File stem: ``ketamine``; also the catalog's domain."""
    path: str
    """As written in messages and catalogs: ``source/ketamine.md``."""
    original: str
    repaired: object
    """The repair step's result (``repair.Repair``)."""
    parsed: Parsed
    reviewed: dt.date | None


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


def words(text: str) -> int:
    """Words of a unit's English source: shares are measured on the source, so all languages compare."""
    return max(1, len(text.split()))


def translations(locale_dir: Path, code: str, doc: Document, rel=str) -> Translations:
    """The usable translations of ``doc`` in ``code``, with counts for status and policy.

    Fuzzy entries are never used; an entry that fails an error-level check is
    treated as untranslated and reported in ``rejected``.
    """
    units = doc.parsed.units
    result = Translations(code, doc.name, total_units=len(units), total_words=sum(words(u.msgid) for u in units))
    if code == SOURCE_LANGUAGE:
        result.table = {u.msgid: u.msgid for u in units}
    else:
        path = catalogs.po_path(locale_dir, code, doc.name)
        po = catalogs.load(path, rel(path))
        entries = {e.msgid: e for e in (po.entries if po else []) if not e.obsolete and e.msgctxt is None}
        nplurals = po.nplurals if po else None
        for msgid in dict.fromkeys(u.msgid for u in units):
            entry = entries.get(msgid)
            if entry is None or not entry.msgstr:
                continue
            if "fuzzy" in entry.flags:
                result.fuzzy.add(msgid)
                continue
            errors = [p for p in checks.check_entry(entry, code, nplurals) if p.level == checks.ERROR]
            if errors:
                result.rejected.append((rel(path), entry.linenum, msgid, errors))
                continue
            result.table[msgid] = entry.msgstr
    for unit in units:
        n = words(unit.msgid)
        if unit.msgid in result.table:
            result.units_done += 1
            result.words_done += n
        elif unit.msgid in result.fuzzy:
            result.units_fuzzy += 1
            result.words_fuzzy += n
    return result


class UiTranslations:
    """The templates' words in one language: checked translations only, plural by the catalog's rule."""

    def __init__(self, code: str, entries=(), plural_forms: str | None = None, nplurals: int | None = None):
        self.code = code
        self.singular: dict[str, str] = {}
        self.plural: dict[str, dict[int, str]] = {}
        self.rejected: list = []
        self.choose = plural_function(plural_forms) if plural_forms else (lambda n: int(n != 1))
        for entry in entries:
            if entry.obsolete or "fuzzy" in entry.flags:
                continue
            if [p for p in checks.check_entry(entry, code, nplurals) if p.level == checks.ERROR]:
                continue
            if entry.msgid_plural and all(entry.msgstr_plural.values()):
                self.plural[entry.msgid] = dict(entry.msgstr_plural)
            elif not entry.msgid_plural and entry.msgstr:
                self.singular[entry.msgid] = entry.msgstr

    def gettext(self, msgid: str) -> str | None:
        return self.singular.get(msgid)

    def ngettext(self, singular: str, n: int) -> str | None:
        forms = self.plural.get(singular)
        return None if forms is None else forms.get(self.choose(n))


def ui_translations(locale_dir: Path, code: str, rel=str) -> UiTranslations:
    if code == SOURCE_LANGUAGE:
        return UiTranslations(code)
    path = catalogs.po_path(locale_dir, code, UI_DOMAIN)
    po = catalogs.load(path, rel(path))
    if po is None:
        return UiTranslations(code)
    return UiTranslations(code, po.entries, po.plural_forms, po.nplurals)


def ui_functions(translations: UiTranslations, html: bool) -> dict:
    """``ui(msgid, **values)`` and ``ui_n(singular, plural, n, **values)`` for the templates.

    They are gettext with python-format values.  A string the language's catalog does
    not have yet (or whose translation failed a check) is shown in English and, in
    HTML, wrapped in ``<span lang="en">`` so that readers and screen readers know which
    language they are reading.
    """

    def finish(text: str, english: str, values: dict) -> str:
        missing = text is None
        if missing:
            text = english
        if values or "%%" in text:
            try:
                text = text % values
            except (KeyError, ValueError, TypeError):  # the checks keep these out; never crash a build
                text, missing = english % values, True
        if not html:
            return text
        if missing and translations.code != SOURCE_LANGUAGE:
            return Markup('<span lang="en" dir="ltr">{}</span>').format(text)
        return Markup.escape(text)

    def ui(msgid: str, **values) -> str:
        return finish(translations.gettext(msgid), msgid, values)

    def ui_n(singular: str, plural: str, n: int, **values) -> str:
        return finish(translations.ngettext(singular, n), singular if n == 1 else plural, {"count": n, **values})

    return {"ui": ui, "ui_n": ui_n}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(render.TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["wraptext"] = lambda text: "\n".join(render.wrap(str(text)))
    env.filters["css_string"] = css_string
    return env


def css_string(value: str) -> Markup:
    """A CSS string literal, safe inside <style>: quotes, backslashes and '<' escaped."""
    out = []
    for c in str(value):
        if c in '"\\<>&' or ord(c) < 0x20:
            out.append(f"\\{ord(c):x} ")
        else:
            out.append(c)
    return Markup('"' + "".join(out) + '"')


@dataclass(slots=True)
class BuildResult:
    written: list[Path] = field(default_factory=list)
    """Files whose bytes changed (or that were removed)."""
    translated: dict[tuple[str, str], Translations] = field(default_factory=dict)
    locales: list[str] = field(default_factory=list)


def build(locale_dir: Path, output: Path, codes: list[str], docs: list[Document], min_translated: int,
          rel=str, paper: str = "A4", pdf: bool = False) -> BuildResult:
    engine = find_engine() if pdf else ""
    env = environment()
    codes = [SOURCE_LANGUAGE] + [c for c in codes if c != SOURCE_LANGUAGE]
    result = BuildResult(locales=codes)
    languages = {c: language(c) for c in codes}
    uis = {c: ui_translations(locale_dir, c, rel) for c in codes}
    index_docs = []
    for doc in docs:
        entry = {"name": doc.name, "title": "", "languages": []}
        for code in codes:
            tr = translations(locale_dir, code, doc, rel)
            result.translated[(doc.name, code)] = tr
            lang = languages[code]
            html_path = output / code / f"{doc.name}.html"
            text_path = output / code / f"{doc.name}.txt"
            if tr.share < min_translated:
                for stale in (html_path, text_path):
                    if remove(stale):
                        result.written.append(stale)
                entry["languages"].append({**lang, "complete": tr.share, "printed": False})
                continue
            tokens, english = render.translate_tokens(
                doc.parsed, lambda unit: tr.table.get(unit.msgid),
                None if code == SOURCE_LANGUAGE else SOURCE_LANGUAGE)
            reviewed = format_date(doc.reviewed, format="long", locale=babel_locale(code)) if doc.reviewed else None
            title = render.title_of(tokens) or doc.name
            others = [languages[c] for c in codes if c != code]
            html = env.get_template("handout.html.j2").render(
                **ui_functions(uis[code], html=True),
                lang=lang["lang"], dir=lang["dir"], script=lang["script"], title=title,
                body=Markup(render.body_html(tokens)), reviewed=reviewed,
                others=others, document=doc.name, english=english, paper=paper,
                footer_label=f"{title} — {lang['name']}",
            )
            body = render.body_text(tokens)
            text = env.get_template("handout.txt.j2").render(
                **ui_functions(uis[code], html=False),
                body=body.rstrip("\n"), rule="-" * render.TEXT_WIDTH, reviewed=reviewed, english=english,
            )
            for path, content in ((html_path, html), (text_path, text)):
                if write_text(path, content):
                    result.written.append(path)
            if pdf:
                pdf_path = output / code / f"{doc.name}.pdf"
                print_pdf(engine, html_path, pdf_path)
                png_path = output / "screenshots" / f"{code}-{doc.name}.png"
                screenshot(engine, html_path, png_path)
                result.written += [pdf_path, png_path]
            if code == SOURCE_LANGUAGE:
                entry["title"] = title
            entry["languages"].append({**lang, "complete": tr.share, "printed": True})
        index_docs.append(entry)
    en = languages[SOURCE_LANGUAGE]
    index = env.get_template("index.html.j2").render(
        **ui_functions(UiTranslations(SOURCE_LANGUAGE), html=True),
        lang=en["lang"], dir=en["dir"], documents=index_docs)
    path = output / "index.html"
    if write_text(path, index):
        result.written.append(path)
    return result
