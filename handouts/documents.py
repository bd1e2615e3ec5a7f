"""Reading and writing text files: strict UTF-8 in, atomic writes out."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import HandoutsError


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file exactly as it is (line endings included).

    Raises HandoutsError for a missing file, a directory, or bytes that are not
    UTF-8 (the message names the byte offset, line and column of the first bad byte).
    """
    name = os.fspath(path)
    p = Path(path)
    if p.is_dir():
        raise HandoutsError(name, "is a directory, not a text file")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise HandoutsError(name, "no such file") from None
    except OSError as exc:
        raise HandoutsError(name, f"cannot read: {exc.strerror}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise HandoutsError(
            name,
            f"not valid UTF-8: byte offset {exc.start} (line {line}, byte {column} of the line): "
            f"0x{bad} ({exc.reason})",
        ) from None


def write_text(path: str | os.PathLike[str], text: str) -> bool:
    """Write ``text`` atomically (temp file in the same folder, then rename).

    Returns False, and leaves the file untouched, when it already holds exactly
    this text, so that running the pipeline twice changes nothing on disk.
    """
    p = Path(path)
    data = text.encode("utf-8")
    try:
        if p.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if p.exists():
            os.chmod(tmp, p.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return True
