"""Live preview: build, serve output/ on 127.0.0.1, rebuild on every save, reload the open page.

    python pipeline.py watch [--port 8000]

The standard library is enough: the project's sources, catalogs, glossaries, configuration
and templates are polled (a few thousand ``stat`` calls, every 0.3 s), a change waits a
moment for the rest of a save, then the pipeline runs (incrementally: a saved msgstr
rebuilds one handout in well under a second) under the same lock and update rules as
``python pipeline.py``, so a translator's save is never lost.  Pages are served with a
small script that asks ``/__handouts__/status`` whether a newer build exists and reloads.
A broken catalog does not stop the preview: its ``path:line: error:`` goes to the terminal
and to the top of every served page until it is fixed.  The review page (``review.py``) is
served too, under ``/__handouts__/review/``.  Ctrl-C ends it.
"""
from __future__ import annotations

import html
import http.server
import json
import mimetypes
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from . import review
from .errors import HandoutsError
from .render import TEMPLATES

STATUS_PATH = "/__handouts__/status"
POLL_SECONDS = 0.3
SETTLE_SECONDS = 0.15


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


def watch(make_project: Callable[[], object], root: Path, port: int = 8000, host: str = "127.0.0.1",
          out=None, quiet: bool = False) -> int:
    out = out or sys.stderr
    status = Status()
    project = make_project()

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    def build() -> None:
        started = time.perf_counter()
        try:
            current = make_project()  # the configuration may have changed too
            with current.lock():
                summary = current.run()
        except HandoutsError as exc:
            if [str(exc)] != status.snapshot()[1]:
                say(str(exc))
            status.publish([str(exc)], changed=False)
            return
        rejected = [f"{path}:{line}: error: {p.check}: {p.message} (not printed; shown in English)"
                    for tr in summary.translated.values() for path, line, _msgid, problems in tr.rejected
                    for p in problems]
        news = bool(summary.written) or rejected != status.snapshot()[1]
        if news:
            for line in rejected:
                say(line)
            if not quiet:
                say(f"built in {time.perf_counter() - started:.2f} s: {summary.rebuilt} handout(s) built, "
                    f"{len(summary.written)} file(s) changed")
        status.publish(rejected, changed=bool(summary.written))

    watched = [root / "source", root / "locale", root / "templates", root / "pyproject.toml", TEMPLATES]
    server = None
    try:
        before = _snapshot(watched)
        build()
        reviewing = review.Review(root, review.PREFIX)
        server = http.server.ThreadingHTTPServer((host, port), make_handler(project.output, status, reviewing))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        say(f"serving http://{host}:{server.server_address[1]}/ (Ctrl-C to stop)")
        say(f"review the repair at http://{host}:{server.server_address[1]}{review.PREFIX}")
        while True:
            time.sleep(POLL_SECONDS)
            if _snapshot(watched) == before:
                continue
            time.sleep(SETTLE_SECONDS)  # let the rest of a save land
            # what is on disk now is what this build reads; a save during the build, and the
            # build's own writes, differ from it and are looked at next time (the latter as a no-op)
            before = _snapshot(watched)
            build()
    except KeyboardInterrupt:
        say("watch: stopped")
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    return 0
