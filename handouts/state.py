"""What the last run read and wrote, so that the next run redoes only what changed.

Kept in ``build/`` (git ignores it; delete it any time, the next run is then a full one):

    build/state.pickle           fingerprints of every input and output, and the summaries,
                                 pickled document by document (only a changed document's again)
    build/digests.pickle         every file's digest, with the identity it had when it was read
    build/documents/<doc>.pickle a repaired and parsed document
    build/memory/<lang>.pickle   the checked translations of each catalog (the pre-fill)
    build/index-rows.pickle      the library index's rows; build/languages.pickle, the languages' names

Work is skipped only when every input that determines it is unchanged:

* everything at once when the *version* changes: the package's code, rules, data and
  templates, the project's own templates, the configuration, Python's and every
  dependency's version;
* a document's repair and parse: its source and metadata bytes;
* a catalog's update: its template, its own bytes, and the translations in the language's
  other catalogs that it asked for (the pre-fill of new units), looked up again only when one of
  the language's catalogs or its translation memory changed;
* a handout: the document, its catalog, the language's template-words catalog, the list of
  languages, the print settings; and its output files must still be the ones written.

Inputs are compared by content (BLAKE2 digests).  A file's digest is kept beside its
identity (inode, size, modification and change times, ``build/digests.pickle``) and the file is
read again only when any of the four moved, as git keeps its index: every save, in place or by
rename, moves the change time, which no program can set back.  A file modified within
``RACY_SECONDS`` of being read is read again on the next run whatever its identity, so that a
second save within one tick of the file system's clock is never missed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import re
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from . import documents, heap
from .repair import cache as _cache
from .documents import RACY_SECONDS, identity, identity_of as _identity_of, write_bytes

FORMAT = 4
PACKAGE = Path(__file__).resolve().parent
DEPENDENCIES = ("babel", "jinja2", "markdown-it-py", "markupsafe", "polib", "segno", "wcwidth")


def digest(data: bytes | str | None) -> str | None:
    if data is None:
        return None
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_SEEN: dict[str, tuple[tuple[int, int, int, int], str, int]] = {}
"""path -> (identity, digest, when it was read in ns): every file digested, kept between runs."""
_USED: set[str] = set()
_DIGESTS_CHANGED = False
DIGESTS_FORMAT = 2


def file_digest(path: Path | str) -> str | None:
    """The digest of a file's bytes, or None if there is no file (errors are left to the reader).

    A file is read again only if its inode, size, modification or change time moved since it
    was last read, in this run or an earlier one (``load_digests``); under ``watch``, a file no
    change was reported for since it was last looked at is not looked at again (``Watched``)."""
    name = os.fspath(path)
    _USED.add(name)
    watched = documents.WATCHED
    return _file_digest(name) if watched is None else watched.answer(watched.digests, name, _file_digest)


def file_digests(names: list[str]) -> list[str | None]:
    """``file_digest`` of each of ``names``."""
    _USED.update(names)
    watched = documents.WATCHED
    return [_file_digest(n) for n in names] if watched is None else watched.answers(watched.digests, names,
                                                                                     _file_digest)


def _file_digest(name: str) -> str | None:
    try:
        st = os.stat(name)
        if not stat.S_ISREG(st.st_mode):
            return "unreadable"  # a folder, a FIFO: whoever reads it says what is wrong
        identity = _identity_of(st)
        known = _SEEN.get(name)
        if known is not None and known[0] == identity:
            return known[1]
        read_at = time.time_ns()
        with open(name, "rb") as f:
            value = digest(f.read())
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return "unreadable"
    global _DIGESTS_CHANGED
    _SEEN[name] = (identity, value, read_at)
    _DIGESTS_CHANGED = True
    return value


def worker_mark(store: "Store | None") -> tuple:
    """What a forked worker process starts from (``worker_changes``)."""
    return dict(_SEEN), set(_USED), dict(LISTINGS), dict(store.pending) if store is not None else {}


def worker_changes(mark: tuple, store: "Store | None") -> tuple:
    """What a worker took or would write in build/ since ``mark``, for the process that forked it
    (``take_worker_changes``): the digests it took, the folders it listed, the cache files it made."""
    seen, used, listings, pending = mark
    return ({k: v for k, v in _SEEN.items() if seen.get(k) is not v}, _USED - used,
            {k: v for k, v in LISTINGS.items() if listings.get(k) is not v},
            {k: v for k, v in store.pending.items() if pending.get(k) is not v} if store is not None else {})


def take_worker_changes(changes: tuple, store: "Store | None") -> None:
    global _DIGESTS_CHANGED
    seen, used, listings, pending = changes
    if seen:
        _SEEN.update(seen)
        _DIGESTS_CHANGED = True
    _USED.update(used)
    LISTINGS.update(listings)
    if store is not None:
        store.pending.update(pending)


LISTINGS: dict = {}
"""folder -> its last listing (``documents.listing``), kept between runs with the digests: which
folders hold a killed run's temporary files, which PDFs are on disk."""
_LISTINGS_LOADED: dict = {}


_HELD: dict[str, tuple[tuple | None, object]] = {}
"""A cache file of build/ (digests.pickle, memory/<lang>.pickle) -> (its identity when this process
last read or wrote it, what it holds): while the file stays so, the next run of the process
(``watch``) takes that instead of reading the file again."""


def _hold(path: Path | str, value, seen: tuple | None | bool = False) -> None:
    """Keep ``value`` as what ``path`` holds, with the file's identity now (or ``seen``, taken before
    it was read: a change while it was read then shows)."""
    _HELD[os.fspath(path)] = (identity(path) if seen is False else seen, value)


def _held(path: Path | str):
    """What ``_hold`` kept for ``path`` while the file is as it was then; None otherwise."""
    kept = _HELD.get(os.fspath(path))
    return kept[1] if kept is not None and kept[0] == identity(path) else None


def load_digests(folder: Path) -> None:
    """Take the digests (and folder listings) an earlier run kept, except for files modified too near
    their reading."""
    global _LISTINGS_LOADED
    path = os.fspath(folder / "digests.pickle")
    if _held(path) is not None:  # what it holds is in _SEEN and LISTINGS already
        _LISTINGS_LOADED = dict(LISTINGS)
        return
    on_disk = identity(path)
    try:
        with open(path, "rb") as f:
            kept = pickle.load(f)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return
    _hold(path, True, on_disk)
    if not (isinstance(kept, tuple) and len(kept) == 3 and kept[0] == DIGESTS_FORMAT and isinstance(kept[1], dict)
            and isinstance(kept[2], dict)):
        return
    for name, entry in kept[2].items():
        LISTINGS.setdefault(name, entry)
    _LISTINGS_LOADED = dict(LISTINGS)
    margin = RACY_SECONDS * 1_000_000_000
    for name, entry in kept[1].items():
        try:
            trusted = entry[2] - max(entry[0][2], entry[0][3]) > margin
        except (TypeError, IndexError):  # not what this code writes: a cache, so ignored
            continue
        if name not in _SEEN and trusted:
            _SEEN[name] = entry


def kept_digests() -> bytes:
    """What ``load_digests`` reads back: every file digested, but a file this run did not ask for
    only while it exists (a removed document's catalogs are forgotten), in the order of their names."""
    kept = {name: _SEEN[name] for name in sorted(_SEEN) if name in _USED or os.path.exists(name)}
    listings = {name: LISTINGS[name] for name in sorted(LISTINGS)}
    return pickle.dumps((DIGESTS_FORMAT, kept, listings), protocol=pickle.HIGHEST_PROTOCOL)


def _project(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed(names: tuple[str, ...]) -> dict[str, str]:
    """Each distribution's metadata folder, the first on ``sys.path`` as an import finds it:
    ``babel-2.19.0.dist-info`` (or a system package's ``Babel-2.10.3.egg-info``), whose name
    holds the version, all that ``version`` needs.  ``importlib.metadata`` reads the same, but
    importing it takes 0.05 s, a tenth of a no-op run of a 100-document library."""
    wanted = {_project(n): n for n in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            here = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in sorted(here):
            if folder.endswith((".dist-info", ".egg-info")):
                name = wanted.get(_project(folder.rsplit(".", 1)[0].split("-", 1)[0]))
                if name is not None and name not in found:
                    found[name] = folder
        if len(found) == len(wanted):
            break
    return found


def version(*extra: object, folders: tuple[Path, ...] = ()) -> str:
    """One digest for everything that can change every output at once."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{FORMAT} {__version__} {sys.version}".encode())
    installed = _installed(DEPENDENCIES)
    for name in DEPENDENCIES:
        h.update(f"{name}={installed.get(name, '?')};".encode())
    for folder in (PACKAGE, *folders):
        if not folder.is_dir():
            continue
        paths = [path for path in sorted(folder.rglob("*"))
                 if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc",)]
        # the package's own files (25 MB, with the repair's word lists) by the digests the repair's
        # cache keeps for the user, by file identity: a new library's first build does not read them
        # all again (0.025 s); a project's template folders are the project's, digested with its inputs
        digests = _cache.source_digests(paths) if folder == PACKAGE else [file_digest(p) for p in paths]
        for path, value in zip(paths, digests):
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(str(value).encode())
    h.update(repr(extra).encode())
    return h.hexdigest()


@dataclass(slots=True)
class DocumentState:
    source: str
    """Digest of the source's bytes and of its metadata (.toml)."""
    fixes: int
    flags: int
    units: int
    report: tuple[int, int] | None = None
    """(size, mtime_ns) of output/repair/<doc>.txt as written."""
    unreviewed: int = 0
    """Flags and statistical repairs no editor has decided (``source/<doc>.review.toml``)."""


@dataclass(slots=True)
class CatalogState:
    template: str | None
    """Digest of the template it was merged with."""
    catalog: str | None
    """Digest of the catalog's bytes after the update (as written, or as found)."""
    asked: dict[str, str | None] = field(default_factory=dict)
    """Source texts the merge looked up in the language's other catalogs, and what it found."""
    library: str | None = None
    """``update.library_digest`` of the language when ``asked`` was answered: while it is the same,
    every lookup finds the same again."""


@dataclass(slots=True)
class BuildState:
    key: tuple
    """The digests of what the handouts are made from (settings, document, catalog, template words)."""
    outputs: dict[str, tuple[int, int]]
    """Output path in output/ (``de/ketamine.html``) -> (size, mtime_ns) as written; an output that is
    gone or touched is rebuilt."""
    summary: object
    """build.Translations without its table."""


@dataclass(slots=True)
class State:
    version: str = ""
    documents: dict[str, DocumentState] = field(default_factory=dict)
    templates: dict[str, tuple[str, str]] = field(default_factory=dict)
    """domain -> (digest of its messages, digest of the template file written)."""
    catalogs: dict[tuple[str, str], CatalogState] = field(default_factory=dict)
    builds: dict[tuple[str, str], BuildState] = field(default_factory=dict)
    indexes: dict[str, tuple[str, tuple[int, int] | None]] = field(default_factory=dict)
    """``index.html``, ``de/index.html``, ... -> (digest of what it shows, its (size, mtime_ns) as written)."""
    layout: str | None = None
    """Digest of the documents, languages and variants built: output/ is swept when it changes."""


class Store:
    """The state file and the cached documents of one project."""

    def __init__(self, root: Path):
        self.folder = root / "build"
        self.path = self.folder / "state.pickle"
        self.loaded: Shards | None = None
        """What ``load`` read, by document, to compare with what ``save`` is given."""
        self.digests_loaded = False
        self.pending: dict[Path, bytes] = {}
        """Cache files to write when the run succeeds (``flush``): a failed run leaves build/ as it was."""
        self.held: dict[Path, object] = {}
        """What some of ``pending`` holds, kept for the next run of this process once written (``_hold``)."""

    def _put(self, path: Path, value) -> None:
        self.pending[path] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def _get(self, path: Path):
        if path in self.pending:
            return pickle.loads(self.pending[path])
        with open(path, "rb") as f:
            return pickle.load(f)

    def flush(self) -> None:
        for path, data in sorted(self.pending.items()):
            write_bytes(path, data, durable=False)  # a cache: rebuilt if lost
            if path in self.held:
                _hold(path, self.held.pop(path))
        self.pending.clear()

    def load(self, current_version: str) -> State:
        self.loaded = None
        kept = _KEPT.pop(os.fspath(self.path), None)  # taken, not copied: a run that fails leaves nothing here
        try:
            if kept is not None and kept[0] is not None and kept[0] == identity(self.path):
                state, self.loaded = kept[1]  # what this process saved last (``watch``), unchanged since
            else:
                with open(self.path, "rb") as f:
                    state, self.loaded = _decode(f.read())
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError, KeyError):
            self.loaded = None
            return State(current_version)
        if not isinstance(state, State) or state.version != current_version:
            self.loaded = None
            return State(current_version)
        return state

    def load_digests(self) -> None:
        """``load_digests`` once per Store (the lock's clean-up asks first, then the state)."""
        global _DIGESTS_CHANGED
        if self.digests_loaded:
            return
        load_digests(self.folder)
        _DIGESTS_CHANGED = False
        self.digests_loaded = True

    def save(self, state: State) -> None:
        """Write the state, unless it is what was loaded (a no-op run of a big library writes nothing);
        only the documents whose records changed are pickled again."""
        data, shards, changed = _encode(state, self.loaded)
        if changed or not self.path.exists():
            self.pending[self.path] = data
        if _DIGESTS_CHANGED or LISTINGS != _LISTINGS_LOADED or not (self.folder / "digests.pickle").exists():
            self.pending[self.folder / "digests.pickle"] = kept_digests()
            self.held[self.folder / "digests.pickle"] = True  # its contents are _SEEN and LISTINGS
        self.flush()
        self.loaded = shards
        _KEPT[os.fspath(self.path)] = (identity(self.path), (state, shards))

    def load_memory(self, code: str) -> dict:
        """A language's memory tables as the last run kept them (not to be changed: it may be the very
        dict this process kept, ``_held``)."""
        path = self.folder / "memory" / f"{code}.pickle"
        held = _held(path)
        if held is not None and path not in self.pending:
            return held
        try:
            data = self._get(path)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_memory(self, code: str, data: dict) -> None:
        path = self.folder / "memory" / f"{code}.pickle"
        if documents.WATCHED is not None:
            # the preview keeps it, unwritten (a pickle of every catalog's table for each save): the file
            # on disk stays as it was, and the next run of another process checks each of its tables
            # against its catalog's digest, as always, and parses again the ones saved meanwhile
            _hold(path, data)
            return
        self._put(path, data)
        self.held[path] = data

    def document_path(self, name: str) -> Path:
        return self.folder / "documents" / f"{name}.pickle"

    def load_document(self, name: str, source: str):
        try:
            key, doc = self._get(self.document_path(name))
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        return doc if key == source else None

    def save_document(self, name: str, source: str, doc) -> None:
        """Written at once (keyed by its source's digest, it is never wrong): worker processes read it."""
        self.pending.pop(self.document_path(name), None)
        write_bytes(self.document_path(name), pickle.dumps((source, doc), protocol=pickle.HIGHEST_PROTOCOL),
                    durable=False)


_KEPT: dict[str, tuple[tuple | None, tuple[State, "Shards"]]] = {}
"""state file -> (its identity as saved, (the State saved, its shards)): the next run of the same
process (``watch``) takes it instead of reading the file again, unless the file changed meanwhile."""


# The state file: the records of each document (its DocumentState, its catalogs' and its handouts' records)
# pickled apart, so that a run that changed one document pickles one document's records again, and the
# rest (templates, indexes, layout).  Records are replaced, never changed in place: a document whose
# records are the very objects that were loaded is unchanged.
_SHARDED = "handouts state, by document, 1"
Shards = dict  # document -> (its records as loaded: ((kind, key, record), ...), their pickle); "" -> the rest


def _group(state: State) -> dict[str, list]:
    groups: dict[str, list] = {}
    for name, record in state.documents.items():
        groups.setdefault(name, []).append(("d", name, record))
    for key, record in state.catalogs.items():
        groups.setdefault(key[1], []).append(("c", key, record))
    for key, record in state.builds.items():
        groups.setdefault(key[0], []).append(("b", key, record))
    return groups


def _encode(state: State, loaded: Shards | None) -> tuple[bytes, Shards, bool]:
    """The file's bytes, its shards, and whether anything differs from ``loaded``."""
    rest = pickle.dumps(dataclasses.replace(state, documents={}, catalogs={}, builds={}),
                        protocol=pickle.HIGHEST_PROTOCOL)
    shards: Shards = {"": ((), rest)}
    changed = loaded is None or loaded.get("", (None, None))[1] != rest
    for name, records in _group(state).items():
        records = tuple(records)
        known = loaded.get(name) if loaded is not None else None
        if known is not None and len(known[0]) == len(records) and all(
                a[0] == b[0] and a[1] == b[1] and a[2] is b[2] for a, b in zip(known[0], records)):
            shards[name] = known
        else:
            shards[name] = (records, pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL))
            changed = True
    if loaded is not None and loaded.keys() != shards.keys():
        changed = True
    data = pickle.dumps((_SHARDED, {name: blob for name, (_, blob) in shards.items()}),
                        protocol=pickle.HIGHEST_PROTOCOL)
    return data, shards, changed


def _decode(data: bytes) -> tuple[State, Shards]:
    """The state and its shards.  The cyclic garbage collector is paused meanwhile: the records are tens
    of thousands of new objects, none of them garbage, and its passes over them took a third of the time."""
    with heap.paused(keep=True):
        return _unpickle(data)


def _unpickle(data: bytes) -> tuple[State, Shards]:
    tag, blobs = pickle.loads(data)
    if tag != _SHARDED:
        raise ValueError("another format")
    state = pickle.loads(blobs[""])
    shards: Shards = {"": ((), blobs[""])}
    tables = {"d": state.documents, "c": state.catalogs, "b": state.builds}
    for name, blob in blobs.items():
        if name:
            records = pickle.loads(blob)
            shards[name] = (records, blob)
            for kind, key, record in records:
                tables[kind][key] = record
    return state, shards


def output_stat(path: Path | str) -> tuple[int, int] | None:
    """(size, modification time) of a handout or report, None if there is none: what tells that
    someone touched it since the build wrote it (it is then written again)."""
    watched = documents.WATCHED
    return _output_stat(path) if watched is None else watched.answer(watched.outputs, os.fspath(path), _output_stat)


def output_stats(paths: list[str]) -> list[tuple[int, int] | None]:
    """``output_stat`` of each of ``paths``."""
    watched = documents.WATCHED
    return [_output_stat(p) for p in paths] if watched is None else watched.answers(watched.outputs, paths,
                                                                                    _output_stat)


def _output_stat(path: Path | str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)
