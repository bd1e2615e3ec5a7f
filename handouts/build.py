"""The build stage: catalogs -> handouts (HTML and plain text per document and language), and the index.

What prints follows the completeness policy: fuzzy translations and translations that
fail an error-level check are never printed; a language's handout exists only when
enough of the document's words are translated; an untranslated passage is printed in
English and marked.  The templates' own words follow the same rules, with plural
forms chosen by each catalog's own ``Plural-Forms``.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import catalogs, checks, heap, render
from .catalogs import UI_DOMAIN
from .documents import listing, remove, write_bytes, write_text
from .errors import HandoutsError
from .locales import babel_locale, language
from .pdf import Printer, find_engine
from .pofile import plural_function
from .state import LISTINGS, BuildState, State, digest, file_digest, output_stat, output_stats
from .units import Parsed, urgent_unit

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
    """The repair step's result with the editor's decisions applied (``repair.Repair``):
    what translators get."""
    parsed: Parsed
    reviewed: dt.date | None
    decided: list = field(default_factory=list)
    """(``decisions.Decision``, start, end) of each editor's decision that applied."""
    stale: list = field(default_factory=list)
    """``decisions.Decision``s whose text is no longer at their line: applied nowhere."""
    unreviewed: list = field(default_factory=list)
    """``decisions.Item``s (flags, statistical repairs) that no decision covers yet."""


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
    title: str = ""
    """The handout's title in this language (when it was printed)."""
    reviewed: dt.date | None = None
    """When the English document was last reviewed (``source/<doc>.toml``), for the indexes."""

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
    if code == SOURCE_LANGUAGE:
        return translations_of(code, doc.name, doc.parsed.units, None, "")
    path = catalogs.po_path(locale_dir, code, doc.name)
    return translations_of(code, doc.name, doc.parsed.units, catalogs.load(path, rel(path)), rel(path))


def translations_of(code: str, name: str, units: list, po: catalogs.Catalog | None, where: str) -> Translations:
    """``translations`` of the document ``name`` (its ``units``), from its catalog as read (``where``: the
    catalog's name, for the messages)."""
    result = Translations(code, name, total_units=len(units), total_words=sum(words(u.msgid) for u in units))
    if code == SOURCE_LANGUAGE:
        result.table = {u.msgid: u.msgid for u in units}
    else:
        entries = {e.msgid: e for e in (po.entries if po else []) if not e.obsolete and e.msgctxt is None}
        nplurals = po.nplurals if po else None
        for msgid in dict.fromkeys(u.msgid for u in units):
            entry = entries.get(msgid)
            if entry is None or not entry.msgstr:
                continue
            if "fuzzy" in entry.flags:
                result.fuzzy.add(msgid)
                continue
            errors = checks.check_entry(entry, code, nplurals, errors_only=True)
            if errors:
                result.rejected.append((where, entry.linenum, msgid, errors))
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
        self.plural_forms = plural_forms
        self.choose = plural_function(plural_forms) if plural_forms else (lambda n: int(n != 1))
        for entry in entries:
            if entry.obsolete or "fuzzy" in entry.flags:
                continue
            if checks.check_entry(entry, code, nplurals, errors_only=True):
                continue
            if entry.msgid_plural and all(entry.msgstr_plural.values()):
                self.plural[entry.msgid] = dict(entry.msgstr_plural)
            elif not entry.msgid_plural and entry.msgstr:
                self.singular[entry.msgid] = entry.msgstr

    @classmethod
    def kept(cls, code: str, kept: tuple) -> UiTranslations:
        """Made again from ``ui.kept_tables()`` (what was checked once need not be checked again)."""
        ui = cls(code, (), kept[2])
        ui.singular, ui.plural = kept[0], kept[1]
        return ui

    def kept_tables(self) -> tuple:
        return self.singular, self.plural, self.plural_forms

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
    from markupsafe import Markup

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

    said: dict = {}  # an index asks for the same words thousands of times

    def ui(msgid: str, **values) -> str:
        key = (msgid, *values.items())
        text = said.get(key)
        if text is None:
            text = said[key] = finish(translations.gettext(msgid), msgid, values)
        return text

    def ui_n(singular: str, plural: str, n: int, **values) -> str:
        return finish(translations.ngettext(singular, n), singular if n == 1 else plural, {"count": n, **values})

    return {"ui": ui, "ui_n": ui_n}


@functools.cache
def environment(template_dirs: tuple[Path, ...] = ()):
    """The Jinja2 environment: a project's own templates (``templates/``) first, then the package's."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*template_dirs, render.TEMPLATES]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["wraptext"] = lambda text: "\n".join(render.wrap(str(text)))
    env.filters["css_string"] = css_string
    return env


TEMPLATE_FILES = ("handout.html.j2", "handout.txt.j2", "index.html.j2", "index-row.html.j2", "language-index.html.j2",
                  "handout.css", "index.css", "filter.js")
"""Every file the build renders through Jinja2 (the style sheets and the script are included by name): a
project's ``templates/`` may replace any of them."""


def load_templates(settings: "Settings") -> None:
    """Compile every template the build renders, here, before forking (the workers share them): one that
    does not parse is a ``path:line: error:``, not a traceback in a worker."""
    import jinja2

    env = environment(settings.template_dirs)
    for name in TEMPLATE_FILES:
        try:
            env.get_template(name)
        except jinja2.TemplateError as exc:
            raise template_failure(exc, settings.rel) from None
        except UnicodeDecodeError:  # (Jinja2's loader names no place): the file it read says where
            path = next(p for p in (d / name for d in (*settings.template_dirs, render.TEMPLATES)) if p.is_file())
            render.template_text(path, settings.rel(path))
            raise


def template_failure(exc: Exception, rel: Callable[[Path], str]) -> HandoutsError:
    """A template's error (a syntax error, or one met while rendering: a name it does not know) as
    ``path:line: error:``, at the template line Jinja2 names in its traceback."""
    where: str | None = getattr(exc, "filename", None)
    line: int | None = getattr(exc, "lineno", None)
    if where is None:  # an error while rendering: Jinja2 puts the template's lines in the traceback
        tb = exc.__traceback__
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if name.endswith((".j2", ".css", ".js")) and os.path.isfile(name):
                where, line = name, tb.tb_lineno
            tb = tb.tb_next
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return HandoutsError(rel(Path(where)) if where else "templates", f"template error: {message}", line)


def _bytecode_cache():
    """Compiled templates kept in the user's cache directory (``repair.cache.directory()``, ``jinja/``), so
    that a run need not compile them again: Jinja2 names each by the template's path and checks the
    source's digest and Python's version before using it.  None (compile every time) when the cache is
    turned off or the directory cannot be made."""
    import jinja2

    from .repair.cache import directory

    folder = directory()
    if folder is None:
        return None
    try:
        (folder / "jinja").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder / "jinja"))


def css_string(value: str):
    """A CSS string literal, safe inside <style>: quotes, backslashes and '<' escaped."""
    from markupsafe import Markup

    out = []
    for c in str(value):
        if c in '"\\<>&' or ord(c) < 0x20:
            out.append(f"\\{ord(c):x} ")
        else:
            out.append(c)
    return Markup('"' + "".join(out) + '"')


# ---------------------------------------------------------------------------
# Jobs: one document in some languages.  Run in worker processes (forked, so they share
# what the main process has loaded); everything a job needs is in _Context.


@dataclass(slots=True)
class Settings:
    """What a build depends on besides documents and catalogs."""

    locale_dir: Path
    output: Path
    codes: list[str]
    """Every language built, English first."""
    min_translated: int
    paper: str = "A4"
    pdf: bool = False
    template_dirs: tuple[Path, ...] = ()
    root: Path = Path(".")
    large_print: bool = False
    """Also build ``<doc>.large.html`` (and its bilingual version): body text of 16 pt."""
    base_url: str | None = None
    """Where output/ is published (``[tool.handouts] base-url``): printed handouts carry a QR code of their
    own address and their language's index."""

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


@dataclass(slots=True)
class PairResult:
    code: str
    summary: Translations
    outputs: dict[str, tuple[int, int]]
    written: list[Path]


_CONTEXT: dict = {}




_PRINTER: tuple[int, Printer] | None = None
"""(process id, the browser that prints that process's pages): ``_printer``."""


def _printer(engine: str) -> Printer:
    """This process's printer: one browser for every job it runs, started at its first page.  A
    forked worker's is closed when the worker ends (``multiprocessing``'s finalizers run then); the
    main process closes its own at the end of the build (``_close_printer``).  A worker leaves alone the
    copy of its parent's that it inherited (its pipes are the parent's)."""
    global _PRINTER
    pid = os.getpid()
    if _PRINTER is not None and _PRINTER[0] == pid and _PRINTER[1].engine == engine:
        return _PRINTER[1]
    _close_printer()
    printer = Printer(engine)
    _PRINTER = (pid, printer)
    if _in_worker():
        import multiprocessing.util

        multiprocessing.util.Finalize(printer, printer.close, exitpriority=0)
    return printer


def _in_worker() -> bool:
    """Is this a forked worker of the build's pool (``multiprocessing`` runs its finalizers when it ends)?"""
    import multiprocessing

    return multiprocessing.parent_process() is not None


def _close_printer() -> None:
    """Close this process's printer, if it has one (not a parent's, inherited by a fork)."""
    global _PRINTER
    if _PRINTER is not None and _PRINTER[0] == os.getpid():
        _PRINTER[1].close()
    _PRINTER = None


def _job(name: str, codes: list[str]) -> list[PairResult]:
    import jinja2

    try:
        return _pairs(name, codes, _printer(_CONTEXT.get("engine", "")))  # (a browser only where a page is printed)
    except jinja2.TemplateError as exc:  # (one that parses, and fails as it renders)
        raise template_failure(exc, _CONTEXT["settings"].rel) from None


def _pairs(name: str, codes: list[str], printer: Printer) -> list[PairResult]:
    from markupsafe import Markup

    settings: Settings = _CONTEXT["settings"]
    doc: Document = _CONTEXT["load_document"](name)
    ui_keys: dict[str, str | None] = _CONTEXT["ui_keys"]
    env = environment(settings.template_dirs)
    facts: LocaleFacts = _CONTEXT["facts"]
    languages = {c: facts.language(c) for c in settings.codes}
    results = []
    english_blocks = None
    for code in codes:
        tr = _CONTEXT["ready"].get((doc.name, code)) or translations(settings.locale_dir, code, doc, settings.rel)
        lang = languages[code]
        html_path = settings.output / code / f"{doc.name}.html"
        text_path = settings.output / code / f"{doc.name}.txt"
        written: list[Path] = []
        if tr.share < settings.min_translated:
            for stale in sorted((settings.output / code).glob(f"{doc.name}.*")) if (settings.output / code).is_dir() else []:
                if _document_of(stale.name) == doc.name and remove(stale):
                    written.append(stale)
            summary = _summary(tr)
            summary.reviewed = doc.reviewed
            results.append(PairResult(code, summary, {}, written))
            continue
        ui = facts.ui(code, ui_keys.get(code))
        tokens, english = render.translate_tokens(
            doc.parsed, lambda unit: tr.table.get(unit.msgid),
            None if code == SOURCE_LANGUAGE else SOURCE_LANGUAGE)
        reviewed = facts.date(doc.reviewed, code, "long") or None
        title = render.title_of(tokens) or doc.name
        others = [languages[c] for c in settings.codes if c != code]
        # the urgent passage: in a box right after the title, so that it is on the first page
        urgent = urgent_unit(doc.parsed)
        urgent_html = urgent_text = urgent_english = None
        if urgent is not None:
            said = tr.table.get(urgent.msgid)
            urgent_html, urgent_text = render.inline(said or urgent.msgid, doc.parsed.env)
            urgent_english = Markup(render.inline(urgent.msgid, doc.parsed.env)[0])
            if said is None and code != SOURCE_LANGUAGE:
                english += 1
                urgent_html = Markup('<p lang="en" dir="ltr" class="untranslated">{}</p>').format(Markup(urgent_html))
            else:
                urgent_html = Markup("<p>{}</p>").format(Markup(urgent_html))
            urgent_english = Markup("<p>{}</p>").format(urgent_english)
        page = dict(lang=lang["lang"], dir=lang["dir"], script=lang["script"], reviewed=reviewed, others=others,
                    document=doc.name, english=english, urgent=urgent_html,
                    urgent_source=urgent.msgid if urgent else None, **ui_functions(ui, html=True))
        pages: dict[str, str] = {}
        lead = render.lead_end(tokens)
        head, body = Markup(render.body_html(tokens[:lead])), Markup(render.body_html(tokens[lead:]))
        label = f"{title} — {lang['name']}"
        variants = [("", False)] + ([(".large", True)] if settings.large_print else [])
        for suffix, large in variants:
            pages[f"{doc.name}{suffix}.html"] = env.get_template("handout.html.j2").render(
                **page, title=title, lead=head, body=body, pairs=None, large=large, footer_label=label,
                online=online(settings.base_url, code, f"{doc.name}{suffix}.html"))
        if code != SOURCE_LANGUAGE:
            english_title = render.title_of(doc.parsed.tokens) or doc.name
            if english_blocks is None:  # the English side of the bilingual pages, once for all languages
                english_blocks = render.english_passages(doc.parsed.tokens)
            pairs = [(Markup(a), Markup(b), False)
                     for a, b in render.passages(tokens, doc.parsed.tokens, english_blocks)]
            if urgent is not None:
                pairs.insert(1 if lead else 0, (urgent_html, urgent_english, True))
            for suffix, large in variants:
                pages[f"{doc.name}.bilingual{suffix}.html"] = env.get_template("handout.html.j2").render(
                    **page, title=f"{title} · {english_title}", lead=None, body=None, pairs=pairs, large=large,
                    footer_label=f"{title} · {english_title} — {lang['name']} · English",
                    online=online(settings.base_url, code, f"{doc.name}.bilingual{suffix}.html"))
        text = env.get_template("handout.txt.j2").render(
            **ui_functions(ui, html=False),
            lead=render.body_text(tokens[:lead]).rstrip("\n") if lead else "",
            urgent=urgent_text, urgent_source=urgent.msgid if urgent else None, box="*" * render.TEXT_WIDTH,
            body=render.body_text(tokens[lead:]).rstrip("\n"), rule="-" * render.TEXT_WIDTH, reviewed=reviewed,
            english=english, online=online(settings.base_url, code, f"{doc.name}.txt", qr=False),
        )
        folder = settings.output / code
        outputs = [folder / name for name in pages] + [text_path]
        for name, content in pages.items():  # handouts can be built again: no fsync
            if write_text(folder / name, content, durable=False):
                written.append(folder / name)
        if write_text(text_path, text, durable=False):
            written.append(text_path)
        if settings.pdf:
            for name in pages:
                pdf = (folder / name).with_suffix(".pdf")
                printer.print_pdf(folder / name, pdf, settings.paper)
                written.append(pdf)
                outputs.append(pdf)
            png_path = settings.output / "screenshots" / f"{code}-{doc.name}.png"
            printer.screenshot(html_path, png_path)
            written.append(png_path)
            outputs.append(png_path)
        summary = _summary(tr)
        summary.title, summary.reviewed = title, doc.reviewed
        results.append(PairResult(code, summary, {p.relative_to(settings.output).as_posix(): output_stat(p)
                                                  for p in outputs}, written))
    return results


def online(base_url: str | None, code: str, name: str, qr: bool = True) -> dict | None:
    """Where a page is published, its language's index, and a QR code of its address (inline SVG, by segno)."""
    if not base_url:
        return None
    from markupsafe import Markup

    url = f"{base_url.rstrip('/')}/{code}/{name}"
    code_svg = None
    if qr:
        import segno

        code_svg = Markup(segno.make(url, error="m").svg_inline(scale=2, border=4, title=url))
    return {"url": url, "index": f"{base_url.rstrip('/')}/{code}/index.html", "qr": code_svg}


def _summary(tr: Translations) -> Translations:
    """What the index, the summary and the next run need: the counts, not the table."""
    copy = Translations(tr.locale, tr.document, tr.total_units, tr.total_words, tr.units_done, tr.words_done,
                        tr.units_fuzzy, tr.words_fuzzy, {}, sorted(tr.fuzzy), list(tr.rejected))
    return copy


# ---------------------------------------------------------------------------
# The stage


@dataclass(slots=True)
class BuildResult:
    written: list[Path] = field(default_factory=list)
    """Files whose bytes changed (or that were removed)."""
    translated: dict[tuple[str, str], Translations] = field(default_factory=dict)
    locales: list[str] = field(default_factory=list)
    rebuilt: int = 0
    """(document, language) pairs built this time (the others were up to date)."""


def build(settings: Settings, names: list[str], load_document: Callable[[str], Document],
          document_keys: dict[str, str], state: State, jobs: int = 1,
          progress: Callable[[int], object] | None = None, updated: bool = False,
          read: dict | None = None, size_of: Callable[[str], int] | None = None) -> BuildResult:
    """Build every (document, language) pair whose inputs changed, in parallel, then the index.

    ``document_keys`` holds a digest of each document's source; ``load_document`` gives the
    parsed document for the pairs that have to be built.  ``progress(total)``, if given,
    returns a bar with ``update(n)`` and ``close()`` (tqdm's), advanced per document.
    ``updated``: the update ran just before, in this run, so each catalog's digest is the one it
    recorded (found or written) and need not be asked of the file system again; a catalog saved
    since is built with its new text now and seen as changed by the next run.  ``read``: (code,
    document) -> (a catalog's digest, its ``Translations``) as the update's workers read them; a
    pair whose catalog is still that one takes them instead of parsing the catalog again.  ``size_of``:
    a document's length, by which the jobs of a library of a few documents are shared out (``_tasks``).
    """
    codes = settings.codes
    result = BuildResult(locales=codes)
    ui_keys = {c: file_digest(catalogs.po_path(settings.locale_dir, c, UI_DOMAIN)) for c in codes}
    common = digest(repr((codes, settings.min_translated, settings.pdf and settings.paper, settings.pdf,
                          settings.large_print, settings.base_url)))  # the paper is the PDFs' alone: the HTML does not name it
    todo: dict[str, list[str]] = {}
    ready: dict[tuple[str, str], Translations] = {}
    reviewed: set[dt.date] = set()
    folders = {c: os.path.join(settings.locale_dir, c, "LC_MESSAGES") for c in codes}
    out = os.path.join(settings.output, "")
    for name in names:
        for code in codes:
            if code == SOURCE_LANGUAGE:
                cat = None
            elif updated and (code, name) in state.catalogs:
                cat = state.catalogs[(code, name)].catalog
            else:
                cat = file_digest(os.path.join(folders[code], f"{name}.po"))
            key = (common, document_keys[name], cat, ui_keys[code])  # digests already: compared, not hashed again
            known = state.builds.get((name, code))
            if known is not None and known.key == key and output_stats(
                    [out + rel for rel in known.outputs]) == list(known.outputs.values()):
                result.translated[(name, code)] = known.summary
                continue
            todo.setdefault(name, []).append(code)
            found = read.get((code, name)) if read else None
            if found is not None and found[0] == cat:
                ready[(name, code)] = found[1]
            if known is not None and known.summary is not None and known.summary.reviewed:
                reviewed.add(known.summary.reviewed)  # most likely the date the handout shows again
            state.builds[(name, code)] = BuildState(key, {}, None)
    facts = LocaleFacts(settings, state.version)
    if todo:
        # what the jobs ask of Babel, asked here once (and kept between runs): forked workers share the answers
        for code in codes:
            facts.language(code)
            facts.ui(code, ui_keys.get(code))
            checks.KNOWN_SYMBOLS[code] = facts.numbers(code)
            for day in reviewed:
                facts.date(day, code, "long")
        load_templates(settings)
        _CONTEXT.update(settings=settings, load_document=load_document, ui_keys=ui_keys, facts=facts, ready=ready,
                        engine=find_engine() if settings.pdf else "")
        bar = progress(len(todo)) if progress else None
        try:
            for name, pairs in _run(todo, jobs, bar.update if bar else None, size_of):
                for pair in pairs:
                    result.translated[(name, pair.code)] = pair.summary
                    result.written += pair.written
                    result.rebuilt += 1
                    state.builds[(name, pair.code)].outputs = pair.outputs
                    state.builds[(name, pair.code)].summary = pair.summary
        finally:
            _CONTEXT.clear()
            _close_printer()
            if bar:
                bar.close()
    try:
        result.written += indexes(settings, names, result.translated, ui_keys, state, facts)
    except Exception as exc:  # (jinja2 is imported only where a template is rendered: a no-op starts without it)
        if "jinja2" in sys.modules and isinstance(exc, sys.modules["jinja2"].TemplateError):
            raise template_failure(exc, settings.rel) from None
        raise
    facts.save()
    layout = digest(repr((sorted(names), codes, settings.large_print)))
    if state.layout != layout:  # a document, a language or a variant is gone: remove its handouts
        result.written += _sweep(settings, names)
        state.layout = layout
    live, languages = set(names), set(codes)
    for key in [k for k in state.builds if k[0] not in live or k[1] not in languages]:
        del state.builds[key]
    for rel in [r for r in state.indexes if r not in ("*", "index.html") and r.split("/")[0] not in codes]:
        del state.indexes[rel]
    return result


_OURS = (".html", ".txt", ".pdf")
_VARIANTS = (".bilingual.large", ".bilingual", ".large")


def _document_of(filename: str) -> str | None:
    """``ketamine.bilingual.large.pdf`` -> ``ketamine``; None for a file the build does not make."""
    stem, dot, suffix = filename.rpartition(".")
    if not dot or f".{suffix}" not in _OURS:
        return None
    for variant in _VARIANTS:
        if stem.endswith(variant):
            return stem[: -len(variant)]
    return stem


def _sweep(settings: Settings, names: list[str]) -> list[Path]:
    """Remove handouts of documents and languages that are gone (only files the build makes)."""
    removed = []
    if not settings.output.is_dir():
        return removed
    wanted = set(names)
    for folder in sorted(settings.output.iterdir()):
        if not folder.is_dir() or folder.name == "repair":
            continue
        for path in sorted(folder.iterdir()):
            if folder.name == "screenshots":
                code, _, name = path.stem.partition("-")
                stale = path.suffix == ".png" and (code not in settings.codes or name not in wanted)
            else:
                name = _document_of(path.name)
                index = path.name == "index.html"  # the language's index, not a document's handout
                stale = name is not None and (folder.name not in settings.codes or not index and (
                    name not in wanted or (folder.name == SOURCE_LANGUAGE and ".bilingual" in path.name) or (
                        not settings.large_print and path.name.endswith((".large.html", ".large.pdf")))))
            if stale and path.is_file() and remove(path):
                removed.append(path)
        if folder.name not in settings.codes and folder.name != "screenshots" and not any(folder.iterdir()):
            folder.rmdir()
    return removed


def _tasks(todo: dict[str, list[str]], jobs: int, size_of: Callable[[str], int] | None):
    """The jobs, (document, its languages), in the order the workers take them.

    One job per document: what a document's languages share (the checks' reading of its English, its
    English side of the bilingual pages) is made once, in one process.  With too few documents to keep
    every worker busy to the end (fewer than 4 a worker), a document longer than half a worker's share
    is shared out language by language, and so are the shortest documents at the end, so that the
    workers finish together: the whole documents first, longest first, then those language by language.
    ``size_of``: a document's length (its source's bytes), as a measure of its work in each language."""
    names = list(todo)
    if len(names) >= 4 * jobs or size_of is None:
        return [(n, todo[n]) for n in names]
    cost = {n: size_of(n) * len(todo[n]) for n in names}
    share = sum(cost.values()) / jobs
    whole = sorted((n for n in names if cost[n] <= share / 2), key=lambda n: -cost[n])  # (stable: ties by name)
    tail = set(whole[len(whole) - min(len(whole), jobs - 1):])
    split = sorted((n for n in names if n not in whole or n in tail), key=lambda n: -cost[n])
    return [(n, todo[n]) for n in whole if n not in tail] + [(n, [code]) for n in split for code in todo[n]]


def _run(todo: dict[str, list[str]], jobs: int, progress, size_of: Callable[[str], int] | None = None):
    """(document, [PairResult]) for every job, in the order of ``todo`` (deterministic)."""
    names = list(todo)
    if jobs <= 1 or len(names) == 1:
        for name in names:
            yield name, _job(name, todo[name])
            if progress:
                progress(1)
        return
    import concurrent.futures

    tasks = _tasks(todo, jobs, size_of)
    with heap.forked_pool(min(jobs, len(tasks))) as pool:
        futures: dict[str, list[concurrent.futures.Future]] = {name: [] for name in names}
        owner = {}
        for name, codes in tasks:
            future = pool.submit(_job, name, codes)
            futures[name].append(future)
            owner[future] = name
        if progress:  # a document is done when all its jobs are
            left = {name: len(fs) for name, fs in futures.items()}
            for future in concurrent.futures.as_completed(owner):
                left[owner[future]] -= 1
                if not left[owner[future]]:
                    progress(1)
        for name in names:
            yield name, [pair for future in futures[name] for pair in future.result()]


# ---------------------------------------------------------------------------
# The indexes: the library's table (documents x languages) and one list per language


VERSIONS = (("bilingual", ".bilingual.html"), ("large", ".large.html"), ("bilingual_large", ".bilingual.large.html"),
            ("text", ".txt"))
"""The versions an index links beside a handout, in that order (the PDF goes first, when built)."""


def _pdfs(settings: Settings) -> set[str]:
    """``de/ketamine.pdf``, ...: the PDFs on disk (``build --pdf`` writes them; they are not committed).

    A language's folder is listed again only when a file was added, removed or renamed in it since
    (``documents.listing``, kept between runs in ``state.LISTINGS``)."""
    found = set()
    for code in settings.codes:
        names = listing(settings.output / code, LISTINGS)
        found.update(f"{code}/{name}" for name in (names[0] if names else ()) if name.endswith(".pdf"))
    return found


def _versions(settings: Settings, code: str, name: str, pdf: bool) -> dict[str, str]:
    """Version -> link (relative to output/) of one printed handout (``pdf``: its PDF is on disk)."""
    links = {"html": f"{code}/{name}.html"}
    if pdf:
        links["pdf"] = f"{code}/{name}.pdf"
    for version, suffix in _kept_versions(settings.large_print, code == SOURCE_LANGUAGE):
        links[version] = f"{code}/{name}{suffix}"
    return links


@functools.cache
def _kept_versions(large_print: bool, english: bool) -> tuple[tuple[str, str], ...]:
    return tuple((version, suffix) for version, suffix in VERSIONS
                 if not ("bilingual" in version and english or "large" in version and not large_print))


@functools.lru_cache(maxsize=65536)
def _sort_key(title: str) -> tuple[str, str]:
    """Titles in a reader's order: case and accents second (no collation tables: code point order otherwise)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", title.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)), title


ROWS_PER_GROUP = 10
"""The library table's rows come in groups (one ``<tbody>`` each) that the browser lays out only when they
scroll into view (``content-visibility: auto``): at 1,000 documents x 16 languages a page otherwise spends
seconds laying out 16,000 cells nobody sees yet.  Ten rows, not more: Chromium lays out every group near the
view (well beyond the frame's 12 or so rows), and each row laid out costs about as much as parsing 20 others
(groups of 25 drew 50 rows at load, groups of 10 draw 40)."""


def _kept_table(path: Path, version: str) -> dict:
    """A table kept in build/ as (version, dict); empty when it is missing, unreadable or of another version."""
    import pickle

    try:
        with open(path, "rb") as f:
            known_version, known = pickle.load(f)
    except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError, ImportError):
        return {}
    return known if known_version == version and isinstance(known, dict) else {}


def _rows(settings: Settings, version: str, rows: list[tuple[str, Callable[[], dict]]], template,
          words: dict) -> list[str]:
    """The library table's rows, each rendered only if it changed since the last run (an edit changes one
    row of a thousand).  ``rows`` holds, per row, a text of all it shows and a function giving the row's
    data for the template.  Kept in build/index-rows.pickle by the digest of that text, for this version
    of the code and templates; a lost or stale cache only costs time."""
    import pickle

    path = settings.root / "build" / "index-rows.pickle"
    known = _kept_table(path, version)
    fresh: dict[str, str] = {}
    out = []
    for shows, row in rows:
        key = digest(shows)
        html = known.get(key)
        if html is None:
            html = template.render(**words, doc=row())
        fresh[key] = html
        out.append(html)
    if fresh.keys() != known.keys():
        write_bytes(path, pickle.dumps((version, fresh), protocol=pickle.HIGHEST_PROTOCOL), durable=False)
    return out


class LocaleFacts:
    """What the build asks of Babel's locale data: each language's names, direction and script
    (``locales.language``), its number symbols (for the checks) and formatted review dates; and the
    template words of each language, checked (``ui``).  Loading a language's locale data costs 25 ms, and
    its template words as much again, most of a small rebuild's time in a library of 16 languages, so the
    answers are kept in build/languages.pickle for this version of the code and its dependencies."""

    def __init__(self, settings: Settings, version: str):
        self.settings = settings
        self.path = settings.root / "build" / "languages.pickle"
        self.version = version
        self.table: dict[tuple, object] = _kept_table(self.path, version)
        self.changed = False

    def _get(self, key: tuple, make: Callable[[], object]):
        found = self.table.get(key)
        if found is None:
            found = self.table[key] = make()
            self.changed = True
        return found

    def language(self, code: str) -> dict:
        return self._get(("language", code), lambda: language(code))

    def numbers(self, code: str) -> tuple[str, str]:
        return self._get(("numbers", code), lambda: checks.number_symbols(code))

    def date(self, day: dt.date | None, code: str, form: str) -> str:
        """``day`` as ``code`` writes it, in Babel's ``form`` ("long", "medium"); "" for no day."""
        from babel.dates import format_date

        return self._get(("date", code, form, day), lambda: format_date(day, format=form, locale=babel_locale(code))) \
            if day else ""

    def ui(self, code: str, key: str | None) -> UiTranslations:
        """The template words of ``code`` from its catalog whose digest is ``key`` (``ui_keys``)."""
        found = self.table.get(("ui", code))
        if found is None or found[0] != key:
            words = ui_translations(self.settings.locale_dir, code, self.settings.rel)
            found = self.table[("ui", code)] = (key, words.kept_tables())
            self.changed = True
        return UiTranslations.kept(code, found[1])

    def save(self) -> None:
        import pickle

        if self.changed:
            write_bytes(self.path, pickle.dumps((self.version, self.table), protocol=pickle.HIGHEST_PROTOCOL),
                        durable=False)
            self.changed = False


def indexes(settings: Settings, names: list[str], translated: dict[tuple[str, str], Translations],
             ui_keys: dict[str, str | None], state: State, facts: LocaleFacts | None = None) -> list[Path]:
    """Write output/index.html and output/<lang>/index.html whose content changed (each has its own key).

    The keys are made from what the indexes show, as plain values (titles, shares, dates, whether a PDF
    is on disk); links, language names and dates are worked out only for an index that is written, and
    of the library's table only the rows that changed are rendered again (``_rows``).
    """
    facts = facts or LocaleFacts(settings, state.version)
    pdfs = _pdfs(settings)
    codes = settings.codes
    common = (codes, settings.min_translated, settings.large_print, [str(d) for d in settings.template_dirs])
    # per document: its English title and review date, and per language (title, share, PDF on disk)
    shown = {}
    for name in names:
        english = translated[(name, SOURCE_LANGUAGE)]
        shown[name] = (english.title or name, english.reviewed, tuple(
            (tr.title, tr.share, f"{code}/{name}.pdf" in pdfs)
            for code, tr in ((code, translated[(name, code)]) for code in codes)))
    everything = digest(repr((common, sorted(ui_keys.items()), shown)))
    # nothing an index shows has changed, and nobody touched one: done (a no-op run of a big library)
    if state.indexes.get("*") == (everything, None) and all(
            stat == output_stat(settings.output / rel) for rel, (_, stat) in state.indexes.items() if rel != "*"):
        return []
    env = environment(settings.template_dirs)
    written: list[Path] = []
    lang_of = facts.language

    def write(rel: str, key: str, render: Callable[[], str]) -> None:
        path = settings.output / rel
        if state.indexes.get(rel) != (key, output_stat(path)):
            if write_text(path, render(), durable=False):
                written.append(path)
            state.indexes[rel] = (key, output_stat(path))

    def date(day: dt.date | None, code: str) -> str:
        return facts.date(day, code, "medium")

    def printed(share: int) -> bool:
        return share >= settings.min_translated

    # the library: a row per document (by English title), a column per language
    def library() -> str:
        from markupsafe import Markup

        en = lang_of(SOURCE_LANGUAGE)
        order = sorted(names, key=lambda n: (_sort_key(shown[n][0]), n))
        rows = [(repr((common, name, shown[name])), lambda name=name: {
            "name": name, "title": shown[name][0], "reviewed": date(shown[name][1], SOURCE_LANGUAGE),
            "cells": [{"code": code, "title": title, "share": share, "printed": printed(share),
                       "lang": lang_of(code)["lang"], "dir": lang_of(code)["dir"],
                       "links": _versions(settings, code, name, pdf) if printed(share) else {}}
                      for code, (title, share, pdf) in zip(codes, shown[name][2])]}) for name in order]
        words = ui_functions(UiTranslations(SOURCE_LANGUAGE), html=True)
        html = _rows(settings, state.version, rows, env.get_template("index-row.html.j2"), words)
        return env.get_template("index.html.j2").render(
            **words, lang=en["lang"], dir=en["dir"], script=en["script"],
            languages=[lang_of(c) for c in codes],
            groups=[Markup("".join(html[i:i + ROWS_PER_GROUP])) for i in range(0, len(html), ROWS_PER_GROUP)])

    write("index.html", digest(repr((common, ui_keys.get(SOURCE_LANGUAGE), shown))), library)

    # one list per language, by translated title, in the language's own words
    for i, code in enumerate(codes):
        items = [(name, shown[name][2][i][0] or name, shown[name][1], shown[name][2][i][2])
                 for name in names if printed(shown[name][2][i][1])]
        key = digest(repr((common, ui_keys.get(code), code, items)))

        def listing(code=code, items=items) -> str:
            lang = lang_of(code)
            return env.get_template("language-index.html.j2").render(
                **ui_functions(facts.ui(code, ui_keys.get(code)), html=True),
                lang=lang["lang"], dir=lang["dir"], script=lang["script"], name=lang["name"],
                documents=[{"name": name, "title": title, "reviewed": date(reviewed, code),
                            "links": _versions(settings, code, name, pdf)}
                           for name, title, reviewed, pdf in sorted(items, key=lambda r: (_sort_key(r[1]), r[0]))])

        if items:
            write(f"{code}/index.html", key, listing)
        elif state.indexes.pop(f"{code}/index.html", None) is not None or (settings.output / code).is_dir():
            path = settings.output / code / "index.html"
            if remove(path):  # no handout printed in this language (any more): no list of them
                written.append(path)
    state.indexes["*"] = (everything, None)
    return written
