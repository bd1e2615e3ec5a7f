"""PDF: print each HTML handout through headless Chromium.

Chromium (Debian's ``chromium`` package) is the engine because the tests already
need a real browser for the HTML: the PDF is then exactly what a clinic gets
when it prints the page, with the same fonts, right-to-left layout and CJK line
breaking, and the ``@page`` margin boxes (running footer, page numbers) of the
stylesheet.  WeasyPrint would be a second layout engine to keep in step.

One browser prints a whole job's pages (:class:`Printer`): it is started once and driven
over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages ended by
a NUL byte on the browser's file descriptors 3 and 4; no port, no network, nothing but
the standard library).  A page is opened in a new tab, printed once its fonts are ready
(``Page.printToPDF`` with the page's own ``@page`` size, as the command line's
``--print-to-pdf`` prints: the same pages, byte for byte the same pixels) and closed.
Starting Chromium for each page, as ``--print-to-pdf`` needs, cost about 0.8 s a page.
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .documents import new_mode, temporary_name
from .errors import HandoutsError

ENGINES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0
"""Seconds a page may take to load and print before the build gives up on it."""


def find_engine() -> str:
    """The browser to print with (``HANDOUTS_CHROMIUM`` overrides the search)."""
    configured = os.environ.get("HANDOUTS_CHROMIUM")
    candidates = [configured] if configured else list(ENGINES)
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    raise HandoutsError(
        "build --pdf",
        "no PDF engine: install headless Chromium (Debian/Ubuntu: apt-get install -y chromium) "
        "or point HANDOUTS_CHROMIUM at a Chromium or Chrome binary",
    )


def chromium_command(engine: str, *args: str) -> list[str]:
    return [engine, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--hide-scrollbars", *args]


class _Failed(Exception):
    """The browser did not answer, answered with an error, or ended."""


def _death_signal():
    """A call, for the browser's process before it starts, that ends it when the process that started
    it ends, even by SIGKILL (Linux's PR_SET_PDEATHSIG), so that no browser outlives a killed build;
    None where there is none (the printer's close() still ends the browser).  Looked up here, not in
    the child, where an import could wait for a lock another thread held at the fork."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Printer:
    """One headless Chromium that prints many pages; use as a context manager (or call :meth:`close`).

    The browser starts at the first page.  A page that fails raises :class:`HandoutsError` naming it,
    and the browser is ended (the next page starts another)."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self._proc: subprocess.Popen | None = None
        self._to = self._from = -1
        self._log = None
        self._buffer = b""
        self._id = 0
        self._pending: list[dict] = []

    def __enter__(self) -> "Printer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the pages ----------------------------------------------------------------------------------

    def print_pdf(self, html: Path, pdf: Path, paper: str = "A4") -> None:
        """Print ``html`` to ``pdf`` on ``paper`` as the browser's Print button would, margin boxes
        included.  The paper size (``A4``, ``Letter``) is set at print time: the browser prints a
        temporary copy of the page, beside it (so that its relative links resolve), with ``@page {
        size: ... }`` added; the page itself, which a clinic may print from the browser on any paper,
        is not touched."""
        page = temporary_name(html, ".html")
        try:
            text = html.read_text(encoding="utf-8")
            page.write_text(text.replace("</style>", f"@page {{ size: {paper}; }}\n</style>", 1), encoding="utf-8")
            with self._tab(html, page, "print this page") as session:
                data = self._call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                                      "displayHeaderFooter": False}, session)["data"]
            _write(pdf, base64.b64decode(data))
        except _Failed as exc:
            self._fail(html, "print this page", exc)
        except OSError as exc:  # (the copy could not be read or written: a full disk, a folder made read-only)
            raise HandoutsError(str(page), f"cannot write the page to print: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                page.unlink()

    def screenshot(self, html: Path, png: Path, width: int = 800, height: int = 1200) -> None:
        """A PNG of the top of the page as a reader sees it on screen, for reviewers."""
        try:
            with self._tab(html, html, "take a screenshot", (width, height)) as session:
                data = self._call("Page.captureScreenshot", {"format": "png"}, session)["data"]
            _write(png, base64.b64decode(data))
        except _Failed as exc:
            self._fail(html, "take a screenshot", exc)

    @contextlib.contextmanager
    def _tab(self, html: Path, page: Path, what: str, size: tuple[int, int] | None = None):
        """A new tab with ``page`` loaded and its fonts ready; the DevTools session to it."""
        self._start(html, what)
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = None
        try:
            session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            if size:
                self._call("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1],
                                                                  "deviceScaleFactor": 1, "mobile": False}, session)
            self._call("Page.enable", {}, session)
            loaded = self._call("Page.navigate", {"url": page.resolve().as_uri()}, session)
            if loaded.get("errorText"):
                raise _Failed(loaded["errorText"])
            self._event("Page.loadEventFired", session)
            self._call("Runtime.evaluate", {"expression": "document.fonts.ready.then(() => true)",
                                            "awaitPromise": True}, session)
            yield session
        finally:
            if self._proc is not None:
                with contextlib.suppress(_Failed):
                    self._call("Target.closeTarget", {"targetId": target})
                # (the events of this tab, and the browser's own, such as Target.attachedToTarget, are not waited for)
                self._pending = [m for m in self._pending if m.get("sessionId") not in (session, None)]

    # -- the browser --------------------------------------------------------------------------------

    def _start(self, html: Path, what: str) -> None:
        if self._proc is not None:
            return
        to_read, self._to = os.pipe()
        self._from, from_write = os.pipe()
        # the browser's ends, above 4, so that placing them at 3 and 4 cannot overwrite one with the other
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_read, from_write)]
        os.close(to_read)
        os.close(from_write)

        die_with_parent = _death_signal()

        def place() -> None:  # in the child, before the browser runs
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)
            if die_with_parent:
                die_with_parent()

        self._log = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                chromium_command(self.engine, "--remote-debugging-pipe", "about:blank"),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
                close_fds=False, preexec_fn=place)  # (its own descriptors are close-on-exec)
        except OSError as exc:
            self.close()
            raise HandoutsError(str(html), f"Chromium could not {what}: cannot start {self.engine}: "
                                           f"{exc.strerror}") from None
        finally:
            for fd in ends:
                os.close(fd)

    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode("utf-8") + b"\0"
        try:
            while data:
                data = data[os.write(self._to, data):]
        except OSError as exc:
            raise _Failed(f"the browser ended ({exc.strerror})") from None
        while True:
            answer = self._next()
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise _Failed(f"{method}: {answer['error'].get('message', answer['error'])}")
                return answer.get("result", {})
            if "method" in answer:
                self._pending.append(answer)

    def _event(self, method: str, session: str) -> dict:
        for k, message in enumerate(self._pending):
            if message.get("method") == method and message.get("sessionId") == session:
                return self._pending.pop(k)
        while True:
            message = self._next()
            if message.get("method") == method and message.get("sessionId") == session:
                return message
            if "method" in message and message.get("sessionId") == session:
                self._pending.append(message)

    def _next(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            poller = select.poll()  # (not select.select: a descriptor above 1023 is beyond it)
            poller.register(self._from, select.POLLIN)
            if left <= 0 or not poller.poll(left * 1000):
                raise _Failed(f"no answer in {TIMEOUT:.0f} s")
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise _Failed("the browser ended")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def _fail(self, html: Path, what: str, exc: Exception):
        log = self._log_tail()
        self.close()
        raise HandoutsError(str(html), f"Chromium could not {what}: {exc}" + (f": {log}" if log else "")) from None

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = [line for line in self._log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        return " / ".join(lines[-3:])[-300:]

    def close(self) -> None:
        """End the browser (it closes when asked; it is killed if it does not within 5 s)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                os.write(self._to, json.dumps({"id": self._id + 1, "method": "Browser.close"}).encode() + b"\0")
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for fd in (self._to, self._from):
            if fd >= 0:
                os.close(fd)
        self._to = self._from = -1
        self._buffer, self._pending = b"", []
        if self._log is not None:
            self._log.close()
            self._log = None


def _write(out: Path, data: bytes) -> None:
    """``data`` to ``out`` through a temporary file beside it, readable by others (0644 under the
    usual umask: a web server or a colleague must read it)."""
    if not data:
        raise _Failed("it returned an empty file")
    tmp = temporary_name(out, out.suffix)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, new_mode(out))
        os.replace(tmp, out)
    except OSError as exc:
        raise HandoutsError(str(out), f"cannot write: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
