"""Time ``update`` on a synthetic library with this code and with another checkout, side by side.

    python scripts/bench_update.py --base /tmp/base [--documents 1000] [--locales 16]

The library (``scripts/library.py``: N documents × M languages, fully translated) is made once;
each checkout gets its own copy, warmed by one update (the build state is tied to the code), and
then the same edits are timed with each, alternately, three times (``--rounds``): a no-op update, and an update
after 10 documents gained a paragraph that another document says with one word changed (the
case the fuzzy suggestions serve: a new unit with no exact match anywhere).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from library import LOCALES, ROOT, make_library

EDITED = 10


def update(checkout: Path, root: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "--quiet", "update"], check=True,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def edit(root: Path, round_: int) -> None:
    """Give 10 documents a new paragraph: another document's sentence with one word changed."""
    sources = sorted((root / "source").glob("*.md"))
    for n in range(EDITED):
        target = sources[(n * 97 + round_ * 13) % len(sources)]
        donor = sources[(n * 97 + round_ * 13 + 5) % len(sources)].read_text(encoding="utf-8")
        paragraph = max((p for p in donor.split("\n\n") if not p.startswith(("#", "-", "*", "|"))), key=len)
        changed = paragraph.replace(" the ", " this ", 1) if " the " in paragraph else paragraph + " Always."
        with target.open("a", encoding="utf-8") as f:
            f.write(f"\n{changed} (round {round_})\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="another checkout of the project (its pipeline.py)")
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--locales", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="times each update is run with each checkout")
    parser.add_argument("--library", type=Path, help="copy this library (made by an earlier run) instead of making one")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="handouts-bench-update-"))
    try:
        t0 = time.perf_counter()
        lib = args.library or tmp / "library"
        if args.library is None:
            make_library(lib, args.documents, LOCALES[: args.locales])
            print(f"library: {args.documents} × {args.locales}, made in {time.perf_counter() - t0:.0f} s", flush=True)
        copies = {"base": (args.base, tmp / "base"), "this": (ROOT, tmp / "this")}
        for name, (checkout, root) in copies.items():
            shutil.copytree(lib, root, symlinks=True)
            print(f"{name}: warming update {update(checkout, root):.1f} s", flush=True)
        times: dict[str, dict[str, list[float]]] = {n: {"no-op": [], "10 new units": []} for n in copies}
        for round_ in range(args.rounds):
            for name, (checkout, root) in copies.items():
                times[name]["no-op"].append(update(checkout, root))
                edit(root, round_)
                times[name]["10 new units"].append(update(checkout, root))
                print(f"{name} round {round_}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times[name].items()),
                      flush=True)
        for kind in ("no-op", "10 new units"):
            base, this = min(times["base"][kind]), min(times["this"][kind])
            print(f"update, {kind}: base {base:.2f} s, this {this:.2f} s ({(this / base - 1) * 100:+.0f} %), best of {args.rounds}")
        fuzzy = sum(p.read_text(encoding="utf-8").count("suggested from ")
                    for p in (tmp / "this" / "locale").glob("*/LC_MESSAGES/*.po"))
        print(f"similar-unit suggestions written by this checkout: {fuzzy}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
