"""The review server: only the page it served can write; bad input is a message; watch serves it too.

The browser drives it in test_review_web.py; here plain HTTP does, so that a request can say
what a browser never lets a page say (another Host, no token, a foreign Origin).
"""
import http.client
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

import pytest

from conftest import CORPUS, ROOT, run_pipeline
from handouts.repair import Flag, Repair, repair
from handouts.repair import decisions
from handouts.review import Review, _decision

SPUN = CORPUS / "spun" / "gout.spun.md"


def project(root, name="gout"):
    """A project folder with one real spun text as source/<name>.md."""
    (root / "source").mkdir()
    shutil.copyfile(SPUN, root / "source" / f"{name}.md")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text("de\n", encoding="utf-8")
    return root


class Server:
    """``python pipeline.py <command>`` serving in the background; its URL is read from what it prints."""

    def __init__(self, *args, pattern=r"reviewing at (http://127\.0\.0\.1:(\d+)\S*)"):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "pipeline.py"), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
        lines, start = [], time.monotonic()
        self.url = None
        while self.url is None and time.monotonic() - start < 60:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            lines.append(line)
            m = re.search(pattern, line)
            if m:
                self.url, self.port = m.group(1), int(m.group(2))
        assert self.url, "".join(lines)
        self.output = lines

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def request(port, method, path, body=None, headers=None):
    """One HTTP request with exactly these headers (http.client adds Host only when not given)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = dict(headers or {})
    skip_host = "Host" in headers
    conn.putrequest(method, path, skip_host=skip_host, skip_accept_encoding=True)
    data = urllib.parse.urlencode(body).encode() if body is not None else b""
    if body is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        headers["Content-Length"] = str(len(data))
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders(data or None)
    response = conn.getresponse()
    result = response.status, dict(response.getheaders()), response.read().decode("utf-8")
    conn.close()
    return result


def token_of(page):
    return re.search(r'<meta name="handouts-token" content="([^"]+)">', page).group(1)


@pytest.fixture
def serving(tmp_path):
    root = project(tmp_path)
    server = Server("-C", str(root), "review", "gout", "--port", "0")
    yield root, server
    server.stop()


def first_item(root):
    original = (root / "source" / "gout.md").read_text(encoding="utf-8")
    return decisions.review_items(original, repair(original))[0]


def decided(path):
    """The decisions in a file, as (line, before, after, keep)."""
    return [(d.line, d.before, d.after, d.keep) for d in decisions.load(path)]


def form_for(item, action="accept:0", **extra):
    return {"line": item.line, "column": item.column, "before": item.before, "action": action, **extra}


def test_the_page_shows_every_place_to_review_and_the_keys(serving):
    root, server = serving
    status, headers, page = request(server.port, "GET", "/gout", headers={"Host": f"127.0.0.1:{server.port}"})
    assert status == 200
    original = (root / "source" / "gout.md").read_text(encoding="utf-8")
    items = decisions.review_items(original, repair(original))
    assert len(items) >= 3
    assert page.count('class="card ') == len(items)
    assert re.search(rf'id="left">{len(items)}</span> of {len(items)} left', page)
    for item in items:
        assert f"line {item.line}, column {item.column}" in page
    for key in ("<kbd>j</kbd>", "<kbd>a</kbd>", "<kbd>o</kbd>", "<kbd>e</kbd>"):
        assert key in page
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from the network


def test_the_list_counts_what_is_left_per_document(tmp_path):
    root = project(tmp_path)
    shutil.copyfile(CORPUS / "spun" / "migraine.spun.md", root / "source" / "migraine.md")
    server = Server("-C", str(root), "review", "--port", "0")
    try:
        status, _, page = request(server.port, "GET", "/", headers={"Host": f"localhost:{server.port}"})
    finally:
        server.stop()
    assert status == 200
    for name in ("gout", "migraine"):
        original = (root / "source" / f"{name}.md").read_text(encoding="utf-8")
        n = len(decisions.review_items(original, repair(original)))
        assert re.search(rf'<a href="/{name}">source/{name}\.md</a></td>\s*<td class="number">{n}</td>', page)


REFUSED = {
    "no token": ({}, {}),
    "wrong token in a header": ({"X-Handouts-Token": "guessed"}, {}),
    "wrong token in the form": ({}, {"token": "guessed"}),
    "foreign Origin": ({"Origin": "http://evil.example"}, "TOKEN"),
    "Origin null": ({"Origin": "null"}, "TOKEN"),
    "Origin on another port": ({"Origin": "http://127.0.0.1:1"}, "TOKEN"),
    "foreign Host (DNS rebinding)": ({"Host": "evil.example:PORT"}, "TOKEN"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_write_not_from_the_served_page_is_refused_and_writes_nothing(serving, case):
    root, server = serving
    _, _, page = request(server.port, "GET", "/gout", headers={"Host": f"127.0.0.1:{server.port}"})
    token = token_of(page)
    path = root / "source" / "gout.review.toml"
    item = first_item(root)
    decisions.save(path, [decisions.Decision(item.line, item.before, keep=True)])  # an editor's earlier decision
    before = path.read_bytes(), path.stat().st_mtime_ns
    headers, extra = REFUSED[case]
    headers = {k: v.replace("PORT", str(server.port)) for k, v in headers.items()}
    headers.setdefault("Host", f"127.0.0.1:{server.port}")
    if extra == "TOKEN":
        headers["X-Handouts-Token"], extra = token, {}
    status, _, body = request(server.port, "POST", "/gout", form_for(item, **extra), headers)
    assert status == 403, body
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["gout.md", "gout.review.toml"]  # no temporary file


def test_the_served_page_can_write_by_header_or_by_form_field(serving):
    root, server = serving
    host = {"Host": f"127.0.0.1:{server.port}"}
    _, _, page = request(server.port, "GET", "/gout", headers=host)
    token = token_of(page)
    item = first_item(root)
    path = root / "source" / "gout.review.toml"
    status, headers, _ = request(server.port, "POST", "/gout", form_for(item),
                                 {**host, "X-Handouts-Token": token, "Origin": f"http://127.0.0.1:{server.port}"})
    assert status == 303 and headers["Location"].startswith("/gout#item-")
    assert decided(path) == [(item.line, item.before, item.suggestions[0], False)]
    status, _, _ = request(server.port, "POST", "/gout", form_for(item, "keep", token=token), host)  # no script
    assert status == 303
    assert decided(path) == [(item.line, item.before, None, True)]
    status, _, page = request(server.port, "GET", "/gout", headers=host)
    assert "Decided: keep the original" in page


def test_a_foreign_host_cannot_read_the_page_or_its_token(serving):
    root, server = serving
    status, _, body = request(server.port, "GET", "/gout", headers={"Host": f"evil.example:{server.port}"})
    assert status == 403 and "handouts-token" not in body


def test_a_decisions_file_broken_while_serving_is_reported_and_not_overwritten(serving):
    root, server = serving
    host = {"Host": f"127.0.0.1:{server.port}"}
    token = token_of(request(server.port, "GET", "/gout", headers=host)[2])
    path = root / "source" / "gout.review.toml"
    path.write_text("[[decision]]\nline = 3\nbefore = 'x'\nafter = 'y'\nkeep = true\n", encoding="utf-8")
    broken = path.read_bytes()
    status, _, body = request(server.port, "POST", "/gout", form_for(first_item(root)),
                              {**host, "X-Handouts-Token": token})
    assert status == 409
    assert "source/gout.review.toml:1: error: a decision has either" in body
    assert path.read_bytes() == broken
    status, _, body = request(server.port, "GET", "/gout", headers=host)
    assert "source/gout.review.toml:1: error:" in body


def test_unknown_document_is_an_error_with_exit_2(tmp_path):
    root = project(tmp_path)
    r = run_pipeline("-C", str(root), "review", "nosuch", "--port", "0")
    assert r.returncode == 2
    assert r.stderr.strip() == "source/nosuch.md: error: no such document (documents: gout)"
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("text, line, message", [
    ("[[decision]]\nline = 3\nbefore = \"assaults\"\n", 1, "a decision has either 'after'"),
    ("# ok\n\n[[decision]]\nline = 0\nbefore = \"x\"\nkeep = true\n", 3, "a decision needs 'line'"),
    ("[[decision]\n", 1, "bad TOML"),
], ids=["neither after nor keep", "line 0", "bad TOML"])
@pytest.mark.parametrize("doc", [["gout"], []], ids=["DOC", "the list"])
def test_a_malformed_decisions_file_is_an_error_with_exit_2(tmp_path, text, line, message, doc):
    root = project(tmp_path)
    (root / "source" / "gout.review.toml").write_text(text, encoding="utf-8")
    r = run_pipeline("-C", str(root), "review", *doc, "--port", "0")
    assert r.returncode == 2
    assert r.stderr.startswith(f"source/gout.review.toml:{line}: error: {message}"), r.stderr
    assert "Traceback" not in r.stderr


def test_a_port_in_use_is_an_error_with_exit_2(serving):
    root, server = serving
    r = run_pipeline("-C", str(root), "review", "gout", "--port", str(server.port))
    assert r.returncode == 2
    assert re.match(rf"127\.0\.0\.1:{server.port}: error: cannot serve: ", r.stderr), r.stderr
    assert "Traceback" not in r.stderr


def test_watch_serves_the_review_page_too(tmp_path):
    root = project(tmp_path)
    assert run_pipeline("-C", str(root), "update").returncode == 0
    server = Server("-C", str(root), "watch", "--port", "0",
                    pattern=r"review the repair at (http://127\.0\.0\.1:(\d+)/__handouts__/review/)")
    try:
        host = {"Host": f"127.0.0.1:{server.port}"}
        status, _, page = request(server.port, "GET", "/__handouts__/review/", headers=host)
        assert status == 200 and 'href="/__handouts__/review/gout"' in page
        status, _, page = request(server.port, "GET", "/__handouts__/review/gout", headers=host)
        assert status == 200 and 'class="card ' in page
        item = first_item(root)
        status, _, _ = request(server.port, "POST", "/__handouts__/review/gout", form_for(item), host)
        assert status == 403
        status, headers, _ = request(server.port, "POST", "/__handouts__/review/gout", form_for(item),
                                     {**host, "X-Handouts-Token": token_of(page)})
        assert status == 303 and headers["Location"].startswith("/__handouts__/review/gout#item-")
        assert decided(root / "source" / "gout.review.toml") == [(item.line, item.before, item.suggestions[0], False)]
        assert request(server.port, "GET", "/en/gout.html", headers=host)[0] == 200  # the preview goes on
    finally:
        server.stop()


def test_a_word_earlier_on_its_line_too_gets_a_decision_that_finds_its_own_place(tmp_path):
    """A decision is found again as the first place its text is on its line: the page widens it."""
    root = tmp_path
    (root / "source").mkdir()
    original = "# Gout\n\nAn attack can last; a second attack is worse.\n"
    (root / "source" / "gout.md").write_text(original, encoding="utf-8")
    second = original.rindex("attack")
    flag = Flag(second, second + len("attack"), "attack", "improbable wording here", "flare",
                "statistical:synonym")
    review = Review(root)
    doc = review.document("gout")
    doc.result = Repair(original, [], [flag])  # a flag on the second "attack" of the line
    doc.items = decisions.review_items(original, doc.result, [])
    new = _decision(doc, doc.items[0], {"action": "accept:0"})
    assert new.before.endswith("second attack") and new.after == new.before.replace("attack", "flare")
    applied = decisions.apply(original, doc.result, [new])
    assert applied.result.text == "# Gout\n\nAn attack can last; a second flare is worse.\n"
    assert decisions.review_items(original, doc.result, [new])[0].reviewed


def test_everything_shown_is_escaped(tmp_path):
    root = tmp_path
    (root / "source").mkdir()
    text = SPUN.read_text(encoding="utf-8").replace("# Gout", "# <script>alert(1)</script> & <b>in</b>", 1)
    (root / "source" / "gout.md").write_text(text, encoding="utf-8")
    review = Review(root)
    assert review.document("gout").items  # there is something to mark
    for path in ("gout", ""):
        page = review.get(path).body.decode("utf-8")
        assert "<script>alert" not in page and "<b>in</b>" not in page
    page = review.get("gout").body.decode("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&amp;" in page
    page = review.get("<img src=x>").body.decode("utf-8")
    assert "<img src=x>" not in page and "&lt;img src=x&gt;" in page


def test_a_new_decision_replaces_one_written_by_hand_over_a_wider_span(serving):
    root, server = serving
    host = {"Host": f"127.0.0.1:{server.port}"}
    token = token_of(request(server.port, "GET", "/gout", headers=host)[2])
    path = root / "source" / "gout.review.toml"
    original = (root / "source" / "gout.md").read_text(encoding="utf-8")
    item = next(i for i in decisions.review_items(original, repair(original)) if i.before == "assaults")
    wider = original[item.start - len("sudden "):item.end]
    assert wider == f"sudden {item.before}"
    decisions.save(path, [decisions.Decision(item.line, wider, after="sudden attacks")])
    status, _, _ = request(server.port, "POST", "/gout", form_for(item, "keep"), {**host, "X-Handouts-Token": token})
    assert status == 303
    assert decided(path) == [(item.line, item.before, None, True)]


def test_a_widened_decision_never_takes_in_another_place_to_review(tmp_path):
    (tmp_path / "source").mkdir()
    original = "# Gout\n\nAn attack can last; a second attack is worse.\n"
    (tmp_path / "source" / "gout.md").write_text(original, encoding="utf-8")
    second, word = original.rindex("attack"), original.index("second")
    flags = [Flag(word, word + len("second"), "second", "improbable wording here", "next", "statistical:synonym"),
             Flag(second, second + len("attack"), "attack", "improbable wording here", "flare", "statistical:synonym")]
    doc = Review(tmp_path).document("gout")
    doc.result = Repair(original, [], flags)
    doc.items = decisions.review_items(original, doc.result, [])
    assert "more than once" in _decision(doc, doc.items[1], {"action": "accept:0"})
    assert _decision(doc, doc.items[0], {"action": "keep"}) == decisions.Decision(3, "second", keep=True)
