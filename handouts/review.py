"""Review the repair in a browser: every flag and statistical repair, in context, decided by key or mouse.

    python pipeline.py review [DOC] [--port 8000]

The page shows ``source/<doc>.md`` as received, with every place to review marked
(:func:`handouts.repair.decisions.review_items`), its suggestions, and Accept / Keep original /
Edit.  A decision is written at once, with ``decisions.decide`` and ``decisions.save``, to
``source/<doc>.review.toml``; the pipeline applies it on every run.  ``python pipeline.py
watch`` serves the same pages under ``/__handouts__/review/``.

Only the page this process served can write: it carries a random token made at start
(``secrets.token_urlsafe``), required on every POST; the Host header must name 127.0.0.1 or
localhost with the server's port (so a page of another site, even one whose name resolves to
127.0.0.1, can neither read the token nor write), and an Origin, when a browser sends one,
must be this server.  Anything else is 403 and writes nothing.
"""
from __future__ import annotations

import hmac
import http.server
import secrets
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .documents import check_characters, decode, read_bytes
from .errors import HandoutsError
from .repair import Repair, repair
from .repair import decisions as decisions_mod
from .repair.decisions import Decision, Item, Lines

PREFIX = "/__handouts__/review/"
"""Where ``watch`` serves the review pages."""
TEMPLATE = Path(__file__).resolve().parent / "review.html.j2"
MAX_BODY = 64 * 1024
TOKEN_HEADER = "X-Handouts-Token"


@dataclass(slots=True)
class Response:
    """What a request gets: a status, a body, and where to go next (for a redirect)."""

    status: int
    body: bytes = b""
    kind: str = "text/html; charset=utf-8"
    location: str | None = None


@dataclass(slots=True)
class Reviewed:
    """One document as received, its automatic repair, the editor's decisions, and the places to review."""

    name: str
    rel: str
    original: str
    result: Repair
    decisions_path: Path
    decisions_rel: str
    decisions: list[Decision]
    items: list[Item]

    @property
    def left(self) -> int:
        return sum(1 for i in self.items if not i.reviewed)


class Review:
    """The review pages of one project, for one run of a server (one token)."""

    def __init__(self, root: Path, prefix: str = "/"):
        self.root = Path(root)
        self.source = self.root / "source"
        self.prefix = prefix
        self.token = secrets.token_urlsafe(32)
        self.write_lock = threading.Lock()
        self._repairs: dict[str, tuple[bytes, Repair]] = {}
        self._cache_lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def names(self) -> list[str]:
        """The documents, as ``python pipeline.py`` finds them (source/*.md but README.md)."""
        if not self.source.is_dir():
            raise HandoutsError(self.rel(self.source), "no source folder (put English documents in source/*.md)")
        names = [p.stem for p in sorted(self.source.glob("*.md")) if p.name.lower() != "readme.md"]
        if not names:
            raise HandoutsError(self.rel(self.source), "no documents: put English Markdown files in source/*.md")
        return names

    def check_name(self, name: str) -> None:
        names = self.names()
        if name not in names:
            raise HandoutsError(self.rel(self.source / f"{name}.md"),
                                f"no such document (documents: {', '.join(names)})")

    def document(self, name: str) -> Reviewed:
        """Read afresh: the source, its decisions (HandoutsError when malformed) and the review items."""
        path = self.source / f"{name}.md"
        rel = self.rel(path)
        data = read_bytes(path)
        original = decode(data, rel)
        check_characters(original, rel)
        with self._cache_lock:
            known = self._repairs.get(name)
        if known is not None and known[0] == data:
            result = known[1]
        else:
            result = repair(original)  # the automatic repair, as if no one had decided anything
            with self._cache_lock:
                self._repairs[name] = (data, result)
        dpath = decisions_mod.path_for(path)
        drel = self.rel(dpath)
        decided = decisions_mod.load(dpath, drel)
        items = decisions_mod.review_items(original, result, decided)
        return Reviewed(name, rel, original, result, dpath, drel, decided, items)

    # -- pages -----------------------------------------------------------------------------------

    def get(self, path: str) -> Response:
        """``path`` is what follows the prefix: empty for the list, or a document's name."""
        name = urllib.parse.unquote(path).strip("/")
        try:
            if not name:
                return self._page(self._index())
            if name not in self.names():
                return self._page(self._message(404, f"No document called {name!r} in source/."), 404)
            return self._page(self._document(self.document(name)))
        except HandoutsError as exc:
            return self._page(self._message(500, str(exc)), 500)

    def _index(self) -> dict:
        docs = []
        for name in self.names():
            try:
                doc = self.document(name)
                docs.append({"name": name, "rel": doc.rel, "left": doc.left, "total": len(doc.items), "error": None})
            except HandoutsError as exc:
                docs.append({"name": name, "rel": f"source/{name}.md", "left": None, "total": None,
                             "error": str(exc)})
        return {"view": "index", "documents": docs}

    def _document(self, doc: Reviewed) -> dict:
        lines = Lines(doc.original)
        items = []
        for n, item in enumerate(doc.items):
            d = item.decision
            items.append({
                "n": n, "line": item.line, "column": item.column, "before": item.before, "kind": item.kind,
                "layer": item.layer, "reason": item.reason, "suggestions": item.suggestions,
                "decision": None if d is None else ("keep" if d.keep else "after"),
                "after": None if d is None or d.keep else _shown_after(d, item, doc.original, lines),
            })
        return {"view": "document", "doc": doc, "items": items, "segments": _segments(doc.original, doc.items),
                "left": doc.left, "total": len(doc.items)}

    def _message(self, status: int, text: str) -> dict:
        return {"view": "message", "status": status, "message": text}

    def _page(self, context: dict, status: int = 200) -> Response:
        return Response(status, _template().render(prefix=self.prefix, token=self.token, **context).encode("utf-8"))

    # -- writing ---------------------------------------------------------------------------------

    def post(self, path: str, form: dict[str, str]) -> Response:
        """A decision from the page (the caller has checked the token, Host and Origin)."""
        name = urllib.parse.unquote(path).strip("/")
        target = decisions_mod.path_for(self.source / f"{name}.md")
        try:
            if name not in self.names():
                return self._page(self._message(404, f"No document called {name!r} in source/."), 404)
            with self.write_lock:  # one decision at a time: read, decide, write
                doc = self.document(name)  # a decisions file broken by hand is reported, never overwritten
                place = _find(doc.items, form)
                if place is None:
                    return self._page(self._message(409, "This place is no longer in the document as it is on "
                                                         "disk (the source changed?); reload the page."), 409)
                n, item = place
                new = _decision(doc, item, form)
                if isinstance(new, str):
                    return self._page(self._message(400, new), 400)
                # the decision that covered the place goes, even one written by hand over a wider span
                changed = [d for d in doc.decisions if d is not item.decision]
                if new is not None:  # None: forget, the place is unreviewed again
                    changed = decisions_mod.decide(changed, new)
                if changed != doc.decisions:
                    decisions_mod.save(doc.decisions_path, changed)
                after = _next_open(self.document(name).items, n)
        except HandoutsError as exc:
            return self._page(self._message(409, str(exc)), 409)
        except OSError as exc:
            return self._page(self._message(500, f"{self.rel(target)}: error: cannot write: "
                                                 f"{exc.strerror or exc}"), 500)
        return Response(303, location=f"{self.prefix}{urllib.parse.quote(name)}#item-{after}")


def _template():
    import jinja2

    global _TEMPLATE
    if _TEMPLATE is None:
        env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.StrictUndefined)
        _TEMPLATE = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    return _TEMPLATE


_TEMPLATE = None


def _segments(text: str, items: list[Item]) -> list[tuple[str, int | None]]:
    """The text cut into (piece, item number or None); an item overlapping an earlier one is not marked."""
    out: list[tuple[str, int | None]] = []
    pos = 0
    for n, item in enumerate(items):
        if item.start < pos:
            continue
        out.append((text[pos:item.start], None))
        out.append((text[item.start:item.end], n))
        pos = item.end
    out.append((text[pos:], None))
    return out


def _find(items: list[Item], form: dict[str, str]) -> tuple[int, Item] | None:
    """The item the form names, by its line, column and text as received (not by position in a list)."""
    try:
        line, column = int(form.get("line", "")), int(form.get("column", ""))
    except ValueError:
        return None
    for n, item in enumerate(items):
        if (item.line, item.column, item.before) == (line, column, form.get("before")):
            return n, item
    return None


def _decision(doc: Reviewed, item: Item, form: dict[str, str]) -> Decision | str | None:
    """The decision the form asks for; None to forget the decision; a message when it makes no sense.

    ``decisions.decision_for`` places it, as ``fix -i`` does: when the item's text is on its line
    earlier too, the decision takes in the words before it until its own place is the first.
    """
    action = form.get("action", "")
    if action == "forget":
        return None
    if action == "keep":
        new = decisions_mod.decision_for(doc.original, item, keep=True)
    elif action.startswith("accept"):
        try:
            k = int(action.partition(":")[2] or "0")
            chosen = item.suggestions[k]
        except (ValueError, IndexError):
            return "There is no such suggestion for this place."
        new = decisions_mod.decision_for(doc.original, item, after=chosen)
    elif action == "edit":
        text = form.get("text")
        if text is None:
            return "An edit needs the text."
        if "\n" in text or "\r" in text:
            return "An edit is one line of text."
        new = decisions_mod.decision_for(doc.original, item, after=text)
    else:
        return f"Unknown action {action!r}."
    start = item.end - len(new.before)
    if any(other is not item and start < other.end and other.start < item.start for other in doc.items):
        return ("This text is on its line more than once, next to another place to review; decide that "
                "place first, or write this decision in the decisions file by hand.")
    return new


def _shown_after(d: Decision, item: Item, original: str, lines: Lines) -> str:
    """The editor's text for the item itself (without the words a widened decision took in)."""
    after = d.after or ""
    k = lines.find(d.line, d.before)
    if k is not None and k < item.start and d.before.endswith(item.before):
        head = original[k:item.start]
        if after.startswith(head):
            return after[len(head):]
    return after


def _next_open(items: list[Item], n: int) -> int:
    """The next unreviewed item after ``n`` (round the end), or ``n`` when all are reviewed."""
    order = list(range(n + 1, len(items))) + list(range(0, n + 1))
    return next((k for k in order if not items[k].reviewed), min(n, max(len(items) - 1, 0)))


# -- HTTP ----------------------------------------------------------------------------------------


def allowed(headers, port: int, token: str | None = None, form: dict[str, str] | None = None) -> str | None:
    """Why a request may not go on (None when it may): the Host, the Origin, and for a write the token."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    if port == 80:
        hosts |= {"127.0.0.1", "localhost"}
    if (headers.get("Host") or "").lower() not in hosts:
        return "wrong Host: this server answers only to 127.0.0.1 and localhost"
    origin = headers.get("Origin")
    if origin is not None and origin.lower() not in {f"http://{h}" for h in hosts}:
        return "a page of another origin may not use this server"
    if token is not None:
        given = headers.get(TOKEN_HEADER) or (form or {}).get("token") or ""
        if not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8")):
            return "missing or wrong token: reload the review page this server served"
    return None


def read_form(handler: http.server.BaseHTTPRequestHandler) -> dict[str, str] | None:
    """The POSTed form (application/x-www-form-urlencoded or multipart is not accepted); None when too big."""
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        return None
    if length < 0 or length > MAX_BODY:
        return None
    body = handler.rfile.read(length).decode("utf-8", "replace")
    pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
    return {k: v for k, v in pairs}


SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                "connect-src 'self'; form-action 'self'; img-src data:; base-uri 'none'; "
                                "frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def send(handler: http.server.BaseHTTPRequestHandler, response: Response) -> None:
    handler.send_response(response.status)
    handler.send_header("Content-Type", response.kind)
    handler.send_header("Content-Length", str(len(response.body)))
    handler.send_header("Cache-Control", "no-store")
    if response.location:
        handler.send_header("Location", response.location)
    for key, value in SECURITY_HEADERS.items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(response.body)


def refuse(handler: http.server.BaseHTTPRequestHandler, status: int, why: str) -> None:
    send(handler, Response(status, f"{why}\n".encode(), "text/plain; charset=utf-8"))


def handle(handler: http.server.BaseHTTPRequestHandler, review: Review, path: str) -> None:
    """Answer a GET or POST for ``path`` (what follows the prefix): the one place both servers share."""
    port = handler.server.server_address[1]
    if handler.command == "POST":
        form = read_form(handler)
        if form is None:
            refuse(handler, 413, "request too large")
            return
        why = allowed(handler.headers, port, review.token, form)
        if why:
            refuse(handler, 403, why)
            return
        send(handler, review.post(path, form))
        return
    why = allowed(handler.headers, port)
    if why:
        refuse(handler, 403, why)
        return
    send(handler, review.get(path))


def make_handler(review: Review):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "handouts-review"

        def _route(self):
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == "/" and review.prefix != "/":
                send(self, Response(303, location=review.prefix))
            elif path.startswith(review.prefix):
                handle(self, review, path[len(review.prefix):])
            else:
                send(self, Response(404, b"not found\n", "text/plain; charset=utf-8"))

        do_GET = do_POST = _route  # noqa: N815 - the standard library's names

        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

    return Handler


def start(root: Path, name: str | None, port: int, host: str = "127.0.0.1"):
    """Check the input, bind, and return (server, the page's URL); the caller serves and stops it."""
    review = Review(root)
    if name is not None:
        review.check_name(name)
        review.document(name)  # a bad source or decisions file is an error now, not on the page
    else:
        for each in review.names():
            review.document(each)
    try:
        server = http.server.ThreadingHTTPServer((host, port), make_handler(review))
    except OSError as exc:  # the port is taken, or not ours to take
        raise HandoutsError(f"{host}:{port}", f"cannot serve: {exc.strerror or exc}") from None
    server.daemon_threads = True
    url = f"http://{host}:{server.server_address[1]}{review.prefix}{urllib.parse.quote(name) if name else ''}"
    return server, url


def serve(root: Path, name: str | None = None, port: int = 8000, out=None) -> int:
    out = out or sys.stderr
    server, url = start(root, name, port)
    print(f"reviewing at {url} (Ctrl-C to stop)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("review: stopped", file=out, flush=True)
    finally:
        server.server_close()
    return 0
