"""Files: strict UTF-8 in, atomic writes out, and never over a file someone else just saved.

* ``read_text`` decodes strictly and says where a bad byte is; it refuses what is not
  a regular file (a FIFO would hang, a directory is a mistake).
* ``write_text`` writes a temporary file beside the target and renames it over the
  target, only when the bytes change; a symlink is written through, not replaced.
* ``replace_if_unchanged`` is for files other people edit (translators' catalogs): it
  swaps the new file in atomically and checks that what it swapped out is exactly what
  the pipeline read; if a translator saved in between, their file is put back and
  ``Changed`` is raised, so a save is never lost.
* ``ProjectLock``: two pipeline runs on one project never interleave.

Every OSError becomes a HandoutsError naming the path (disk full, read-only file
system, a folder where a file should be), so the command line reports it as
``path: error: ...`` and nothing is half-written.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

from .errors import HandoutsError

TEMP_SUFFIX = ".handouts-tmp"
_TEMP = re.compile(r"^\..+\.[0-9a-f]{12}" + re.escape(TEMP_SUFFIX) + r"(?:\.html|\.pdf|\.png)?$")
"""Our temporary files: ``.<name>.<12 hex>.handouts-tmp``, with ``.html``, ``.pdf`` or ``.png`` for the
browser's (which goes by the suffix)."""


def temporary_name(target: Path, suffix: str = "") -> Path:
    """A fresh temporary file name beside ``target`` that the next run would clean up if left behind."""
    return target.parent / f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}{suffix}"


class Changed(Exception):
    """A file changed on disk between the pipeline's read and its write; it was left as it is."""

    def __init__(self, path: Path, current: bytes | None):
        super().__init__(str(path))
        self.path = path
        self.current = current


def _os_error(path: str | os.PathLike[str], exc: OSError, doing: str) -> HandoutsError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, IsADirectoryError):
        reason = "is a directory, not a file"
    elif isinstance(exc, NotADirectoryError):
        reason = "a part of this path is a file, not a folder"
    elif exc.errno == errno.ELOOP:
        reason = "too many levels of symbolic links (a symlink loop?)"
    return HandoutsError(os.fspath(path), f"cannot {doing}: {reason}")


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file (symlinks followed); HandoutsError for anything else."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        if os.path.islink(name):
            raise HandoutsError(name, "is a broken symbolic link") from None
        raise HandoutsError(name, "no such file") from None
    except OSError as exc:
        raise _os_error(name, exc, "read") from None
    if stat.S_ISDIR(info.st_mode):
        raise HandoutsError(name, "is a directory, not a text file")
    if not stat.S_ISREG(info.st_mode):
        raise HandoutsError(name, "is not a regular file (a pipe, socket or device?); not reading it")
    try:
        with open(name, "rb") as f:
            return f.read()
    except OSError as exc:
        raise _os_error(name, exc, "read") from None


def decode(data: bytes, name: str) -> str:
    """UTF-8, strictly; the error is at the line of the first bad byte, and names its offset and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise HandoutsError(
            name,
            f"not valid UTF-8: byte offset {exc.start} (byte {column} of the line): 0x{bad} ({exc.reason})",
            line,
        ) from None


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file exactly as it is (line endings included)."""
    return decode(read_bytes(path), os.fspath(path))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_characters(text: str, name: str) -> None:
    """Refuse control characters (other than tab and line breaks) in a source text: they are
    invisible, never meant, and some of them split lines for one tool and not for another."""
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        raise HandoutsError(name, f"control character U+{ord(m.group()):04X} at column {column}; "
                                  "remove it (it is invisible and would not survive every tool)", line)


def exists(path: str | os.PathLike[str]) -> bool:
    """Is there anything at ``path`` (a broken or looping symlink counts: reading it must fail loudly)?"""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _os_error(path, exc, "look at") from None
    return True


def _target(path: Path) -> Path:
    """Where to write for ``path``: a symlink is written through to the file it names."""
    try:
        if path.is_symlink():
            return Path(os.path.realpath(path))
    except OSError as exc:
        raise _os_error(path, exc, "write") from None
    return path


def _write_temp(target: Path, data: bytes, mode: int, durable: bool = True) -> Path:
    """A new file beside ``target`` holding ``data``, flushed to disk."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(target.parent, exc, "create the folder") from None
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
    except OSError as exc:
        _unlink(tmp)
        raise _os_error(target, exc, "write") from None
    return tmp


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def new_mode(target: Path) -> int:
    """The mode to write ``target`` with: its own if it exists, else 0644 (readable by a web server)."""
    return _mode(target)


def _mode(target: Path) -> int:
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        return 0o644
    except OSError as exc:
        raise _os_error(target, exc, "write") from None


def write_text(path: str | os.PathLike[str], text: str, durable: bool = True) -> bool:
    """Write ``text`` atomically (temp file in the same folder, then rename).

    Returns False, and leaves the file untouched, when it already holds exactly
    this text, so that running the pipeline twice changes nothing on disk.
    ``durable``: flush it to the disk before the rename (for what cannot be made again:
    catalogs, sources; handouts and caches can be rebuilt and skip the cost).
    """
    return write_bytes(path, text.encode("utf-8"), durable)


def write_bytes(path: str | os.PathLike[str], data: bytes, durable: bool = True) -> bool:
    """``write_text`` for bytes."""
    target = _target(Path(path))
    try:
        if target.is_dir():
            raise HandoutsError(os.fspath(path), "cannot write: is a directory, not a file")
        with open(target, "rb") as f:
            if f.read() == data:
                return False
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        raise _os_error(path, exc, "read") from None
    tmp = _write_temp(target, data, _mode(target), durable)
    try:
        os.replace(tmp, target)
    except OSError as exc:
        _unlink(tmp)
        raise _os_error(path, exc, "write") from None
    return True


def remove(path: str | os.PathLike[str]) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _os_error(path, exc, "remove") from None
    return True


# ---------------------------------------------------------------------------
# Replacing a file that somebody else may be saving


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
except (AttributeError, OSError):  # not Linux, or an old C library
    _renameat2 = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries atomically (Linux renameat2); False if the system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    if err == errno.ENOENT:
        raise FileNotFoundError(err, os.strerror(err), os.fspath(b))
    raise OSError(err, os.strerror(err), os.fspath(b))


def _read_or_none(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def replace_if_unchanged(path: str | os.PathLike[str], text: str, expected: bytes | None) -> None:
    """Put ``text`` at ``path`` only if the file still holds ``expected`` (None: no file).

    The new file is swapped in atomically and what it displaced is compared with
    ``expected``; if they differ, somebody saved in between: their file goes back in
    place and ``Changed`` is raised.  Without an atomic swap (not Linux), the check
    is made just before the rename.
    """
    target = _target(Path(path))
    data = text.encode("utf-8")
    tmp = _write_temp(target, data, _mode(target))
    try:
        if expected is None:
            try:
                os.link(tmp, target)  # fails if a file appeared meanwhile: never clobbers one
            except FileExistsError:
                raise Changed(target, _read_or_none(target)) from None
            return
        try:
            swapped = _exchange(tmp, target)
        except FileNotFoundError:
            raise Changed(target, None) from None  # deleted meanwhile: leave it deleted
        if not swapped:
            current = _read_or_none(target)
            if current != expected:
                raise Changed(target, current)
            os.replace(tmp, target)
            return
        displaced = _read_or_none(tmp)
        if displaced == expected:
            return
        # A save landed between our read and the swap: give it back its place.  Anything
        # that displaces our file afterwards is newer still, so keep swapping until what
        # comes out is ours (or a save we already gave back).
        given_back = {displaced}
        for _ in range(20):
            _exchange(tmp, target)
            out = _read_or_none(tmp)
            if out == data or out in given_back:
                break
            given_back.add(out)
        raise Changed(target, _read_or_none(target))
    except OSError as exc:
        raise _os_error(path, exc, "write") from None
    finally:
        _unlink(tmp)


def read_settled(path: str | os.PathLike[str], suspicious, wait: float = 0.05, tries: int = 10) -> bytes:
    """Read a file someone may be saving right now.

    When ``suspicious(data)`` says the bytes look cut off (empty, no final newline, not
    parseable), read again after a moment until two reads agree: a save in progress
    finishes, a file that really is broken stays as it is and is returned.
    """
    data = read_bytes(path)
    for _ in range(tries):
        if not suspicious(data):
            return data
        time.sleep(wait)
        again = read_bytes(path)
        if again == data:
            return data
        data = again
    return data


# ---------------------------------------------------------------------------
# One pipeline run at a time


class ProjectLock:
    """An advisory lock (flock) on the project folder itself, for the runs that write.

    Locking the folder, not a file in it, leaves nothing behind; the lock goes with the
    process, however it ends.
    """

    def __init__(self, root: Path):
        self.root = root
        self.fd: int | None = None

    def __enter__(self) -> "ProjectLock":
        import fcntl

        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise _os_error(self.root, exc, "open the project folder") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise HandoutsError(str(self.root), "another pipeline run is working on this project; "
                                                "wait for it to finish, then run again") from None
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def clean_temporary_files(*folders: Path, kept: dict | None = None) -> list[Path]:
    """Remove temporary files a killed run left behind (only ours, by name); call under the lock.

    ``kept`` (``listing``): the folders as last listed, so that a folder no run has written to since is
    not listed again (a library's 34 folders of 1,000 files each otherwise cost a tenth of a no-op)."""
    kept = {} if kept is None else kept
    removed = []
    todo = list(folders)
    while todo:
        folder = todo.pop()
        found = listing(folder, kept)
        if found is None:
            continue
        files, subfolders = found
        todo.extend(folder / name for name in sorted(subfolders))
        for name in sorted(files):
            if name.startswith(".") and _TEMP.match(name):
                _unlink(folder / name)
                removed.append(folder / name)
    return removed


# ---------------------------------------------------------------------------
# A file's identity: what tells, without reading it, that it may have changed


RACY_SECONDS = 2
"""A file or folder read within this many seconds of its last change is read again next time, whatever
its identity: a second change within one tick of the file system's clock would not move it."""


def identity_of(st: os.stat_result) -> tuple[int, int, int, int]:
    """What changes whenever a file's bytes (or a folder's names) may have: inode, size, modification
    and change times.  Every change moves the change time, which no program can set back."""
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def identity(path: Path | str) -> tuple | None:
    """``identity_of`` a file or folder; None if there is none (or it cannot be read)."""
    try:
        return identity_of(os.stat(path))
    except OSError:
        return None


class Watched:
    """What a running ``watch`` takes without asking the file system again.

    The operating system reports every change under ``roots`` (``watch.Saves``), so a file looked
    at after the reports began, and not reported since, is as it was: its digest and its stat are
    kept here and a run does not ``stat`` it again.  ``watch`` passes every reported path, and
    every file a run wrote, to ``changed``; a path it cannot place (a folder moved away, a file
    no run looked at) forgets everything under it."""

    def __init__(self, roots: list[Path | str]):
        self.roots = tuple(os.path.join(os.fspath(r), "") for r in roots)  # spelled as the project's paths
        self.digests: dict[str, str | None] = {}
        self.outputs: dict[str, tuple[int, int] | None] = {}
        self.listed: set[str] = set()
        """Folders listed since the reports began (``listing``)."""
        self.names: dict[str, set[str]] = {}
        """Folder -> names in it reported since it was listed."""
        self.folders: set[str] = set()
        """The folders of the files kept."""

    def covers(self, name: str) -> bool:
        return name.startswith(self.roots)

    def answer(self, table: dict, name: str, look: Callable[[str], object]):
        """``look(name)``, or what it answered since the last report on ``name`` (``digests`` or
        ``outputs`` as ``table``); kept for a file under the roots, but not an "unreadable"."""
        value = table.get(name, _UNASKED)
        if value is _UNASKED:
            value = look(name)
            if value != "unreadable" and self.covers(name):
                table[name] = value
                self.folders.add(os.path.dirname(name))
        return value

    def answers(self, table: dict, names: list[str], look: Callable[[str], object]) -> list:
        """``answer`` for many names at once (a language's catalogs, a handout's files)."""
        get = table.get
        values = [get(name, _UNASKED) for name in names]
        if _UNASKED in values:
            values = [self.answer(table, name, look) if value is _UNASKED else value
                      for name, value in zip(names, values)]
        return values

    def changed(self, paths) -> None:
        for path in paths:
            name = os.fspath(path)
            folder, base = os.path.split(name)
            if folder in self.listed:
                self.names.setdefault(folder, set()).add(base)
            hit = self.digests.pop(name, 0) != 0
            hit = self.outputs.pop(name, 0) != 0 or hit
            if hit:
                continue
            # a folder (moved away, removed, made): forget what is kept under it
            below = os.path.join(name, "")
            gone = {f for f in self.folders | self.listed if f == name or f.startswith(below)}
            if gone:
                for table in (self.digests, self.outputs):
                    for key in [k for k in table if k.startswith(below)]:
                        del table[key]
                self.folders -= gone
                self.listed -= gone

    def forget(self) -> None:
        self.digests.clear()
        self.outputs.clear()
        self.listed.clear()
        self.names.clear()


_UNASKED = object()
WATCHED: Watched | None = None
"""Set by ``watch`` while the operating system reports the changes under its roots; None otherwise."""


def listing(folder: Path, kept: dict) -> tuple[frozenset[str], frozenset[str]] | None:
    """(file names, subfolder names) of ``folder``, or None if it is not a folder.

    Taken from ``kept`` (path -> (identity, when listed, files, subfolders), updated in place) while the
    folder's identity has not moved since a listing made long enough after its last change: a name
    added, removed or renamed moves the folder's modification time."""
    key = os.fspath(folder)
    watched = WATCHED
    if watched is not None and key in watched.listed and key in kept:
        # under watch: the last listing holds unless a name reported since says otherwise
        files, subfolders = kept[key][2], kept[key][3]
        names = watched.names.pop(key, ())
        if all((n in files or n in subfolders) == os.path.lexists(os.path.join(key, n)) for n in names):
            return files, subfolders
    seen = identity(folder)
    old = kept.get(key)
    if seen is not None and isinstance(old, tuple) and len(old) == 4 and old[0] == seen \
            and isinstance(old[1], int) and old[1] - max(seen[2], seen[3]) > RACY_SECONDS * 1_000_000_000:
        if watched is not None and watched.covers(key):
            watched.listed.add(key)
            watched.names.pop(key, None)
        return old[2], old[3]  # (a malformed entry is not what this code writes: listed again)
    listed_at = time.time_ns()
    files, subfolders = set(), set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                (subfolders if entry.is_dir(follow_symlinks=False) else files).add(entry.name)
    except OSError:  # none, or not a folder
        kept.pop(key, None)
        return None
    kept[key] = (seen, listed_at, frozenset(files), frozenset(subfolders))
    if watched is not None and watched.covers(key):
        watched.listed.add(key)
        watched.names.pop(key, None)
    return kept[key][2], kept[key][3]
