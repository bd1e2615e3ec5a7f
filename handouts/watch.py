"""Live preview: build, serve output/ on 127.0.0.1, rebuild on every save, reload the open page.

    python pipeline.py watch [--port 8000]

Saves are reported by the operating system (``watchfiles``: inotify on Linux, FSEvents on
macOS, ReadDirectoryChangesW on Windows; it polls by itself on WSL, or with
``WATCHFILES_FORCE_POLLING=1`` on a network share), so an idle preview costs nothing however
large the library, and a save starts the rebuild within a tenth of a second (``SETTLE_MS``, for
the rest of a save to land).  The rebuild is the pipeline's own run (incremental, in this
process, which keeps the state, imports and resources between saves) under the same lock and
update rules as ``python pipeline.py``, so a translator's save is never lost.  Pages are served
with a small script that asks ``/__handouts__/status`` whether a newer build exists and reloads.
A broken catalog does not stop the preview: its ``path:line: error:`` goes to the terminal and
to the top of every served page until it is fixed.  The review page (``review.py``) is served
too, under ``/__handouts__/review/``.  Ctrl-C ends it.
"""
from __future__ import annotations

import html
import http.server
import json
import mimetypes
import os
import platform
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import watchfiles

from . import documents, heap, resident, review
from .documents import TEMP_SUFFIX, identity
from .errors import HandoutsError
from .render import TEMPLATES

STATUS_PATH = "/__handouts__/status"
POLL_SECONDS = 0.3
"""Where the system reports no saves (WSL, a network share): how often the inputs are looked at."""
SETTLE_MS = 100
"""A save is built once no other change came for this long (an editor may write several files)."""
FOLDERS = ("source", "locale", "templates", "output")
"""Watched in the project's folder (and the package's own templates): what the pipeline reads, and
the handouts, whose stat tells a run that someone touched one."""
INPUTS = ("source", "locale", "templates")
"""A change there is built."""
TOP_LEVEL = FOLDERS + ("pyproject.toml",)
MANY = 1000
"""A build that wrote more files than this forgets what ``watch`` knew (``documents.Watched``)."""
SYNC = ".handouts-sync-"
"""A file made and removed at once by ``Saves.sync`` (hidden: never an input, never served)."""
REQUEST = "\0request"
"""Put among the reported paths when the command line asks for a run (``resident``): not a path."""
IGNORED = (".mo", TEMP_SUFFIX, "~", ".swp", ".swx")
"""Never read by the pipeline: compiled catalogs (Poedit writes one beside each save), our own
temporary files, editors' backups and swap files."""


class Status:
    """What the browser asks for: the number of the newest build and the errors it met."""

    def __init__(self):
        self.lock = threading.Lock()
        self.generation = 0
        self.errors: list[str] = []

    def publish(self, errors: list[str], changed: bool) -> None:
        """A build finished: the page reloads when files changed or the errors did."""
        with self.lock:
            if changed or errors != self.errors:
                self.generation += 1
            self.errors = list(errors)

    def snapshot(self) -> tuple[int, list[str]]:
        with self.lock:
            return self.generation, list(self.errors)


_RELOAD = """<script>
(function () {
  var seen = %(generation)d;
  function show(errors) {
    var box = document.getElementById("handouts-errors");
    if (!errors.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "handouts-errors";
      box.setAttribute("role", "alert");
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.setAttribute("style", "%(style)s");
    box.textContent = errors.join("\\n");
  }
  function poll() {
    fetch("%(status)s", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.generation !== seen) { location.reload(); return; }
      show(s.errors);
      setTimeout(poll, 400);
    }).catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, 400);
})();
</script>"""
_BOX_STYLE = ("white-space: pre-wrap; font: 13px/1.4 monospace; background: #fff0f0; color: #900; "
              "border: 2px solid #c00; padding: 0.75rem; margin: 0 0 1rem; direction: ltr; text-align: left")


def page(data: bytes, generation: int, errors: list[str]) -> bytes:
    """A served HTML page: the errors at the top (also without JavaScript), the reload script at the end."""
    text = data.decode("utf-8")
    script = _RELOAD % {"generation": generation, "status": STATUS_PATH, "style": _BOX_STYLE}
    if errors:
        box = (f'<div id="handouts-errors" role="alert" style="{_BOX_STYLE}" lang="en" dir="ltr">'
               + html.escape("\n".join(errors)) + "</div>")
        text = text.replace("<body", "\0", 1)
        head, _, tail = text.partition("\0")
        tag_end = tail.index(">") + 1
        text = head + "<body" + tail[:tag_end] + "\n" + box + tail[tag_end:]
    if "</body>" in text:
        text = text.replace("</body>", script + "\n</body>", 1)
    return text.encode("utf-8")


def make_handler(output: Path, status: Status, reviewing: review.Review | None = None):
    root = output.resolve()

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "handouts-watch"

        def do_POST(self):  # noqa: N802 - the standard library's name
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if reviewing is not None and path.startswith(review.PREFIX):
                review.handle(self, reviewing, path[len(review.PREFIX):])
                return
            self._send(405, "text/plain; charset=utf-8", b"method not allowed\n")

        def do_GET(self):  # noqa: N802 - the standard library's name
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if reviewing is not None and (path.startswith(review.PREFIX) or path == review.PREFIX.rstrip("/")):
                review.handle(self, reviewing, path[len(review.PREFIX):])
                return
            if path == STATUS_PATH:
                generation, errors = status.snapshot()
                self._send(200, "application/json", json.dumps({"generation": generation, "errors": errors}).encode())
                return
            target = (root / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if root not in target.parents and target != root or not target.is_file():
                self._send(404, "text/plain; charset=utf-8", b"not found\n")
                return
            data = target.read_bytes()
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind == "text/html":
                generation, errors = status.snapshot()
                data = page(data, generation, errors)
                kind = "text/html; charset=utf-8"
            elif kind.startswith("text/"):
                kind += "; charset=utf-8"
            self._send(200, kind, data)

        def _send(self, code: int, kind: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - quiet: the terminal is for build news
            pass

    return Handler


class Saves:
    """The changes under the project's folders, as sets of paths, from the operating system's reports.

    Two watchers, each in a thread of its own: the folders the pipeline reads and writes
    (``source/``, ``locale/``, ``templates/``, ``output/``, the package's templates), recursively;
    and the project's folder, not recursively, for ``pyproject.toml`` (an editor that saves by
    renaming a new file over it replaces the file a watch on it would hold) and for one of those
    folders made or removed, upon which the first watcher starts again over the folders there are
    now.  Reports that come while a build runs wait for the next one.  ``ready`` is set while
    both watchers are known to be reporting (each has answered once), so that what a run looks at
    then and is not reported since may be taken as unchanged (``documents.Watched``).
    """

    def __init__(self, root: Path, extra: tuple[Path, ...] = (TEMPLATES,), say: Callable[[str], None] = print):
        self.root = Path(root)  # as the project spells it: reported paths are spelled so too
        self._real = os.path.abspath(root)
        self.extra = tuple(Path(os.path.abspath(p)) for p in extra)
        self.say = say
        self.reports: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.restarts = 0
        self._folders_stop = threading.Event()
        self._root_ready = threading.Event()
        self._folders_ready = threading.Event()
        self.polling = _polls()
        """Look at the inputs every ``POLL_SECONDS`` instead (``_poll``): then ``ready`` is never set."""
        self._poller = threading.Lock()
        self._syncs = 0

    def roots(self) -> list[Path]:
        return [self.root / name for name in FOLDERS] + list(self.extra)

    def start(self, wait: float = 5.0, poll: bool = True) -> None:
        """``poll``: where the system reports no saves, look at the inputs every ``POLL_SECONDS``
        (else nothing is reported, and every build looks at every file: a resident, which builds
        only when asked, does not poll in the background)."""
        if self.polling:
            if poll:
                self._start_polling(announce=False)  # (the first build, after this, reads everything)
            return
        self._start_folders()
        self._thread(self._watch, [Path(self._real)], False, self._root_ready, self.stopping)
        self._root_ready.wait(wait)
        self._folders_ready.wait(wait)

    def ready(self) -> bool:
        return not self.polling and self._root_ready.is_set() and self._folders_ready.is_set()

    def _start_polling(self, announce: bool = True) -> None:
        """Poll from now on; ``announce``: what changed before it began went unreported, so its first
        report is all of the inputs."""
        with self._poller:
            if self._poller_started:
                return
            self._poller_started = self.polling = True
        self._folders_stop.set()  # the system's watchers, if any, stop
        self._thread(self._poll, announce)

    _poller_started = False

    def _poll(self, announce: bool) -> None:
        """Every ``POLL_SECONDS``, (modification time in ns, size, inode) of every input file; the paths
        whose differ are reported.  (watchfiles can poll too, but it compares modification times to the
        second: a second save within the same second was not seen.)"""
        inputs = [self.root / name for name in INPUTS] + [self.root / "pyproject.toml", *self.extra]
        before = _snapshot(inputs)
        if announce:
            self.reports.put({os.fspath(p) for p in inputs})
        while not self.stopping.wait(POLL_SECONDS):
            now = _snapshot(inputs)
            if now == before:
                continue
            time.sleep(SETTLE_MS / 1000)  # the rest of a save (Poedit writes the .mo after the .po)
            now = _snapshot(inputs)
            self.reports.put({p for p in before.keys() | now.keys() if before.get(p) != now.get(p)})
            before = now

    def close(self) -> None:
        self.stopping.set()
        self._folders_stop.set()

    def wait(self, timeout: float | None = None) -> set[str]:
        """The paths changed since the last call (blocks until there are some, or ``timeout``)."""
        try:
            paths = set(self.reports.get(timeout=timeout))
        except queue.Empty:
            return set()
        while True:  # everything reported meanwhile goes into the same build
            try:
                paths |= self.reports.get_nowait()
            except queue.Empty:
                return paths

    def sync(self, timeout: float = 5.0) -> tuple[set[str], bool]:
        """Every change reported until now, for a run the command line asked for (``resident``): a file
        made and removed at once in ``output/`` and in the project's folder, and each watcher's reports
        read until its file is among them (a system reports one watch's changes in order).  The paths
        read (without those files), and whether both files came within ``timeout``."""
        self._syncs += 1
        name = f"{SYNC}{os.getpid()}-{self._syncs}"
        markers = {os.fspath(self.root / "output" / name), os.fspath(self.root / name)}
        seen: set[str] = set()
        try:
            for marker in markers:
                with open(marker, "x"):
                    pass
                os.unlink(marker)
        except OSError:
            return seen, False
        deadline = time.monotonic() + timeout
        while not markers <= seen:
            try:
                seen |= self.reports.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return seen - markers, False
        return seen - markers, True

    def _start_folders(self, again: bool = False) -> None:
        if self.polling:
            return  # the poller looks at every input
        self._folders_stop.set()
        self._folders_stop = threading.Event()
        self._folders_ready = threading.Event()
        self.restarts += 1
        folders = [Path(os.path.abspath(p)) for p in self.roots() if p.is_dir()]
        if folders:
            self._thread(self._watch, folders, True, self._folders_ready, self._folders_stop, again)
        else:
            self._folders_ready.set()

    def _spelled(self, path: str) -> str:
        """A reported (absolute) path as the project spells its files (``locale/de/...`` for ``-C .``)."""
        if path.startswith(os.path.join(self._real, "")):
            return os.fspath(self.root / path[len(self._real) + 1:])
        return path

    def _thread(self, target, *args) -> None:
        threading.Thread(target=target, args=args, daemon=True).start()

    def _watch(self, paths: list[Path], recursive: bool, ready: threading.Event, stop: threading.Event,
               again: bool = False) -> None:
        """Put each set of changes in ``reports``; ``again``: this watcher replaces one, and what changed
        between the two went unreported, so its first report is all of its folders."""
        while not stop.is_set() and not self.stopping.is_set():
            try:
                # an empty answer every half second: the first tells that the watcher is in place
                for changes in watchfiles.watch(*paths, watch_filter=None, step=SETTLE_MS, stop_event=stop,
                                                rust_timeout=500, yield_on_timeout=True, recursive=recursive,
                                                raise_interrupt=False, force_polling=False):
                    if not ready.is_set():
                        ready.set()
                        if again:
                            self.reports.put({self._spelled(str(p)) for p in paths})
                    if self.stopping.is_set() or not changes:
                        continue
                    changed = {self._spelled(path) for _, path in changes}
                    if not recursive:
                        changed = {p for p in changed if os.path.basename(p) in TOP_LEVEL
                                   or os.path.basename(p).startswith(SYNC)}
                        if any(os.path.basename(p) in FOLDERS for p in changed):
                            self._start_folders(again=True)  # a folder made or removed: watch what is there now
                    if changed:
                        self.reports.put(changed)
                return
            except Exception as exc:  # e.g. the system's limit of watched folders: poll instead
                ready.clear()  # from now on, every file is looked at on every save
                if not self.polling:
                    self.say(f"watch: the system does not report changes here ({exc}); polling instead")
                self._start_polling()
                return


def _polls() -> bool:
    """Where watchfiles would poll (its own rule): on WSL, whose inotify does not see saves made from
    Windows, or when ``WATCHFILES_FORCE_POLLING`` asks (a network share)."""
    asked = os.environ.get("WATCHFILES_FORCE_POLLING")
    if asked:
        return asked.lower() not in {"false", "disable", "disabled"}
    return "microsoft-standard" in platform.uname().release.lower()


def _snapshot(paths: list[Path]) -> dict[str, tuple[int, int, int]]:
    """(mtime_ns, size, inode) of every file under ``paths`` (a save that renames changes the inode)."""
    seen = {}
    for top in paths:
        if top.is_file():
            files = [top]
        elif top.is_dir():
            files = [Path(d) / f for d, _, names in os.walk(top) for f in names if not f.startswith(".")]
        else:
            continue
        for path in files:
            try:
                st = path.stat()
            except OSError:
                continue
            seen[str(path)] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return seen


def _input(saves: Saves, path: str) -> bool:
    """A file the pipeline may read: in an input folder or the configuration, and not a hidden one, a
    compiled catalog, a temporary file or a backup."""
    name = os.path.basename(path)
    if name.startswith(".") or name.endswith(IGNORED) or "__pycache__" in path:
        return False
    inputs = [saves.root / n for n in INPUTS] + list(saves.extra)
    return path == str(saves.root / "pyproject.toml") or any(path.startswith(os.path.join(p, "")) or path == str(p)
                                                           for p in inputs)


def watch(make_project: Callable[[], object], root: Path, port: int = 8000, host: str = "127.0.0.1",
          out=None, quiet: bool = False, commands: Callable | None = None, idle: float | None = None) -> int:
    """``commands``: runs a command of ``python pipeline.py`` in this process (``cli.run_for_watch``), for
    the command line while this watch runs (``resident``).  ``idle``: a resident the command line started
    (``watch --resident``), which serves no pages, builds only when the command line asks (a save is
    noted, not built) and ends after ``idle`` seconds without a command, when asked to
    (``python pipeline.py stop``), or when its socket or the project's folder goes."""
    out = out or sys.stderr
    status = Status()
    project = make_project()

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    def build(request: dict | None = None, reply: dict | None = None) -> list[Path]:
        """Run the pipeline (``request``: the command line's command, whose output goes into ``reply``);
        the files it wrote."""
        started = time.perf_counter()
        restarts = saves.restarts
        if not saves.ready():
            documents.WATCHED = None  # every file is looked at, as by python pipeline.py
        elif documents.WATCHED is None:
            documents.WATCHED = documents.Watched(saves.roots())
        try:
            if request is None:
                current = make_project()  # the configuration may have changed too
                with current.lock():
                    summary = current.run()
            else:
                code, stdout, stderr, summary = commands(request["argv"], root)
                reply.update(exit=code, stdout=stdout, stderr=stderr)
                if isinstance(summary, HandoutsError):
                    raise summary
                if summary is None:
                    return []  # the command's own mistake (its usage): nothing was run
        except HandoutsError as exc:
            if [str(exc)] != status.snapshot()[1]:
                say(str(exc))
            status.publish([str(exc)], changed=False)
            return []
        finally:
            if documents.WATCHED is not None and saves.restarts != restarts:
                documents.WATCHED = None  # a watcher started again meanwhile: a change may have gone unreported
        rejected = [f"{path}:{line}: error: {p.check}: {p.message} (not printed; shown in English)"
                    for tr in summary.translated.values() for path, line, _msgid, problems in tr.rejected
                    for p in problems]
        news = bool(summary.written) or rejected != status.snapshot()[1]
        if news:
            for line in rejected:
                say(line)
            if not quiet:
                asked = " for the command line" if request is not None else ""
                say(f"built{asked} in {time.perf_counter() - started:.2f} s: {summary.rebuilt} handout(s) built, "
                    f"{len(summary.written)} file(s) changed")
        status.publish(rejected, changed=bool(summary.written))
        if documents.WATCHED is not None:
            if len(summary.written) > MANY:
                documents.WATCHED.forget()  # so many reports may overflow the system's queue: look at everything
            else:
                documents.WATCHED.changed(summary.written)
        return summary.written

    saves = Saves(root, say=say)
    server = None
    listener = None
    try:
        for name in ("source", "locale", "output"):  # made now, not by the first build, which would start the
            (root / name).mkdir(exist_ok=True)       # watcher of folders again
        saves.start(poll=idle is None)  # before the first build: a change during it is built next
        if commands is not None:  # a command asked during the first build waits for it
            if idle is None and resident.stop(root) == "stopped":
                say("watch: the resident process for this project stopped; this watch answers the command line")
            listener = resident.Listener(root, wake=lambda: saves.reports.put({REQUEST}), resident=idle is not None)
            listener.start()
            if idle is not None and listener.problem:
                say(f"watch: not started: {listener.problem}")
                return 1
        if idle is not None:  # its first command's run is its first build
            say(f"resident for the command line; ends after {idle / 60:g} minute(s) without a command")
            _answer_until_idle(saves, listener, build, idle, root)
            return 0
        ours = _written(build())
        heap.settle()
        reviewing = review.Review(root, review.PREFIX)
        server = http.server.ThreadingHTTPServer((host, port), make_handler(project.output, status, reviewing))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        say(f"serving http://{host}:{server.server_address[1]}/ (Ctrl-C to stop)")
        say(f"review the repair at http://{host}:{server.server_address[1]}{review.PREFIX}")
        if listener is not None:
            if listener.problem:
                say(f"watch: python pipeline.py runs on its own: {listener.problem}")
            elif not quiet:
                say("python pipeline.py on this project is run here while this watch runs")
        while True:
            changed = saves.wait(timeout=1.0)  # a timeout, so that Ctrl-C is heard on every system
            taken = _requests(saves, listener, changed)
            if taken:
                for request, conn in taken:  # each run builds what changed, the first everything pending
                    reply: dict = {}
                    ours = _written(build(request, reply))
                    listener.answer(conn, reply)
                heap.settle()  # the page and the command line have their news
            # the build's own writes (an updated catalog) are reported too: those still as written are
            # not news; anything else the pipeline reads is built, and a save during the build is
            # reported again after it
            elif any(ours.get(path, False) != identity(path) for path in changed if _input(saves, path)):
                ours = _written(build())
                heap.settle()
    except KeyboardInterrupt:
        say("watch: stopped")
    finally:
        documents.WATCHED = None
        if listener is not None:
            listener.close()
        saves.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    return 0


def _requests(saves: Saves, listener: "resident.Listener | None", changed: set[str]) -> list:
    """The command line's requests among the reported ``changed`` (taken out of it), after hearing of
    every save made before them: the command line may have saved a file just before it asked.  What
    was heard is added to ``changed``, and all of it is noted in ``documents.WATCHED``."""
    taken = listener.take() if listener is not None and REQUEST in changed else []
    changed.discard(REQUEST)
    if taken and documents.WATCHED is not None:
        seen, complete = saves.sync()
        changed |= seen - {REQUEST}
        if REQUEST in seen:
            taken += listener.take()
        if not complete:
            documents.WATCHED = None  # a report may be missing: this run looks at every file
    if documents.WATCHED is not None:
        documents.WATCHED.changed(changed)
    return taken


def _answer_until_idle(saves: Saves, listener: "resident.Listener", build, idle: float, root: Path) -> None:
    """A resident's loop: note every save (``documents.Watched``), run each command the command line
    hands over, after hearing of every save before it, and end when idle, asked, or orphaned."""
    last = time.monotonic()
    while True:
        changed = saves.wait(timeout=1.0)
        if listener.ended or listener.gone() or not os.path.isdir(root):
            saves.say(f"resident: ended: {listener.ended or 'its socket or the project folder is gone'}")
            return
        taken = _requests(saves, listener, changed)
        for request, conn in taken:
            reply: dict = {}
            build(request, reply)
            listener.answer(conn, reply)
        if taken:
            heap.settle()  # the command line has its answer
            last = time.monotonic()
        elif time.monotonic() - last > idle:
            saves.say(f"resident: ended: no command for {idle / 60:g} minute(s)")
            return


def _written(paths: list[Path]) -> dict[str, tuple | None]:
    """Each written file's identity just after the build wrote it (a save after that moves it)."""
    return {os.fspath(p): identity(p) for p in paths}
