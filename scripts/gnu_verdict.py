"""Does the catalog reader give GNU gettext's verdict?  Compare it with ``msgfmt -c``.

    python scripts/gnu_verdict.py fuzz [N] [--seed S]   # N mutated copies of this project's catalogs
    python scripts/gnu_verdict.py corpus GETTEXT_SRC     # the PO files of GNU gettext's own test suite

``fuzz`` mutates the real catalogs in ``locale/`` at random (lines deleted, duplicated, swapped or
moved; stray bytes and escapes inserted) and runs both readers on each copy.  ``corpus`` takes
the PO files that GNU gettext's tests use (``gettext-tools/tests/*.po`` and every PO file its test
scripts write with a here-document) from a source tree (``git clone`` of gettext, or
``apt-get source gettext``), in a temporary folder, never into this repository.

The reader's verdict is what ``update`` decides about a catalog on disk: ``catalogs.load`` (strict
UTF-8, GNU's grammar) and then everything ``msgfmt -c`` would reject in what it read
(``pofile.problems``).  A traceback is never a verdict: it is reported as a crash.

Deliberate differences (the reader is stricter on purpose; see the README) are counted apart:
a NUL character (it would cut the string in the compiled catalog), bytes that are not UTF-8 in
a comment (GNU skips comments unread; the pipeline rewrites the file in UTF-8), a legacy
charset (the pipeline reads UTF-8 only and says how to convert with ``msgconv``), and comments
after the last message (GNU drops them; the pipeline's rewrite would lose a translator's note).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import random
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts import catalogs, pofile  # noqa: E402
from handouts.errors import HandoutsError  # noqa: E402

DELIBERATE = {
    "nul": re.compile(r"NUL"),
    "comment-bytes": re.compile(r"not valid UTF-8"),
    "legacy-charset": re.compile(r"msgconv -t UTF-8"),
    "stray-comments": re.compile(r"comments that belong to no message"),
}
"""Reader errors that GNU does not share, on purpose (see the module's docstring)."""


@dataclass(slots=True)
class Verdict:
    accepted: bool
    message: str = ""
    crash: bool = False


def reader_verdict(path: Path) -> Verdict:
    catalogs._PARSED.clear()
    try:
        catalog = catalogs.load(path, str(path))
        if catalog is None:
            return Verdict(False, "missing")
        found = pofile.problems(catalog)
    except HandoutsError as exc:
        return Verdict(False, str(exc))
    except Exception as exc:  # noqa: BLE001 - a crash is exactly what this looks for
        return Verdict(False, f"{type(exc).__name__}: {exc}", crash=True)
    if found:
        line, message = found[0]
        return Verdict(False, f"{path}:{line}: error: {message}")
    return Verdict(True)


def gnu_verdict(path: Path) -> Verdict:
    r = subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)], capture_output=True,
                       env=dict(os.environ, LC_ALL="C"))
    return Verdict(r.returncode == 0, r.stderr.decode("utf-8", "replace"))


def deliberate(verdict: Verdict) -> str | None:
    """The deliberate difference a reader's rejection is, if it is one."""
    for name, pattern in DELIBERATE.items():
        if pattern.search(verdict.message):
            return name
    return None


# ---------------------------------------------------------------------------
# Mutations


STRAY = [b"\x00", b"\x01", b"\x0b", b"\x0c", b"\x1c", b"\x1f", b"\x7f", b"\xc2\x85", b"\xe2\x80\xa8", b"\xff",
         b"\xc3", b"\xe9", b'"', b"\\", b"#", b" ", b"\t", b"\r"]
ESCAPES = [b"\\x", b"\\xq", b"\\x4", b"\\x41", b"\\x414", b"\\q", b"\\?", b"\\0", b"\\101", b"\\8", b"\\u00e9",
           b"\\\\", b'\\"', b"\\n"]


def mutate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """One to three random edits of a catalog's bytes, and what they were."""
    lines = data.split(b"\n")
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        kind = rng.choice(("delete", "duplicate", "swap", "move", "stray", "escape"))
        i = rng.randrange(len(lines))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = min(len(lines) - 1, i + rng.choice((1, 1, 2, 3)))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "move":
            line = lines.pop(i)
            lines.insert(rng.randrange(len(lines) + 1), line)
        else:
            piece = rng.choice(STRAY if kind == "stray" else ESCAPES)
            line = lines[i]
            quotes = [m.start() for m in re.finditer(rb'"', line)]
            if kind == "escape" and len(quotes) >= 2:
                at = rng.randint(quotes[0] + 1, quotes[-1])  # inside the string
            elif quotes and rng.random() < 0.5:
                at = rng.choice(quotes) + rng.choice((0, 1))  # beside a quote
            else:
                at = rng.randint(0, len(line))
            lines[i] = line[:at] + piece + line[at:]
        done.append(f"{kind}@{i + 1}")
        if not lines:
            lines = [b""]
    return b"\n".join(lines), " ".join(done)


def sources(root: Path = ROOT) -> list[Path]:
    locale = root / "locale"
    return sorted(locale.glob("*/LC_MESSAGES/*.po")) + sorted(locale.glob("*.pot"))


@dataclass(slots=True)
class Case:
    name: str
    reader: Verdict
    gnu: Verdict

    @property
    def outcome(self) -> str:
        if self.reader.crash:
            return "crash"
        if self.reader.accepted == self.gnu.accepted:
            return "same"
        if not self.reader.accepted and deliberate(self.reader):
            return "deliberate:" + deliberate(self.reader)
        return "reader accepts, GNU rejects" if self.reader.accepted else "reader rejects, GNU accepts"


def fuzz(count: int, seed: int, folder: Path, files: list[Path] | None = None) -> list[Case]:
    """``count`` mutated copies of the catalogs; msgfmt runs on several at once (it is a process each)."""
    rng = random.Random(seed)
    originals = [(p, p.read_bytes()) for p in (files or sources())]
    made = []
    for n in range(count):
        source, data = originals[n % len(originals)]
        mutated, how = mutate(rng, data)
        path = folder / f"case{n}{source.suffix}"
        path.write_bytes(mutated)
        made.append((f"{source.parent.parent.name}/{source.name} {how}", path))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        gnu = list(pool.map(gnu_verdict, [path for _, path in made]))
    cases = [Case(name, reader_verdict(path), verdict) for (name, path), verdict in zip(made, gnu)]
    for _, path in made:
        path.unlink()
    return cases


# ---------------------------------------------------------------------------
# GNU gettext's own test catalogs


_HEREDOC = re.compile(r"^cat <<\\?'?EOF'? > ([\w.+-]+\.po)\n(.*?)\nEOF$", re.M | re.S)


def gnu_test_catalogs(source: Path, folder: Path) -> list[Path]:
    """Every PO file of gettext-tools/tests: the files, and those its scripts write with ``cat <<EOF``."""
    tests = source / "gettext-tools" / "tests"
    found = []
    for path in sorted(tests.glob("*.po")):
        target = folder / path.name
        target.write_bytes(path.read_bytes())
        found.append(target)
    for script in sorted(tests.iterdir()):
        if not script.is_file() or script.suffix in (".po", ".pot", ".mo", ".c", ".h", ".am", ".in"):
            continue
        try:
            text = script.read_text("latin-1")
        except OSError:
            continue
        for index, m in enumerate(_HEREDOC.finditer(text)):
            if "$" in m.group(1):
                continue
            target = folder / f"{script.name}--{index}--{m.group(1)}"
            target.write_bytes(m.group(2).encode("latin-1") + b"\n")
            found.append(target)
    return found


def report(cases: list[Case], verbose: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.outcome] = counts.get(case.outcome, 0) + 1
        if verbose and case.outcome != "same":
            print(f"{case.outcome}: {case.name}\n  reader: {case.reader.message.strip()[:200]}\n"
                  f"  GNU: {case.gnu.message.strip()[:300]}")
    rejected = sum(not c.gnu.accepted for c in cases)
    print(f"{len(cases)} catalogs ({rejected} rejected by msgfmt -c): "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fuzz", help="mutate this project's catalogs and compare the verdicts")
    f.add_argument("count", type=int, nargs="?", default=400)
    f.add_argument("--seed", type=int, default=17)
    c = sub.add_parser("corpus", help="compare the verdicts on GNU gettext's test catalogs")
    c.add_argument("source", type=Path, help="a gettext source tree")
    for p in (f, c):
        p.add_argument("-v", "--verbose", action="store_true", help="print every difference")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.command == "fuzz":
            cases = fuzz(args.count, args.seed, Path(tmp))
        else:
            cases = [Case(p.name, reader_verdict(p), gnu_verdict(p))
                     for p in gnu_test_catalogs(args.source, Path(tmp))]
        counts = report(cases, args.verbose)
    return 1 if counts.get("crash") else 0


if __name__ == "__main__":
    raise SystemExit(main())
