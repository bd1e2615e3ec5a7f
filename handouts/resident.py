"""The command line answered by a running ``watch``: a resident process, as Gradle's daemon or dmypy.

A fresh ``python pipeline.py`` pays for its imports, for reading the state and for looking at every
catalog and handout of the library before it knows what changed: about 1.6 s at 1,000 documents ×
16 languages before any work.  ``watch`` keeps all of that between saves.  So while a watch runs on
a project, it listens on a socket in the project's ``build/`` folder (``build/watch.sock``, git
ignores it; ``socket_path``), and ``python pipeline.py`` (with no command, ``update`` or ``build``
without ``--pdf``) hands its arguments to it, prints what the watch's run printed and exits with
its status.  The run is the same code under the same lock, on the same files, so what it writes is
what the command line would have written; the watch first makes sure that it has heard of every
save made before the request (``watch.Saves.sync``).

The command line runs by itself instead, as before, when no watch answers, when the watch runs
other code (the package, Python or a dependency changed since it started: ``stamp``), another
environment that the pipeline reads (``HANDOUTS_*``, the cache folder, the umask), or when the
socket's path is too long for the system and there is no ``$XDG_RUNTIME_DIR``.
``HANDOUTS_RESIDENT=off`` turns it off.  Only the same user's processes are answered (the socket
is the user's only, and on Linux its peer is checked).

Without a watch, a project may ask for one to be started by the command line itself: with
``[tool.handouts] resident = true`` (or ``HANDOUTS_RESIDENT=on``), a command that finds no watch
starts one in the background (``start``: ``watch --resident``, which serves no pages and builds only
when the command line asks, its news in ``build/resident.log``), hands its command to it, and the
next commands find it.  It ends by itself after ``resident-idle-minutes`` (default 20) without a
command, when its code or the project's folder goes, or with ``python pipeline.py stop``.  Off by
default: a process that outlives the command is the project's choice.

This module imports only the standard library, so that asking costs a few milliseconds.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import socket
import struct
import sys
import threading
import time
from pathlib import Path

SOCKET = os.path.join("build", "watch.sock")
"""Under the project's folder."""
MAX_PATH = 100
"""Bytes of a socket's path that every system takes (Linux 107, macOS 103)."""
PACKAGE = Path(__file__).resolve().parent
ENVIRONMENT = ("HOME", "XDG_CACHE_HOME")
"""Besides every ``HANDOUTS_*`` variable: what the run reads from the environment (the cache's folder)."""
_OFF = ("off", "0", "no", "false")
_ON = ("on", "1", "yes", "true")
IDLE_MINUTES = 20.0
"""How long a started resident waits for a command before it ends (``resident-idle-minutes``)."""
LOG = os.path.join("build", "resident.log")
LOCK = os.path.join("build", "resident.lock")
"""Held by a started resident while it runs: a second one started at the same moment ends at once."""
STARTING_SECONDS = 30.0
"""How long the command line waits for a resident it started to answer before it runs on its own."""


def socket_path(root: str | Path) -> str:
    """Where the watch on the project at ``root`` listens: ``build/watch.sock`` in it, or, where that
    path is too long for a socket (about 100 bytes), a name made from the project's path in the
    user's own ``$XDG_RUNTIME_DIR`` (a folder only the user may enter)."""
    real = os.path.realpath(root)
    path = os.path.join(real, SOCKET)
    if len(os.fsencode(path)) <= MAX_PATH:
        return path
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        name = hashlib.blake2b(os.fsencode(real), digest_size=10).hexdigest()
        return os.path.join(runtime, f"handouts-{name}.sock")
    return path  # too long: the watch says so, and the command line runs on its own


def enabled() -> bool:
    return os.environ.get("HANDOUTS_RESIDENT", "").lower() not in _OFF and hasattr(socket, "AF_UNIX")


def wanted(root: str | Path) -> float | None:
    """The idle minutes of a resident the command line should start for the project at ``root``, or None
    (it should not: ``HANDOUTS_RESIDENT=off``, or the project does not ask for one).  A configuration
    this cannot read starts none; the run itself then says what is wrong with it."""
    setting = os.environ.get("HANDOUTS_RESIDENT", "").lower()
    if setting in _OFF:
        return None
    try:
        import tomllib

        with open(os.path.join(root, "pyproject.toml"), "rb") as f:
            table = tomllib.load(f).get("tool", {}).get("handouts", {})
    except (OSError, ValueError):
        table = {}
    if not isinstance(table, dict):
        return None
    asked = table.get("resident", False)
    if setting not in _ON and asked is not True:
        return None
    idle = table.get("resident-idle-minutes", IDLE_MINUTES)
    if isinstance(idle, bool) or not isinstance(idle, (int, float)) or not idle > 0:
        return None
    return float(idle)


def stamp() -> dict:
    """What must be the same in the watch and in the command line for one to answer for the other:
    Python, this package's files (by size and modification time), the installed distributions
    (their ``.dist-info`` folders name their versions), the environment the pipeline reads, the umask."""
    files = []
    for folder, dirs, names in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".pyc"):
                continue
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            files.append([os.path.relpath(path, PACKAGE), st.st_size, st.st_mtime_ns])
    installed = []
    for entry in sys.path:
        if os.path.basename(entry) in ("site-packages", "dist-packages") and os.path.isdir(entry):
            installed += sorted(n for n in os.listdir(entry) if n.endswith(".dist-info"))
    mask = os.umask(0o022)
    os.umask(mask)
    environment = {k: v for k, v in os.environ.items() if k.startswith("HANDOUTS_") or k in ENVIRONMENT}
    return {"python": [os.path.realpath(sys.executable), sys.prefix, sys.version],
            "package": [str(PACKAGE), files], "installed": installed,
            "environment": dict(sorted(environment.items())), "umask": mask}


# ---------------------------------------------------------------------------
# The command line's side


def main(argv: list[str] | None = None) -> int:
    """``python pipeline.py``: run by a watch on the project when one may (``client``), else here."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        answered = client(argv)
    except KeyboardInterrupt:  # the watch finishes the run; its news is in the watch's terminal
        print("interrupted", file=sys.stderr)
        return 130
    if answered is None:
        from .cli import main as run_here  # the whole pipeline's imports, only now

        answered = run_here(argv, once=True)  # this process ends with the command
    return answered


def _root_of(argv: list[str]) -> str | None:
    """The project folder of a command a watch may run for the command line (``-C``), or None."""
    root = "."
    command = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, has_value, _ = arg.partition("=")
        if arg in ("-q", "--quiet") or (command == "build" and arg == "--large-print"):
            pass
        elif arg in ("-C", "-j") or name in ("--jobs", "--min-translated") or (name == "--paper"
                                                                              and command == "build"):
            if not has_value:
                i += 1
                if i == len(argv):
                    return None
                if arg == "-C":
                    root = argv[i]
        elif arg.startswith("-C"):
            root = arg[2:]
        elif arg.startswith("-j") and arg[2:].isdigit():
            pass
        elif command is None and arg in ("update", "build"):
            command = arg
        else:
            return None  # another command, --pdf, --help, --version, a mistake: the command line's own
        i += 1
    return root


def client(argv: list[str]) -> int | None:
    """Have a watch running on the project run this command; its exit status, or None (nobody
    answered, or the watch may not run it: the caller runs it itself)."""
    if not enabled():
        return None
    root = _root_of(argv)
    if root is None:
        return None
    path = socket_path(root)
    conn = _connected(path, 2.0)
    if conn is None:
        idle = wanted(root)
        if idle is None or len(os.fsencode(path)) > MAX_PATH:
            return None
        conn = start(root, path)
        if conn is None:
            return None
    try:
        with conn:
            request = {"argv": argv, "root": os.path.realpath(root), "stamp": stamp()}
            conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
            conn.settimeout(None)  # the run may take long
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
    except OSError:
        return None  # the watch went away meanwhile
    try:
        reply = json.loads(data.decode("utf-8"))
    except ValueError:
        return None  # the watch stopped during the run: the command line looks again itself
    if "exit" not in reply:
        return None  # declined
    sys.stderr.write(reply.get("stderr", ""))
    sys.stderr.flush()
    sys.stdout.flush()
    sys.stdout.buffer.write(reply.get("stdout", "").encode("utf-8"))
    sys.stdout.buffer.flush()
    return int(reply["exit"])


def start(root: str, path: str) -> socket.socket | None:
    """Start a resident for the project at ``root`` in the background (``watch --resident``), in its own
    session, with this environment, its news in ``build/resident.log``; a connection to it once it
    answers, or None (it did not within ``STARTING_SECONDS``, or it ended: the command line then runs
    on its own, as without one)."""
    import subprocess

    real = os.path.realpath(root)
    build = os.path.join(real, "build")
    try:
        os.makedirs(build, exist_ok=True)
        log = open(os.path.join(real, LOG), "wb")
    except OSError:
        return None
    code = ("import sys; sys.path.insert(0, sys.argv.pop(1)); from handouts.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    with log:
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code, str(PACKAGE.parent), "-C", real, "watch", "--resident"],
                cwd=real, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        except OSError:
            return None
    deadline = time.monotonic() + STARTING_SECONDS
    while time.monotonic() < deadline:
        conn = _connected(path, 2.0)
        if conn is not None:
            return conn
        if process.poll() is not None:  # it ended (another resident started at the same time): that one?
            return _connected(path, 2.0)
        time.sleep(0.02)
    return None


def stop(root: str | Path) -> str | None:
    """Ask the resident answering for the project at ``root`` to end; what it said, or None (none answers).
    Once it said so, its socket is gone when this returns (or 10 s have passed), so that a watch
    started next takes its place instead of finding it still answering."""
    path = socket_path(root)
    conn = _connected(path, 2.0)
    if conn is None:
        return None
    try:
        inode = os.stat(path).st_ino
    except OSError:
        inode = None
    try:
        with conn:
            conn.sendall(json.dumps({"stop": True}).encode("utf-8") + b"\n")
            conn.settimeout(30.0)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        reply = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not reply.get("stopped"):
        return reply.get("declined", "declined")
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:  # it ends within its loop's second
        try:
            if os.stat(path).st_ino != inode:
                break
        except OSError:
            break
        time.sleep(0.02)
    return "stopped"


# ---------------------------------------------------------------------------
# The watch's side


class Listener:
    """The socket a watch answers on.  Requests wait in ``requests`` (with their connection) for the
    watch's loop, which is woken by ``wake()``; ``answer`` sends a reply and closes the connection."""

    def __init__(self, root: Path, wake, resident: bool = False) -> None:
        self.resident = resident
        """Started by the command line (``watch --resident``): ends when asked to, or when it can no
        longer answer (``ended``)."""
        self.ended: str | None = None
        self.path = socket_path(root)
        self.root = os.path.realpath(root)
        self.stamp = stamp()
        self.wake = wake
        self.requests: queue.Queue = queue.Queue()
        self.sock: socket.socket | None = None
        self.problem: str | None = None
        """Why the watch does not answer the command line (None: it does)."""
        self._inode: int | None = None

    def start(self) -> None:
        if not enabled():
            self.problem = "HANDOUTS_RESIDENT is off"
            return
        if self.resident and not self._only_resident():
            self.problem = "another resident is starting for this project"
            return
        if _answers(self.path):
            self.problem = f"another watch answers it ({self.path})"
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                os.unlink(self.path)  # left by a watch that stopped without removing it
            except FileNotFoundError:
                pass
            mask = os.umask(0o177)  # the socket is the user's only
            try:
                sock.bind(self.path)
            finally:
                os.umask(mask)
            sock.listen(8)
            self._inode = os.stat(self.path).st_ino
        except OSError as exc:  # e.g. a path too long for a socket
            sock.close()
            self.problem = f"no socket at {self.path}: {exc.strerror or exc}"
            return
        self.sock = sock
        threading.Thread(target=self._accept, daemon=True).start()

    def _only_resident(self) -> bool:
        """Hold ``build/resident.lock`` for as long as this process runs (two commands that found no
        watch at the same moment start two residents: the second ends at once)."""
        try:
            import fcntl
        except ImportError:
            return True
        try:
            os.makedirs(os.path.join(self.root, "build"), exist_ok=True)
            fd = os.open(os.path.join(self.root, LOCK), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd  # released when the process ends
        return True

    def close(self) -> None:
        if self.sock is None:
            return
        try:
            if os.stat(self.path).st_ino == self._inode:  # ours, not a newer watch's
                os.unlink(self.path)
        except OSError:
            pass
        self.sock.close()
        self.sock = None
        while True:  # whoever still waits runs the command itself
            try:
                _request, conn = self.requests.get_nowait()
            except queue.Empty:
                break
            conn.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        try:
            if not _same_user(conn):
                conn.close()
                return
            conn.settimeout(5.0)
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    conn.close()
                    return
                data += chunk
            conn.settimeout(None)
            request = json.loads(data.decode("utf-8"))
        except (OSError, ValueError):
            conn.close()
            return
        if not isinstance(request, dict):
            conn.close()
            return
        if request.get("stop"):
            if not self.resident:
                self.answer(conn, {"declined": "a watch runs in a terminal: stop it there (Ctrl-C)"})
                return
            self.ended = "asked to stop"
            self.answer(conn, {"stopped": True})
            self.wake()
            return
        if request.get("stamp") != self.stamp or request.get("root") != self.root:
            self.answer(conn, {"declined": "the watch runs other code, or another project, or another environment"})
            if self.resident and request.get("root") == self.root:
                self.ended = "its code or environment is not the command line's"  # it can answer no one
                self.wake()
            return
        self.requests.put((request, conn))
        self.wake()

    def gone(self) -> bool:
        """Is the socket no longer this listener's (build/ deleted, the project's folder gone)?"""
        try:
            return os.stat(self.path).st_ino != self._inode
        except OSError:
            return True

    def take(self) -> list[tuple[dict, socket.socket]]:
        taken = []
        while True:
            try:
                taken.append(self.requests.get_nowait())
            except queue.Empty:
                return taken

    @staticmethod
    def answer(conn: socket.socket, reply: dict) -> None:
        try:
            conn.sendall(json.dumps(reply).encode("utf-8"))
        except OSError:
            pass  # the command line gave up (Ctrl-C): the run is done all the same
        finally:
            conn.close()


def _connected(path: str, timeout: float) -> socket.socket | None:
    """A socket connected to the one at ``path``; None where there is none, or nobody listens on
    it (one a watch that stopped left behind)."""
    if not os.path.exists(path):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    return conn


def _answers(path: str) -> bool:
    conn = _connected(path, 1.0)
    if conn is None:
        return False
    conn.close()
    return True


def _same_user(conn: socket.socket) -> bool:
    """On Linux, the connecting process's user is checked; elsewhere the socket file's mode (the
    user's only, in the project's ``build/``) keeps others out."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    size = struct.calcsize("3i")
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, size))
    return uid == os.getuid()
