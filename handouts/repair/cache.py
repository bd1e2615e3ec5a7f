"""A cache of the repair's parsed resources, so that a new process does not parse them again.

Parsing the phrase table, the thesauri and the word-pair counts takes most of a second;
unpickling what that parsing made takes about a third of it.  Each resource is kept as a
pickle in the user's cache directory (``$XDG_CACHE_HOME/handouts``, else
``~/.cache/handouts``), named by the BLAKE2 digest of everything it is made from: the
files it is parsed from, the modules whose classes it holds, the package's version and
Python's.  So an edited rule file, an upgraded package or a changed class is a different
name, never a stale object; an old file is removed when its successor is written.

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
from pathlib import Path
from typing import Callable, Iterable, TypeVar

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


def _digest(name: str, sources: Iterable, modules: Iterable[str]) -> str:
    from .. import __version__

    h = hashlib.blake2b(digest_size=20)
    h.update(f"{name}\0{__version__}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0".encode())
    for module in modules:
        h.update((_CODE / f"{module}.py").read_bytes())
        h.update(b"\0")
    for source in sources() if callable(sources) else sources:
        h.update(str(source).encode("utf-8", "surrogateescape") + b"\0")
        h.update(source.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def cached(name: str, sources: Iterable, modules: Iterable[str], kind: type, build: Callable[[], T]) -> T:
    """``build()``, or what an earlier process's ``build()`` made from the same ``sources``.

    ``sources``: paths (or ``importlib.resources`` files) that ``build`` reads, or a function
    that lists them; ``modules``:
    the modules of this package whose classes the result holds; ``kind``: the result's type.
    """
    folder = directory()
    path = None
    if folder is not None:
        try:
            path = folder / f"{name}-{_digest(name, sources, modules)}.pickle"
            with open(path, "rb") as f:
                value = pickle.load(f)
            if isinstance(value, kind):
                return value
        except Exception:  # noqa: BLE001 - any failure to read the cache: parse instead
            pass
    value = build()
    if path is not None:
        _write(path, value)
    return value


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
        for old in path.parent.glob(f"{prefix}*.pickle"):
            if old != path and old.name.rsplit("-", 1)[0] + "-" == prefix:
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
