"""A cache of the repair's parsed resources, so that a new process does not parse them again.

Parsing the phrase table, the thesauri and the word-pair counts takes most of a second;
unpickling what that parsing made takes about a third of it.  Each resource is kept as a
pickle in the user's cache directory (``$XDG_CACHE_HOME/handouts``, else
``~/.cache/handouts``), named by the BLAKE2 digest of everything it is made from: the
files it is parsed from, the modules whose classes it holds, the package's version and
Python's.  So an edited rule file, an upgraded package or a changed class is a different
name, never a stale object; the oldest is removed when a fourth version is written.  The
digest of each source file is itself kept (``sources.pickle``) while the file's identity
(inode, size, modification and change times) stays the same, so that a process stats the
sources rather than reading them all (:func:`_source_digest`).

The cache can only make loading faster, never change what is loaded:

* any failure to read it (no such file, a corrupt or truncated pickle, an object of
  another type, an unreadable directory) falls back to parsing, silently;
* any failure to write it (a read-only or full disk, no home directory) is ignored;
* a file is written to a temporary name in the same directory and renamed into place,
  so a reader never sees half of one, and two processes writing at once both succeed.

``HANDOUTS_CACHE=off`` in the environment turns it off.  A pickle runs code when it is
loaded, so the directory must be the user's own (as every cache directory is): the cache
reads only files it named itself, in the directory it computed.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from .. import heap

T = TypeVar("T")

_CODE = Path(__file__).resolve().parent


def directory() -> Path | None:
    """Where the cache is kept, or None when it is turned off."""
    if os.environ.get("HANDOUTS_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "handouts"


def _digest(name: str, sources: Iterable, modules: Iterable[str], salt: str = "") -> str:
    from .. import __version__

    h = hashlib.blake2b(digest_size=20)
    h.update(f"{name}\0{__version__}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0{salt}\0".encode())
    for module in modules:
        h.update((_CODE / f"{module}.py").read_bytes())
        h.update(b"\0")
    for source in sources() if callable(sources) else sources:
        h.update(_source_digest(source))  # its content, wherever it is: two checkouts of the same share one
        h.update(b"\0")
    return h.hexdigest()


_SOURCES = "sources.pickle"
_SOURCES_FORMAT = 1
_known: dict[str, tuple[tuple[int, int, int, int], bytes, int]] | None = None
"""path -> (identity, digest of its bytes, when it was read in ns): each source's digest, kept in
the cache directory between processes (``_SOURCES``)."""


def source_digests(paths: list[Path]) -> list[bytes]:
    """:func:`_source_digest` of each of ``paths`` (files of the file system), the kept digests
    written back once for all of them, not once per file read."""
    folder = directory()
    try:
        return [_source_digest(p, write=False) for p in paths]
    finally:
        if _dirty and folder is not None:
            _save_known(folder)


def _source_digest(source, write: bool = True) -> bytes:
    """The BLAKE2 digest of a source's bytes.

    The sources are 20 MB (the thesauri, the word-pair lists): reading and hashing them was a
    seventh of loading the resources from the cache.  So, as the pipeline does for its own
    inputs (``state.file_digest``), a file's digest is kept with its identity (inode, size,
    modification and change times, ``documents.identity_of``), and the file is read again only
    when its identity moved or it was read within ``documents.RACY_SECONDS`` of its last change
    (a second change within one tick of the file system's clock would not move it)."""
    from ..documents import RACY_SECONDS, identity_of

    global _known
    try:
        name = os.fspath(source)
        st = os.stat(name)
    except (TypeError, OSError):  # not a file of the file system (a package in a zip): read it
        return hashlib.blake2b(source.read_bytes(), digest_size=20).digest()
    if _known is None:
        _known = _load_known()
    identity = identity_of(st)
    entry = _known.get(name)
    if entry is not None and entry[0] == identity and entry[2] - max(identity[2], identity[3]) > RACY_SECONDS * 10**9:
        return entry[1]
    read_at = time.time_ns()
    with open(name, "rb") as f:
        value = hashlib.blake2b(f.read(), digest_size=20).digest()
    _known[name] = (identity, value, read_at)
    global _dirty
    _dirty = True
    folder = directory()
    if write and folder is not None:
        _save_known(folder)
    return value


_dirty = False
"""A digest was read that the cache directory does not hold yet."""


KEPT_SOURCES = 2000
"""Digests kept in the index, the most recently read: every checkout and every fresh clone a test
makes adds its package's files, and a file that is gone is dropped when the index is next written."""


def _save_known(folder: Path) -> None:
    global _dirty
    live = [(name, entry) for name, entry in _known.items() if os.path.exists(name)]
    live.sort(key=lambda item: item[1][2], reverse=True)
    _known.clear()
    _known.update(live[:KEPT_SOURCES])
    _write(folder / _SOURCES, (_SOURCES_FORMAT, _known))
    _dirty = False


def _load_known() -> dict:
    """The sources' digests an earlier process kept; nothing when there are none or they cannot be read."""
    folder = directory()
    if folder is None:
        return {}
    try:
        with open(folder / _SOURCES, "rb") as f:
            kept = pickle.load(f)
    except Exception:  # noqa: BLE001 - any failure to read the cache: read the sources instead
        return {}
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == _SOURCES_FORMAT and isinstance(kept[1], dict)):
        return {}
    known = {}
    for name, entry in kept[1].items():
        if (isinstance(name, str) and isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[0], tuple)
                and len(entry[0]) == 4 and isinstance(entry[1], bytes) and isinstance(entry[2], int)):
            known[name] = entry
    return known


def cached(name: str, sources: Iterable, modules: Iterable[str], kind: type, build: Callable[[], T],
           salt: str = "") -> T:
    """``build()``, or what an earlier process's ``build()`` made from the same ``sources``.

    ``sources``: paths (or ``importlib.resources`` files) that ``build`` reads, or a function
    that lists them; ``modules``:
    the modules of this package whose classes the result holds; ``kind``: the result's type;
    ``salt``: anything else the result depends on (the versions of the libraries that make it).
    """
    folder = directory()
    path = None
    if folder is not None:
        try:
            path = folder / f"{name}-{_digest(name, sources, modules, salt)}.pickle"
            with open(path, "rb") as f:
                value = _load(f)
            if isinstance(value, kind):
                return value
        except Exception:  # noqa: BLE001 - any failure to read the cache: parse instead
            pass
    value = build()
    if path is not None:
        _write(path, value)
    return value


def _load(f):
    """``pickle.load(f)`` with the cyclic garbage collector paused (as ``state._decode`` does): a
    resource is tens of thousands of new objects, none of them garbage."""
    with heap.paused(keep=True):
        return pickle.load(f)


KEPT_VERSIONS = 3
"""Versions of a resource kept, the newest: two checkouts that differ (a benchmark's ``--base``, an
A/B of a rule) would otherwise remove each other's at every run, and each parse its resources again."""


def _write(path: Path, value) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
        prefix = path.name.rsplit("-", 1)[0] + "-"
        older = []
        for old in path.parent.glob(f"{prefix}*.pickle"):
            if old != path and old.name.rsplit("-", 1)[0] + "-" == prefix:
                try:
                    older.append((old.stat().st_mtime_ns, old))
                except OSError:
                    pass
        for _, old in sorted(older, reverse=True)[KEPT_VERSIONS - 1 :]:  # the newest others stay
            try:
                old.unlink()
            except OSError:
                pass
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no cache
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
