"""The update stage: templates from the documents and the handout templates, catalogs merged.

Everything that has to change is read and checked first, then written, so a bad catalog
stops the run before any file changes.  A catalog is replaced only if it is still exactly
what was read; if a translator saved it meanwhile, it is merged again from their save,
and if it keeps changing the run stops and says so: a translator's save is never lost.

A catalog whose template and bytes are what the last run left, and whose pre-filled
entries would find the same translations, is not even parsed (``state.CatalogState``).
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import catalogs, heap, render
from .catalogs import UI_DOMAIN, Message
from .documents import Changed, listing, replace_if_unchanged, write_text
from .errors import HandoutsError
from .memory import Suggester, Suggestion, memory_path, read_memory
from .pofile import Catalog
from .state import (LISTINGS, CatalogState, State, digest, file_digest, file_digests, take_worker_changes,
                    worker_changes, worker_mark)

RETRIES = 5


def ui_messages(template_dirs: list[Path] | None = None) -> list[Message]:
    """The templates' own words, extracted with Babel's Jinja2 extractor (Jinja2's ``babel_extract``,
    given to Babel itself: named "jinja2", Babel looks for it among every installed package's entry
    points, which took a quarter of the extraction's time)."""
    import jinja2
    from babel.messages.extract import extract
    from jinja2.ext import babel_extract

    messages: dict[tuple[str, str], Message] = {}
    seen: set[str] = set()
    for folder in (template_dirs or []) + [render.TEMPLATES]:
        for path in sorted(folder.glob("*.j2")) if folder.is_dir() else []:
            if path.name in seen:
                continue  # a project's own template replaces the package's
            seen.add(path.name)
            where = "handouts/templates" if folder == render.TEMPLATES else "templates"
            text = render.template_text(path, f"{where}/{path.name}")
            try:  # (the extractor skips a template that does not parse, and its words would be lost)
                jinja2.Environment().parse(text, path.name, str(path))
            except jinja2.TemplateSyntaxError as exc:
                raise HandoutsError(f"{where}/{path.name}", f"template error: {exc.message}", exc.lineno) from None
            # the words of the text checked above (not the file read again: a save in between would be unchecked)
            for lineno, msg, _comments, _ctx in extract(
                babel_extract, io.BytesIO(text.encode("utf-8")), keywords={"ui": (1,), "ui_n": (1, 2)},
                options={"extensions": "jinja2.ext.i18n", "trimmed": "false"},
            ):
                singular, plural = (msg if isinstance(msg, tuple) else (msg, ""))
                loc = (f"{where}/{path.name}", lineno)
                key = (singular, plural)
                old = messages.get(key)
                locations = (old.locations if old else ()) + (loc,)
                messages[key] = Message(singular, locations, "handout template: words of every handout", plural)
    return list(messages.values())


def ui_source(template_dirs: list[Path] | None = None) -> str:
    """Digest of the templates the UI words come from: their paths and their bytes."""
    templates = [p for folder in (template_dirs or []) + [render.TEMPLATES] if folder.is_dir()
                 for p in sorted(folder.glob("*.j2"))]
    return digest(b"".join(p.as_posix().encode() + b"\0" + p.read_bytes() for p in templates))


_UI_MESSAGES: dict[tuple[tuple[Path, ...], str], list[Message]] = {}
"""``ui_messages`` of the templates as they were (by ``ui_source``): extracted once in a process."""


def _ui_messages(template_dirs: list[Path] | None, source: str) -> list[Message]:
    key = (tuple(template_dirs or ()), source)
    if key not in _UI_MESSAGES:
        if len(_UI_MESSAGES) > 8:
            _UI_MESSAGES.clear()
        _UI_MESSAGES[key] = _kept_ui_messages(template_dirs, source)
    return _UI_MESSAGES[key]


def _kept_ui_messages(template_dirs: list[Path] | None, source: str) -> list[Message]:
    """``ui_messages``, kept between processes in the user's cache (``repair.cache``, as the repair's
    resources and the compiled templates are) by the templates' paths and bytes (``source``), the code
    that extracts them and the versions of Babel and Jinja2: extracting them took a tenth of a second of
    every new project's first run, and of every full build in a fresh folder.  A template that does not
    parse is never kept (``ui_messages`` raises), so it is reported at every run."""
    import babel
    import jinja2  # (the build renders with it in this process anyway)

    from .repair import cache

    return cache.cached("ui-words", [Path(__file__), Path(catalogs.__file__), Path(render.__file__)], [], list,
                        lambda: ui_messages(template_dirs),
                        salt=f"{source}\0babel {babel.__version__}\0jinja2 {jinja2.__version__}")


def extract_ui_words(template_dirs: list[Path] | None = None) -> None:
    """Extract the templates' words now, for the update to take (the full build does it while the
    forked workers repair the documents, when this process would only wait)."""
    try:
        _ui_messages(template_dirs, ui_source(template_dirs))
    except HandoutsError:
        pass  # the update says so, in its place


def _catalog_keys(locale_dir: Path, code: str) -> list[tuple[str, str, str]]:
    """(file name, path, digest) of every catalog of the language, by name (strings, not Paths: a
    language has a catalog per document)."""
    folder = os.path.join(locale_dir, code, "LC_MESSAGES")
    found = listing(folder, LISTINGS)  # files only (a folder named x.po is none), listed again when names change
    if found is None:
        return []
    names = [n for n in sorted(found[0]) if n.endswith(".po")]
    paths = [os.path.join(folder, n) for n in names]
    keys = zip(names, paths, file_digests(paths))
    return [k for k in keys if k[2] is not None]  # (a link to nothing is no catalog)


def library_digest(locale_dir: Path, code: str, keys: list[tuple[str, str, str]] | None = None) -> str:
    """One digest of what a language's Memory is made from: its catalogs (``keys``, when already
    listed) and its translation memory."""
    keys = _catalog_keys(locale_dir, code) if keys is None else keys
    return digest(repr(([(name, k) for name, _, k in keys], file_digest(memory_path(locale_dir, code)))))


class Memory:
    """Checked translations in one language's catalogs: what a new unit can be pre-filled with.

    Each catalog's table is kept in ``build/memory/<lang>.pickle`` with the digest of the
    catalog it came from, so only catalogs that changed are parsed again.
    """

    def __init__(self, locale_dir: Path, code: str, rel, store=None,
                 keys: list[tuple[str, str, str]] | None = None):
        self.tables: list[tuple[str, dict[str, str]]] = []
        """(document, msgid -> translation) per catalog, by document name."""
        self._index: dict[str, list[tuple[str, str]]] | None = None
        self._held = (os.fspath(locale_dir), code)
        cached = store.load_memory(code) if store is not None else {}
        fresh: dict[str, tuple[str, dict[str, str]]] = {}
        changed = False
        keys = _catalog_keys(locale_dir, code) if keys is None else keys
        self.digest = library_digest(locale_dir, code, keys)
        """What the lookups depend on: every catalog of the language and its memory (``library_digest``)."""
        for name, path, key in keys:
            stem = name[: -len(".po")]
            known = cached.get(stem)
            if known is not None and known[0] == key:
                table = known[1]
            else:
                changed = True
                catalog = catalogs.load(Path(path), rel(Path(path)))
                table = {}
                for entry in catalog.entries if catalog else ():
                    if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags and not entry.msgid_plural:
                        table.setdefault(entry.msgid, entry.msgstr)
            fresh[stem] = (key, table)
            self.tables.append((stem, table))
        if store is not None and (changed or len(fresh) != len(cached)):
            store.save_memory(code, fresh)
        self.suggester = Suggester(code, self._library, lambda: read_memory(locale_dir, code, rel))

    def _library(self) -> dict[str, list[tuple[str, str]]]:
        """English -> [(document, translation)] over every catalog, made on the first question.

        The process keeps it for the language's next Memory (``watch``: the next save), which
        takes it over and changes only what the catalogs that changed since put in it (a table
        that is not the very object it was made from); it is then what ``index_of`` makes."""
        if self._index is None:
            held = _INDEXES.pop(self._held, None)  # taken over: a run that fails leaves nothing
            self._index = index_of(self.tables) if held is None else _reindex(held[0], held[1], self.tables)
            _INDEXES[self._held] = (list(self.tables), self._index)
        return self._index

    def lookup(self, domain: str) -> Callable[[str], Suggestion | None]:
        """What a new unit of ``domain`` is pre-filled with: a translation from the language's *other*
        catalogs (the first, by document name), the translation memory, or the most similar unit."""
        def find(msgid: str) -> Suggestion | None:
            return self.suggester.suggest(msgid, domain)
        return find


_INDEXES: dict[tuple[str, str], tuple[list, dict]] = {}
"""(locale folder, language) -> (the tables, the index made of them) of its last Memory in this process."""


def index_of(tables: list[tuple[str, dict[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """English -> [(document, translation)], in the order of ``tables``."""
    index: dict[str, list[tuple[str, str]]] = {}
    for stem, table in tables:
        for key, text in table.items():
            index.setdefault(key, []).append((stem, text))
    return index


def _reindex(old_tables, index, tables) -> dict[str, list[tuple[str, str]]]:
    """``index`` (made of ``old_tables``, changed in place) as ``index_of(tables)`` would make it."""
    before = dict(old_tables)
    now = dict(tables)
    rank = {stem: n for n, (stem, _) in enumerate(tables)}
    for stem, table in old_tables:
        if now.get(stem) is not table:
            for key, text in table.items():
                found = index[key]
                found.remove((stem, text))
                if not found:
                    del index[key]
    for stem, table in tables:
        if before.get(stem) is not table:
            for key, text in table.items():
                bisect.insort(index.setdefault(key, []), (stem, text), key=lambda x: rank[x[0]])
    return index


@dataclass(slots=True)
class _Plan:
    path: Path
    new: Catalog
    old: Catalog | None
    remerge: Callable[[Catalog | None], Catalog]
    key: tuple[str, str]


def update(locale_dir: Path, codes: list[str], documents: list[tuple[str, Callable[[], list[Message]], str]],
           rel: Callable[[Path], str], state: State, template_dirs: list[Path] | None = None,
           store=None, jobs: int = 1, reader: "Reader | None" = None) -> list[Path]:
    """Write ``<domain>.pot`` and every ``<code>/LC_MESSAGES/<domain>.po`` that has to change.

    ``documents`` is (domain, messages, digest of what the messages come from) per document;
    the templates' own words are added.  Returns the files written.

    Two passes, one language at a time (so that memory holds one language's catalogs, not a
    library's): the first merges and checks every catalog that may have changed and keeps
    only which ones must be written; the second, when every check has passed, merges those
    again and writes them.  With ``jobs`` above 1 and enough to do (``PARALLEL``), each pass
    shares the languages among forked worker processes, each language whole in one; they give
    ``reader`` (when given) what the build makes of each document catalog they read or wrote,
    which the build, whose processes do not share what they parsed, takes instead of parsing it.
    """
    source = ui_source(template_dirs)
    domains = list(documents) + [(UI_DOMAIN, lambda: _ui_messages(template_dirs, source), source)]

    # templates: made only when their document changed (or the file on disk is not what was written)
    pots: dict[str, _Template] = {}
    for domain, messages, source in domains:
        pot_path = locale_dir / f"{domain}.pot"
        known = state.templates.get(domain)
        template = _Template(domain, messages, source, pot_path, known[1] if known and known[0] == source else None)
        if template.digest is None or _digest_of(pot_path) != template.digest:
            template.text = catalogs.catalog_text(template.build(rel))
            template.digest = digest(template.text)
        pots[domain] = template

    # which catalogs may have changed: their digests compared with the last run's records, here;
    # each language's catalogs are listed and digested once, before anything is written
    work: dict[str, list[tuple[str, bool, str | None]]] = {}
    keys_of: dict[str, list[tuple[str, str, str]]] = {}
    for code in codes:
        keys = keys_of[code] = _catalog_keys(locale_dir, code)
        listed = {name: key for name, _, key in keys}
        folder = os.path.join(locale_dir, code, "LC_MESSAGES")  # strings, not Paths: this loop runs for every catalog
        library = _Lazy(lambda code=code, keys=keys: library_digest(locale_dir, code, keys))
        items = []
        for domain, template in pots.items():
            name = f"{domain}.po"
            found = listed[name] if name in listed else _digest_of(os.path.join(folder, name))
            known = state.catalogs.get((code, domain))
            if known is not None and known.template == template.digest and known.catalog == found:
                if not known.asked or known.library == library():
                    continue  # nothing it depends on has changed
                items.append((domain, True, found))  # the language's catalogs changed: ask again what it asked
            else:
                items.append((domain, False, found))
        if items:
            work[code] = items
    workers = _workers(work, jobs)
    languages = _Languages(locale_dir, pots, rel, state, store, keys_of, reader if workers > 1 else None)
    # a small update runs here, both passes in this process: the second takes the first's merges instead of
    # merging again (a big one is done a language at a time, so that memory holds one language's catalogs)
    languages.keep_merged = workers == 1 and sum(len(items) for items in work.values()) <= PARALLEL

    # first pass: merge and check; remember what has to be written
    to_write: dict[str, list[str]] = {}
    for code, (domains, states) in _each(languages, "check", work, workers):
        state.catalogs.update(states)
        if domains:
            to_write[code] = domains

    # second pass: everything is checked, write
    written: list[Path] = []
    for template in pots.values():
        if template.text is not None:
            if write_text(template.path, template.text):
                written.append(template.path)
            state.templates[template.domain] = (template.source, template.digest)
    for code, (paths, states) in _each(languages, "write", to_write, workers if len(to_write) > 1 else 1):
        written += paths
        state.catalogs.update(states)
    return written


class _Languages:
    """The update's two passes over one language's catalogs, and what they share: the templates, the
    catalogs' digests as listed before anything was written, and the language's Memory (read, if a
    unit asks it, by the first pass and used again by the second in the same process)."""

    def __init__(self, locale_dir: Path, pots: dict[str, "_Template"], rel, state: State, store,
                 keys_of: dict[str, list[tuple[str, str, str]]], reader: "Reader | None" = None):
        self.locale_dir, self.pots, self.rel, self.state, self.store = locale_dir, pots, rel, state, store
        self.keys_of = keys_of
        self.reader = reader
        self.memories: dict[str, _Lazy] = {}
        self.keep_merged = False
        """Keep the first pass's merges for the second (when both run here and they are few)."""
        self.merged: dict[tuple[str, str], tuple[Catalog | None, Catalog]] = {}

    def memory(self, code: str) -> "_Lazy":
        if code not in self.memories:
            self.memories[code] = _Lazy(lambda: Memory(self.locale_dir, code, self.rel, self.store,
                                                       self.keys_of[code]))
        return self.memories[code]

    def check(self, code: str, items: list[tuple[str, bool, str | None]]) -> tuple[list[str], dict]:
        """Merge and check the catalogs that may have changed: (the domains to write, the records of
        those that need no writing)."""
        memory = self.memory(code)
        to_write: list[str] = []
        states: dict[tuple[str, str], CatalogState] = {}
        for domain, ask_again, found in items:
            template = self.pots[domain]
            known = self.state.catalogs.get((code, domain))
            if ask_again and all(memory().lookup(domain)(m) == t for m, t in known.asked.items()):
                states[(code, domain)] = dataclasses.replace(known, library=memory().digest)
                continue  # the language's catalogs changed, but not what this one's new units find
            path = catalogs.po_path(self.locale_dir, code, domain)
            old = catalogs.load(path, self.rel(path))
            new = _merge(template, old, code, domain, memory, self.locale_dir, self.rel)
            catalogs.validate(new)
            if catalogs.needs_writing(new, old):
                to_write.append(domain)
                if self.keep_merged:
                    self.merged[(code, domain)] = (old, new)
            else:
                states[(code, domain)] = _catalog_state(template.digest, found, memory, domain, new.asked)
                self._read(code, domain, old)
        return to_write, states

    def write(self, code: str, domains: list[str]) -> tuple[list[Path], dict]:
        """Merge again and write (every check has passed): (the files written, their records)."""
        memory = self.memory(code)  # as the first pass read it, if it did; a save since then is caught when writing
        written: list[Path] = []
        states: dict[tuple[str, str], CatalogState] = {}
        for domain in domains:
            template = self.pots[domain]
            path = catalogs.po_path(self.locale_dir, code, domain)
            remerge = functools.partial(_merge, template, code=code, domain=domain, memory=memory,
                                        locale_dir=self.locale_dir, rel=self.rel)
            old = catalogs.load(path, self.rel(path))
            checked = self.merged.pop((code, domain), None)
            if checked is not None and old is not None and checked[0] is old:
                # the first pass's merge of the same catalog (loaded by content: the same bytes); a new
                # catalog is merged again, after the sibling whose header it follows may have been written
                new = checked[1]
            else:
                new = remerge(old)
                catalogs.validate(new)
            plan = _Plan(path, new, old, remerge, (code, domain))
            new_digest = _write(plan, self.rel, written)
            states[(code, domain)] = _catalog_state(template.digest, new_digest, memory, domain, plan.new.asked)
            if self.reader is not None:
                self._read(code, domain, catalogs.load(path, self.rel(path)))  # as written: kept, not parsed
        return written, states

    def _read(self, code: str, domain: str, catalog: Catalog | None) -> None:
        if self.reader is not None and domain != UI_DOMAIN and catalog is not None and catalog.data is not None:
            self.reader.found[(code, domain)] = (digest(catalog.data), self.reader.read(code, domain, catalog))


class Reader:
    """What the build makes of a document's catalog (``read(code, domain, catalog)``), made by the
    update's workers from the catalogs they parsed or wrote: ``found``, (code, domain) -> (the
    catalog's digest, what ``read`` made of it)."""

    def __init__(self, read: Callable[[str, str, Catalog], object]):
        self.read = read
        self.found: dict[tuple[str, str], tuple[str | None, object]] = {}


PARALLEL = 48
"""Catalogs to merge or ask again, at least, for the update to share its languages among worker
processes: fewer are done sooner here than workers start."""


def _workers(work: dict[str, list], jobs: int) -> int:
    from . import documents

    if jobs < 2 or len(work) < 2 or documents.WATCHED is not None:  # the preview keeps what it reads: here
        return 1
    return min(jobs, len(work)) if sum(len(items) for items in work.values()) >= PARALLEL else 1


_LANGUAGES: list = []
"""The ``_Languages`` a pool's forked workers work for (set before they start)."""


def _each(languages: _Languages, step: str, work: dict, workers: int):
    """(code, the step's result) for every language of ``work``, in its order: here, or by forked
    worker processes, each language whole in one, which send back what they read and would keep
    in build/ (``state.worker_changes``) and what ``reader`` made."""
    if workers < 2:
        for code, items in work.items():
            yield code, getattr(languages, step)(code, items)
        return
    _LANGUAGES[:] = [languages]
    try:
        with heap.forked_pool(workers) as pool:
            futures = [(code, pool.submit(_in_worker, step, code, items)) for code, items in work.items()]
            for code, future in futures:
                value, changes, found = future.result()
                take_worker_changes(changes, languages.store)
                if languages.reader is not None:
                    languages.reader.found.update(found)
                yield code, value
    finally:
        _LANGUAGES.clear()


def _in_worker(step: str, code: str, items):
    languages = _LANGUAGES[0]
    mark = worker_mark(languages.store)
    if languages.reader is not None:
        languages.reader.found = {}
    value = getattr(languages, step)(code, items)
    return value, worker_changes(mark, languages.store), languages.reader.found if languages.reader else {}


def _catalog_state(template: str, catalog: str | None, memory: "_Lazy", domain: str, asked) -> CatalogState:
    """What the merge depended on; with what each looked-up text found (the memory is not read
    when nothing was looked up), and the digest of the memory that found it."""
    if not asked:
        return CatalogState(template, catalog)
    find = memory().lookup(domain)
    return CatalogState(template, catalog, {m: find(m) for m in asked}, memory().digest)


class _Lazy:
    """A value made on first use."""

    def __init__(self, make):
        self.make, self.value = make, None

    def __call__(self):
        if self.value is None:
            self.value = self.make()
        return self.value


@dataclass(slots=True)
class _Template:
    domain: str
    messages: Callable[[], list[Message]]
    source: str
    """Digest of what the messages come from."""
    path: Path
    digest: str | None
    """Digest of the template's text (known from the last run, or made now)."""
    catalog: Catalog | None = None
    text: str | None = None
    """The text to write, when the template is new or changed."""

    def build(self, rel) -> Catalog:
        if self.catalog is None:
            self.catalog = catalogs.build_template(self.domain, self.messages(), rel(self.path))
            catalogs.validate(self.catalog)
        return self.catalog


def _merge(template: _Template, old: Catalog | None, code: str, domain: str, memory: "_Lazy",
           locale_dir: Path, rel) -> Catalog:
    """``memory`` gives the language's Memory, read on the first unit that asks it (a new unit no old
    translation fits)."""
    sibling = None
    folder = locale_dir / code / "LC_MESSAGES"
    if old is None and folder.is_dir():  # a new catalog follows its language's others
        others = sorted(p for p in folder.glob("*.po") if p.stem != domain)
        sibling = catalogs.load(others[0], rel(others[0])) if others else None
    path = catalogs.po_path(locale_dir, code, domain)
    return catalogs.merge(template.build(rel), old, code, domain, lambda msgid: memory().lookup(domain)(msgid),
                          sibling, rel(path))


def _digest_of(path: Path | str) -> str | None:
    """"unreadable" is never equal to a recorded digest: the update reads the file and says what is wrong."""
    return file_digest(path)


def _write(plan: _Plan, rel: Callable[[Path], str], written: list[Path]) -> str | None:
    new, old = plan.new, plan.old
    for _ in range(RETRIES):
        if not catalogs.needs_writing(new, old):
            return digest(old.data) if old is not None else None
        text, keep = catalogs.written_text(new, old)
        try:
            replace_if_unchanged(plan.path, text, old.data if old is not None else None)
            written.append(plan.path)
            plan.new = new
            keep(rel(plan.path))  # the build reads it without parsing it again
            return digest(text)
        except Changed:
            # a translator saved while we worked: start again from their file
            old = catalogs.load(plan.path, rel(plan.path))
            new = plan.remerge(old)
            catalogs.validate(new)
    raise HandoutsError(rel(plan.path), "the catalog kept changing on disk while the pipeline was updating it "
                                        "(is a translator saving it?); it was left as saved: run the pipeline again")
