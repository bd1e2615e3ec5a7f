"""Time the library's index (output/index.html) in Chromium on a generated library, and check it fits a phone.

    python scripts/bench_index.py [--documents 1000] [--locales 16] [--rounds 3] [--keep]
    python scripts/bench_index.py --library DIR          # a library made by an earlier run (--keep)
    python scripts/bench_index.py --library DIR --compare OTHER.html   # another index, side by side
    python scripts/bench_index.py --library DIR --base CHECKOUT        # the index another checkout makes

The library is made by scripts/library.py (N documents x M languages, fully translated, large print on) and
built with the real command line, then output/index.html is opened in headless Chromium (Playwright for
Python, the system's /usr/bin/chromium) at 1280 and 360 CSS pixels wide, each page in a fresh tab, the pages
compared alternating round by round.  Printed, in milliseconds, median of the rounds:

* load: from the start of the navigation to the first frame after the load event (everything read, parsed,
  styled, laid out and painted as far as the browser does before one can scroll), with the load event and
  the first contentful paint beside it;
* filter: a word typed into the filter box (one input event) until the next frame after the rows were
  updated, measured in the page (performance.now, requestAnimationFrame); then the box cleared again;
* main CPU: CPU time the page's main thread used from the navigation to that first frame (Chrome
  DevTools Protocol ``ThreadTime``), which a busy machine changes far less than the wall-clock times;
* overflow: how far the page is wider than the window at 360 px (0: only the table's frame scrolls).

A plain page of 16,000 one-link paragraphs is loaded in the same rounds as a yardstick for the machine.
``--base CHECKOUT`` renders the same library's index with another checkout's code (its ``indexes()``, from
this build's records) as output/index-base.html and times it side by side.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from library import LOCALES, ROOT, make_library

CHROMIUM = "/usr/bin/chromium"

_LOADED = """() => new Promise(done => requestAnimationFrame(() => setTimeout(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  done({ready: performance.now(), load: nav.loadEventEnd, paint: paint ? paint.startTime : null,
        elements: document.getElementsByTagName('*').length,
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth});
})))"""

_FILTER = """word => new Promise(done => {
  const box = document.getElementById('filter'), t0 = performance.now();
  box.value = word; box.dispatchEvent(new Event('input'));
  requestAnimationFrame(() => setTimeout(() => {
    const t = performance.now() - t0;
    const shown = Array.prototype.filter.call(document.querySelectorAll('[data-row]'),
      row => row.getClientRects().length > 0).length;  /* rows with a box: shown, not merely not [hidden] */
    done({ms: t, shown: shown});
  }));
})"""


def build_library(root: Path, documents: int, locales: int) -> None:
    t0 = time.perf_counter()
    make_library(root, documents, LOCALES[:locales])
    (root / "pyproject.toml").write_text("[tool.handouts]\nlarge-print = true\n", encoding="utf-8")
    print(f"library: {documents} documents x {locales} languages, made in {time.perf_counter() - t0:.0f} s",
          flush=True)


def build(root: Path, checkout: Path = ROOT) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "--quiet"], check=True)
    return time.perf_counter() - t0


_BASE_INDEX = """
import pickle, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from handouts.build import Settings, indexes
from handouts.state import State
root, out = Path(sys.argv[2]), Path(sys.argv[3])
with open(root / "build" / "state.pickle", "rb") as f:
    data = f.read()
try:  # kept in shards (handouts.state._decode) since issue 15; a plain pickle before
    from handouts.state import _decode
    state = _decode(data)[0]
except ImportError:
    state = pickle.loads(data)
translated = {pair: b.summary for pair, b in state.builds.items()}
names = sorted({n for n, _ in translated})
codes = ["en"] + [c for c in (root / "locale" / "LINGUAS").read_text().split() if c != "en"]
project = root / "pyproject.toml"  # the build benchmark's libraries have none
settings = Settings(root / "locale", out, codes, 80, root=out.parent, large_print=project.exists() and
                    "large-print = true" in project.read_text())
indexes(settings, names, translated, {c: None for c in codes}, State())
"""


def base_index(checkout: Path, root: Path) -> Path:
    """output/index-base.html: the library's index as ``checkout``'s code renders it (same rows, same links)."""
    out = Path(tempfile.mkdtemp(prefix="handouts-base-index-")) / "output"
    try:
        subprocess.run([sys.executable, "-c", _BASE_INDEX, str(checkout), str(root), str(out)], check=True)
        target = root / "output" / "index-base.html"
        shutil.copyfile(out / "index.html", target)
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return target


def word_of(index: Path) -> str:
    """A word of a title in the middle of the table, as a nurse would type it."""
    import re

    titles = re.findall(r'<th scope="row" class="doc">([^<]+)</th>', index.read_text(encoding="utf-8"))
    words = [w for w in re.findall(r"[A-Za-z]{5,}", titles[len(titles) // 2])] if titles else []
    return words[0].lower() if words else "leaflet"


def _thread_time(cdp) -> float:
    """Seconds of CPU the page's main thread has used (Chrome DevTools Protocol, Performance.getMetrics)."""
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "ThreadTime")


def measure(pages: dict[str, Path], word: str, rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            for round_ in range(rounds):
                for width in (1280, 360):
                    for name, path in pages.items():
                        tab = browser.new_page(viewport={"width": width, "height": 800})
                        cdp = tab.context.new_cdp_session(tab)
                        cdp.send("Performance.enable")
                        before = _thread_time(cdp)
                        tab.goto(path.as_uri(), wait_until="load", timeout=120_000)
                        loaded = tab.evaluate(_LOADED)
                        row = results.setdefault((name, width), {"ready": [], "load": [], "paint": [], "filter": [],
                                                                 "clear": [], "cpu": [], "shown": None, "all": None})
                        row["cpu"].append((_thread_time(cdp) - before) * 1000)
                        row["elements"], row["overflow"] = loaded["elements"], loaded["overflow"]
                        for key in ("ready", "load", "paint"):
                            row[key].append(loaded[key])
                        if tab.query_selector("#filter") is not None:
                            typed = tab.evaluate(_FILTER, word)
                            cleared = tab.evaluate(_FILTER, "")
                            row["filter"].append(typed["ms"])
                            row["clear"].append(cleared["ms"])
                            row["shown"], row["all"] = typed["shown"], cleared["shown"]
                        tab.close()
                print(f"round {round_ + 1} of {rounds} done", flush=True)
        finally:
            browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--locales", type=int, default=16, help="how many languages besides English (at most 16)")
    parser.add_argument("--library", type=Path, help="a library made (and built) by an earlier run")
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="another index page to time side by side (put it in the library's output/)")
    parser.add_argument("--base", type=Path, help="another checkout: its index of the same library, side by side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated library and print where it is")
    args = parser.parse_args()
    tmp = None
    try:
        if args.library is None:
            tmp = Path(tempfile.mkdtemp(prefix="handouts-bench-index-"))
            root = tmp / "library"
            build_library(root, args.documents, args.locales)
        else:
            root = args.library
        index = root / "output" / "index.html"
        if not index.is_file():
            print(f"built in {build(root):.0f} s (repair, update, build)", flush=True)
        plain = root / "output" / "plain-16000.html"
        plain.write_text("<!DOCTYPE html><html><body>" + "".join(
            f'<p>Paragraph {i} <a href="p{i}.html">link</a></p>' for i in range(16_000)) + "</body></html>",
                         encoding="utf-8")
        compare = list(args.compare) + ([base_index(args.base, root)] if args.base else [])
        pages = {"index.html": index, **{p.name: p for p in compare}, "plain 16,000 links": plain}
        word = word_of(index)
        print(f"index.html: {index.stat().st_size / 1e6:.1f} MB; filter word: {word!r}; {args.rounds} rounds",
              flush=True)
        results = measure(pages, word, args.rounds)
        plain.unlink()
        print()
        print(f"{'page':28} {'width':>5} {'elements':>9} {'load+paint':>11} {'load event':>11} {'first paint':>12} "
              f"{'main CPU':>9} {'filter':>8} {'clear':>8} {'rows shown':>11} {'overflow':>9}")
        med = statistics.median
        for (name, width), r in results.items():
            rows = f"{r['shown']}/{r['all']}" if r["shown"] is not None else ""
            filt = f"{med(r['filter']):6.0f}ms" if r["filter"] else ""
            clear = f"{med(r['clear']):6.0f}ms" if r["clear"] else ""
            paint = f"{med(r['paint']):10.0f}ms" if None not in r["paint"] else ""
            print(f"{name[-28:]:28} {width:5} {r['elements']:9,} {med(r['ready']):9.0f}ms {med(r['load']):9.0f}ms "
                  f"{paint:>12} {med(r['cpu']):7.0f}ms {filt:>8} {clear:>8} {rows:>11} {r['overflow']:7}px")
        for other in [n for n in pages if n != "index.html"]:
            for width in (1280, 360):
                a, b = results[("index.html", width)], results[(other, width)]
                print(f"{width} px: index.html loads in {med(a['ready']) / med(b['ready']):.2f}x the time of {other}"
                      f" ({med(a['cpu']) / med(b['cpu']):.2f}x its main thread's CPU)"
                      + (f", filters in {med(a['filter']) / med(b['filter']):.2f}x" if a["filter"] and b["filter"]
                         else ""))
        if args.keep and tmp:
            print(f"kept: {root}")
    finally:
        if tmp and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
