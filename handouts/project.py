"""A project folder and the stages over it: repair -> update -> build.

    source/<doc>.md                  English documents as received
    source/<doc>.toml                optional: reviewed = 2026-11-24, urgent = "Call 999 if ..."
    source/<doc>.review.toml         optional: an editor's decisions on the repair (repair/decisions.py)
    locale/LINGUAS                   configured languages
    locale/<doc>.pot, locale/handouts.pot
    locale/<lang>/LC_MESSAGES/<doc>.po, .../handouts.po
    templates/                       optional: the project's own versions of the handout templates
    output/<lang>/<doc>.html, .txt   handouts (``en`` is the source language)
    output/index.html                every document in every language
    output/repair/<doc>.txt          what the repair step changed and flagged
    build/                           what the last run saw (git ignores it; delete it any time)

This module reads the configuration and the documents; the stages live in
``update.py`` and ``build.py``, and ``state.py`` remembers what they did so that the
next run redoes only what changed.
"""
from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import build as build_stage
from . import catalogs, heap, locales
from . import update as update_stage
from .build import SOURCE_LANGUAGE, Document, Translations
from .documents import (ProjectLock, check_characters, clean_temporary_files, decode, read_bytes, read_text,
                        listing, remove, write_text)
from .errors import HandoutsError
from .repair import decisions, learning
from .state import LISTINGS, DocumentState, State, Store, digest, file_digest, output_stat, version
from .units import add_urgent, parse

DEFAULT_MIN_TRANSLATED = 80
KEPT_DOCUMENTS = 32

__all__ = ["Project", "Summary", "Document", "Translations", "SOURCE_LANGUAGE"]


@dataclass(slots=True)
class Source:
    """A source document on disk, not yet repaired."""

    name: str
    path: Path
    rel: str
    key: str
    """Digest of the source's bytes, its metadata's bytes, its decisions file's bytes and
    of what the folder's decisions files teach the repair (``learning.Learned.digest``)."""
    learned: learning.Learned | None = None
    """What the folder's decisions files teach the repair."""


class ReviewNeeded(HandoutsError):
    """``require-review``: repairs no editor has decided, one ``path:line: error:`` each."""

    def __init__(self, problems: list[HandoutsError]):
        super().__init__(problems[0].path, problems[0].message, problems[0].line)
        self.problems = problems

    def __reduce__(self):
        return (type(self), (self.problems,))

    def __str__(self) -> str:
        return "\n".join(HandoutsError.__str__(p) for p in self.problems)


@dataclass(slots=True)
class Summary:
    documents: list[tuple[str, DocumentState]] = field(default_factory=list)
    """(document path as written in messages, what its repair did)."""
    locales: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    """Files whose bytes changed."""
    translated: dict[tuple[str, str], Translations] = field(default_factory=dict)
    """(document, locale) -> what is translated."""
    rebuilt: int = 0


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


class Project:
    def __init__(self, root: Path | str = ".", min_translated: int | None = None, jobs: int | None = None,
                 large_print: bool | None = None):
        self.root = Path(root)
        self.source = self.root / "source"
        self.locale = self.root / "locale"
        self.output = self.root / "output"
        self.templates = self.root / "templates"
        config = self._configuration()
        self.min_translated = min_translated if min_translated is not None else config["min-translated"]
        self.large_print = large_print if large_print is not None else config["large-print"]
        self.require_review = config["require-review"]
        self.base_url = config["base-url"]
        self.resident = config["resident"]
        """Does the command line start a resident process for the project (``resident``)?"""
        self.resident_idle_minutes = config["resident-idle-minutes"]
        """Where output/ is published: printed handouts then carry a QR code of their address."""
        self.jobs = jobs or default_jobs()
        self._read: dict = {}  # what the update's workers read of the catalogs, for the build (``run``)
        self.store = Store(self.root)
        self._documents: collections.OrderedDict[str, Document] = collections.OrderedDict()
        """A few documents kept parsed in memory; the rest are a pickle away in build/documents/."""

    def _configuration(self) -> dict:
        """``[tool.handouts]`` in pyproject.toml: ``min-translated`` (%, default 80), ``large-print`` (default
        false), ``require-review`` (default false: catalogs are updated whether or not an editor decided
        every flag and statistical repair), ``base-url`` (default none), ``resident`` (default false) and
        ``resident-idle-minutes`` (default 20)."""
        config = {"min-translated": DEFAULT_MIN_TRANSLATED, "large-print": False, "require-review": False,
                  "base-url": None, "resident": False, "resident-idle-minutes": None}
        path = self.root / "pyproject.toml"
        if not path.exists():
            return config
        try:
            data = tomllib.loads(read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise HandoutsError(self.rel(path), f"bad TOML: {exc}", getattr(exc, "lineno", None)) from None
        table = data.get("tool", {}).get("handouts", {})
        value = table.get("min-translated", DEFAULT_MIN_TRANSLATED)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise HandoutsError(self.rel(path), "[tool.handouts] min-translated must be a whole number from 0 to 100")
        large = table.get("large-print", False)
        if not isinstance(large, bool):
            raise HandoutsError(self.rel(path), "[tool.handouts] large-print must be true or false")
        review = table.get("require-review", False)
        if not isinstance(review, bool):
            raise HandoutsError(self.rel(path), "[tool.handouts] require-review must be true or false")
        base = table.get("base-url")
        if base is not None and not (isinstance(base, str) and base.startswith(("https://", "http://"))
                                     and len(base.split()) == 1 and len(base) > len("https://x")):
            raise HandoutsError(self.rel(path), '[tool.handouts] base-url must be a web address such as '
                                                '"https://clinic.example/handouts/"')
        resident = table.get("resident", False)
        if not isinstance(resident, bool):
            raise HandoutsError(self.rel(path), "[tool.handouts] resident must be true or false")
        idle = table.get("resident-idle-minutes")
        if idle is not None and (isinstance(idle, bool) or not isinstance(idle, (int, float)) or not idle > 0):
            raise HandoutsError(self.rel(path), "[tool.handouts] resident-idle-minutes must be a number above 0")
        return {"min-translated": value, "large-print": large, "require-review": review, "base-url": base,
                "resident": resident, "resident-idle-minutes": idle}

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @contextlib.contextmanager
    def lock(self):
        """Held by every command that writes; also clears temporary files a killed run left."""
        with ProjectLock(self.root):
            self.store.load_digests()  # with the folders' last listings: only folders written to since are listed
            clean_temporary_files(self.locale, self.output, kept=LISTINGS)
            yield

    def template_dirs(self) -> tuple[Path, ...]:
        return (self.templates,) if self.templates.is_dir() else ()

    def state(self, paper: str = "A4", pdf: bool = False) -> State:
        self.store.load_digests()
        return self.store.load(version(self.min_translated, self.large_print, folders=self.template_dirs()))

    # -- stage 1: read and repair -------------------------------------------------------

    def sources(self) -> list[Source]:
        if not self.source.is_dir():
            raise HandoutsError(self.rel(self.source), "no source folder (put English documents in source/*.md)")
        found = []
        # what the editors' decisions teach (no decisions file: nothing, and the repair's rules are not loaded)
        learned = learning.learn(self.source, self.rel) if learning.files(self.source) else learning.NOTHING
        for path in sorted(self.source.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue  # notes about the folder, not a handout
            name = path.stem
            if name == catalogs.UI_DOMAIN:
                raise HandoutsError(self.rel(path), f"the name {name!r} is reserved for the templates' catalog")
            if name == "index":
                raise HandoutsError(self.rel(path), "the name 'index' is reserved for each language's list of handouts")
            meta = path.with_suffix(".toml")
            review = decisions.path_for(path)
            key = digest(repr((file_digest(path), file_digest(meta), file_digest(review), learned.digest)))
            found.append(Source(name, path, self.rel(path), key, learned))
        if not found:
            raise HandoutsError(self.rel(self.source), "no documents: put English Markdown files in source/*.md")
        return found

    def document(self, source: Source) -> Document:
        """The repaired, parsed document: from the cache when its source is unchanged."""
        doc = self._documents.get(source.name)
        if doc is None:
            doc = self.store.load_document(source.name, source.key)
            if doc is None:
                doc = prepare(source.path, source.rel, source.learned)
                self.store.save_document(source.name, source.key, doc)
            self._keep(source.name, doc)
        return doc

    def _keep(self, name: str, doc: Document) -> None:
        self._documents[name] = doc
        if len(self._documents) > KEPT_DOCUMENTS:
            self._documents.popitem(last=False)

    def documents(self) -> list[Document]:
        return [self.document(s) for s in self.sources()]

    def _prepare_all(self, sources: list[Source], state: State) -> None:
        """Repair and parse, in parallel, the documents whose source changed."""
        todo = [s for s in sources if s.name not in self._documents
                and (s.name not in state.documents or state.documents[s.name].source != s.key
                     or not self.store.document_path(s.name).exists())]
        if len(todo) < 4 or self.jobs < 2:
            return  # done one by one, when asked for
        preload_repair()  # loaded once, here: the forked workers share its pages instead of loading their own
        workers = min(self.jobs, len(todo))
        # the longest first, each taken from one shared list by whichever process is free: the workers, and
        # this one once it has read the catalogs and the templates' words (with five long documents on two
        # workers, the fifth no longer waits for one of them while this process has nothing to do)
        todo.sort(key=lambda s: -_size(s.path))
        work = _Work(self.store, todo)
        _WORK[:] = [work]
        try:
            with heap.forked_pool(workers) as pool:
                done = [pool.submit(_take_work) for _ in range(workers)]
                self._read_catalogs(todo)  # meanwhile, in this process, which would only wait
                update_stage.extract_ui_words(list(self.template_dirs()))  # ... and the update's words of the templates
                failed = _take_work(self._keep)
                for future in done:
                    failed += future.result()
        finally:
            _WORK.clear()
        if failed:  # the first in the documents' order, as a serial run would say
            order = {s.name: n for n, s in enumerate(sources)}
            raise min(failed, key=lambda f: order[todo[f[0]].name])[1]

    def _read_catalogs(self, todo: list[Source]) -> None:
        """Parse the catalogs of the documents being repaired, which the update will merge with their
        new templates: they stay parsed in memory (``catalogs.load`` keeps them by content, so a catalog
        saved since is read again).  Only as many as that memory keeps; a catalog that cannot be read is
        left for the update to report."""
        codes = self.locales()
        if len(todo) * len(codes) > catalogs.PARSED_CACHE // 2:
            return
        for source in todo:
            for code in codes:
                path = catalogs.po_path(self.locale, code, source.name)
                try:
                    catalogs.load(path, self.rel(path))
                except HandoutsError:
                    pass

    def write_repair_reports(self, sources: list[Source], state: State, summary: Summary) -> None:
        from .repair.report import format_report  # the same report `fix` prints

        for source in sources:
            path = self.output / "repair" / f"{source.name}.txt"
            known = state.documents.get(source.name)
            if known is None or known.source != source.key or known.report != output_stat(path):
                doc = self.document(source)
                report = format_report(doc.path, doc.original, doc.repaired, doc.decided, doc.stale, review_rel(doc))
                if write_text(path, report, durable=False):  # made again from the source: no fsync, as handouts
                    summary.written.append(path)
                known = DocumentState(source.key, len(doc.repaired.fixes), len(doc.repaired.flags),
                                      len(doc.parsed.units), output_stat(path), len(doc.unreviewed))
                state.documents[source.name] = known
            summary.documents.append((source.rel, known))
        live = {s.name for s in sources}
        folder = self.output / "repair"
        found = listing(folder, LISTINGS)  # listed again only when a name in it changed
        for name in sorted(found[0]) if found else []:
            if name.endswith(".txt") and name[:-4] not in live and remove(folder / name):  # a document gone
                summary.written.append(folder / name)

    def check_review(self, sources: list[Source] | None = None) -> None:
        """With ``require-review``: ReviewNeeded when an item of any document is undecided
        (called before anything is written, for any document)."""
        if not self.require_review:
            return
        problems = review_problems([self.document(s) for s in sources or self.sources()])
        if problems:
            raise ReviewNeeded(problems)

    # -- stage 2: catalogs ---------------------------------------------------------------

    def locales(self) -> list[str]:
        return locales.read_linguas(self.locale)

    def update(self, state: State, summary: Summary, sources: list[Source] | None = None) -> None:
        sources = sources if sources is not None else self.sources()
        by_name = {s.name: s for s in sources}
        units: dict[str, list] = {}  # each document's units, kept (the update's workers read them for every language)

        def units_of(name: str) -> list:
            if name not in units:
                units[name] = self.document(by_name[name]).parsed.units
            return units[name]

        documents = [(s.name, lambda s=s: catalogs.messages_from_units(s.rel, units_of(s.name)), s.key)
                     for s in sources]
        reader = update_stage.Reader(  # what the build makes of each catalog, when the update's workers read it
            lambda code, domain, po: build_stage.translations_of(code, domain, units_of(domain), po, po.path))
        summary.written += update_stage.update(self.locale, self.locales(), documents, self.rel, state,
                                               list(self.template_dirs()), self.store, self.jobs, reader)
        self._read = reader.found

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

    def build(self, state: State, summary: Summary, paper: str = "A4", pdf: bool = False,
              sources: list[Source] | None = None, progress=None, updated: bool = False) -> None:
        sources = sources if sources is not None else self.sources()
        codes = [SOURCE_LANGUAGE] + [c for c in self.locales() if c != SOURCE_LANGUAGE]
        settings = build_stage.Settings(self.locale, self.output, codes, self.min_translated, paper, pdf,
                                        self.template_dirs(), self.root, self.large_print, self.base_url)
        by_name = {s.name: s for s in sources}

        def load(name: str) -> Document:  # in a worker process: from build/documents/, or made afresh
            return self.document(by_name[name])

        result = build_stage.build(settings, [s.name for s in sources], load,
                                   {s.name: s.key for s in sources}, state, self.jobs, progress, updated,
                                   self._read if updated else None, lambda name: _size(by_name[name].path))
        summary.written += result.written
        summary.translated.update(result.translated)
        summary.locales = result.locales
        summary.rebuilt += result.rebuilt

    # -- everything -----------------------------------------------------------------------

    def run(self, stages: tuple[str, ...] = ("repair", "update", "build"), paper: str = "A4", pdf: bool = False,
            progress=None) -> Summary:
        """Run the stages, redoing only what changed since the last run; remember what was done."""
        summary = Summary()
        self._documents = collections.OrderedDict()  # read afresh (through the cache) by every run
        state = self.state()
        sources = self.sources()
        self._prepare_all(sources, state)
        if "update" in stages:
            self.check_review(sources)
        if "repair" in stages:
            self.write_repair_reports(sources, state, summary)
        if "update" in stages:
            self.update(state, summary, sources)
        if "build" in stages:
            self.build(state, summary, paper, pdf, sources, progress, updated="update" in stages)
        live = {s.name for s in sources}
        for name in [n for n in state.documents if n not in live]:
            del state.documents[name]
        self.store.save(state)
        return summary


def preload_repair() -> None:
    """Load the repair's resources that every document needs (the rest is loaded on first use).

    The rules, the WordNet thesaurus and the word-pair counts read every text.  The trigram
    language model and Moby's thesaurus read only a text that shows spinning: a worker that meets
    one loads them itself (0.06 s), so that a clean library, the usual case, does not wait for them.
    The repair's engine and the Markdown parser every document is read with are made here too: each
    process of the repair window imported and built them for itself (9 to 23 ms and 25 to 48 ms a
    process, three processes on two cores)."""
    import importlib

    from . import units
    from .repair import load_rules
    from .repair.counts import load_model
    from .repair.statistical import load_settings
    from .repair.thesaurus import load_thesaurus

    load_rules(), load_settings(), load_thesaurus(), load_model()
    importlib.import_module(".repair.engine", __package__)  # (for the workers, which repair with it)
    units.markdown()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # read (and reported) by the worker


class _Work:
    """Documents to repair, shared by forked processes: each takes the next one not yet taken."""

    def __init__(self, store: Store, todo: list[Source]):
        import multiprocessing

        self.store, self.todo = store, todo
        self.next = multiprocessing.get_context("fork").Value("i", 0)  # (made before the workers are forked)

    def take(self) -> int | None:
        with self.next.get_lock():
            index = self.next.value
            if index >= len(self.todo):
                return None
            self.next.value = index + 1
            return index


_WORK: list[_Work] = []
"""The ``_Work`` that a pool's forked workers (and the process that forked them) take from."""


def _take_work(keep: Callable[[str, Document], None] | None = None) -> list[tuple[int, HandoutsError]]:
    """Repair and parse documents from the shared list until none is left, each put in build/documents/
    (and given to ``keep``, in the process that runs the build); what was wrong, by its place in the list
    (anything else is a fault, raised at once)."""
    work = _WORK[0]
    failed = []
    while (index := work.take()) is not None:
        source = work.todo[index]
        try:
            doc = prepare(source.path, source.rel, source.learned)
        except HandoutsError as exc:  # reported by the caller, the first in the list's order
            failed.append((index, exc))
            continue
        work.store.save_document(source.name, source.key, doc)
        if keep is not None:
            keep(source.name, doc)
    return failed


def prepare(path: Path, rel: str, learned: learning.Learned | None = None) -> Document:
    """Read, check, repair and parse one source document, with its editor's decisions applied.

    ``learned``: what the folder's decisions files teach (``learning.learn``); what
    translators get is the repaired text with the decisions in ``source/<doc>.review.toml``
    applied over it."""
    original = decode(read_bytes(path), rel)
    check_characters(original, rel)
    from .repair.engine import repair  # (not at import: a run that repairs nothing starts without it)

    automatic = repair(original, learned=learned)
    review = decisions.path_for(path)
    chosen = decisions.load(review, rel.removesuffix(".md") + decisions.SUFFIX)
    applied = decisions.apply(original, automatic, chosen)
    unreviewed = [i for i in decisions.review_items(original, automatic, chosen) if not i.reviewed]
    result = applied.result
    parsed = parse(rel, result.text)
    _urgent(path, rel, parsed)
    return Document(path.stem, rel, original, result, parsed, _reviewed(path, rel),
                    applied.decided, applied.stale, unreviewed)


def review_problems(docs: list[Document]) -> list[HandoutsError]:
    """``require-review``: one error per item no editor decided, in document and text order."""
    return [HandoutsError(doc.path, unreviewed_message(item) + " (require-review is set: no catalog is "
                          "updated until every item is decided)", item.line)
            for doc in docs for item in doc.unreviewed]


def unreviewed_message(item: decisions.Item) -> str:
    hint = f' (suggestion: "{item.suggestions[0]}")' if item.suggestions else ""
    return f'unreviewed repair: "{item.before}"{hint}; decide with python pipeline.py review'


def stale_message(doc: Document, d: decisions.Decision) -> str:
    return f'stale decision: "{d.before}" is no longer on line {d.line} of {doc.path}'


def review_rel(doc: Document) -> str:
    return doc.path.removesuffix(".md") + decisions.SUFFIX


def _reviewed(doc_path: Path, rel: str) -> dt.date | None:
    meta_path = doc_path.with_suffix(".toml")
    if not meta_path.exists():
        return None
    meta_rel = rel.removesuffix(".md") + ".toml"
    try:
        meta = tomllib.loads(decode(read_bytes(meta_path), meta_rel))
    except tomllib.TOMLDecodeError as exc:
        raise HandoutsError(meta_rel, f"bad TOML: {exc}", getattr(exc, "lineno", None)) from None
    value = meta.get("reviewed")
    if value is None:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise HandoutsError(meta_rel, "reviewed must be a date such as 2026-11-24")
    return value


def _urgent(doc_path: Path, rel: str, parsed) -> None:
    """``urgent = "..."`` in the document's .toml: its urgent passage, shown in a box on page 1."""
    meta_path = doc_path.with_suffix(".toml")
    if not meta_path.exists():
        return
    meta_rel = rel.removesuffix(".md") + ".toml"
    text = decode(read_bytes(meta_path), meta_rel)
    try:
        value = tomllib.loads(text).get("urgent")
    except tomllib.TOMLDecodeError as exc:
        raise HandoutsError(meta_rel, f"bad TOML: {exc}", getattr(exc, "lineno", None)) from None
    if value is None:
        return
    line = next((n for n, l in enumerate(text.splitlines(), 1) if l.lstrip().startswith("urgent")), 1)
    if not isinstance(value, str):
        raise HandoutsError(meta_rel, 'urgent must be text, such as urgent = "Call 999 now if ..."', line)
    add_urgent(parsed, value, meta_rel, line)
