"""Time the pipeline on a synthetic library, side by side with Sphinx and po4a.

Used by ``python scripts/benchmark.py build``; see that script's help.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from library import LOCALES, ROOT, make_library, pseudo_translate


def _tree_rss(pid: int) -> int:
    """Memory (bytes) of a process and all its descendants: proportional set size, so that pages
    forked workers share with their parent are counted once, not once per process."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


SAMPLE_SECONDS = 0.1
"""How often ``timed`` reads the memory of the tree.  Reading a process's proportional set size
makes the kernel walk its pages: every 20 ms, that took 0.2 s (7 %) from a 2.7 s build that keeps
both cores busy, and next to nothing from a peer that leaves one idle (Sphinx); every 0.1 s, the
cost is within the noise, and a brief worker's peak may be missed."""


@dataclass
class Run:
    seconds: float
    peak: int
    """Peak memory of the whole process tree (proportional set size), in bytes, sampled every
    ``SAMPLE_SECONDS``."""


def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> Run:
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return Run(seconds, peak)


def pipeline(root: Path, *args: str, checkout: Path = ROOT) -> Run:
    return timed([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "--quiet", *args])


STEPS = ("full build", "no-op rebuild", "one .po edit", "one source edit")


_SENTENCE = re.compile(r"This leaflet(?:, ([^,\n]*),)? is number")
_PREFIX = re.compile(r"(?:(?:Befehl|Bearbeitet)(?: (x+))?: )+")


def revised(text: str, where: Path) -> str:
    """The source with its numbered sentence revised once more: every call changes it, also in a
    library an earlier run edited (kept with --keep, copied with --library)."""
    found = _SENTENCE.search(text)
    if found is None:
        raise SystemExit(f"{where}: the sentence the benchmark edits is not there")
    counted = re.fullmatch(r"(?:revised|changed) (\d+) times", found.group(1) or "")
    times = 0 if found.group(1) is None else int(counted.group(1)) if counted else 1
    again = "This leaflet, revised, is number" if times == 0 else f"This leaflet, revised {times + 1} times, is number"
    return text[: found.start()] + again + text[found.end() :]


def retranslated(text: str, word: str) -> str:
    """The catalog with its first translation changed once more (a longer prefix each time; letters
    only, as a number the English lacks is a translation error)."""
    marker = 'msgstr "'
    at = text.index(marker, text.index("\nmsgid", text.index("\n\n") + 1)) + len(marker)
    old = _PREFIX.match(text, at)
    count = len(old.group(1) or "") if old else 0
    return text[:at] + f"{word} {'x' * (count + 1)}: " + text[old.end() if old else at :]


def _edit(root: Path, docs: list[tuple[str, str]], locales: list[str], step: str) -> None:
    """The edit made before a step: a translator saves one msgstr; an editor changes one paragraph of one document."""
    if step == "one .po edit":
        po = root / "locale" / locales[0] / "LC_MESSAGES" / f"{docs[len(docs) // 2][0]}.po"
        po.write_text(retranslated(po.read_text(encoding="utf-8"), "Bearbeitet"), encoding="utf-8")
    elif step == "one source edit":
        src = root / "source" / f"{docs[len(docs) // 3][0]}.md"
        src.write_text(revised(src.read_text(encoding="utf-8"), src), encoding="utf-8")


def median_run(runs: list[Run]) -> Run:
    """The median wall time of several runs (an odd count: one of them), the highest peak."""
    import statistics

    return Run(statistics.median_low([r.seconds for r in runs]), max(r.peak for r in runs))


def restore(root: Path, pristine: Path) -> None:
    """The library as it was before its first full build."""
    shutil.rmtree(root)
    shutil.copytree(pristine, root, symlinks=True)


def bench_pipeline(roots: dict[str, tuple[Path, Path]], docs: list[tuple[str, str]], locales: list[str],
                   jobs: int | None, steps: tuple[str, ...] = STEPS) -> dict[str, dict[str, Run]]:
    """Each step with each checkout (name -> (checkout, its copy of the library)), one after the other."""
    extra = ["--jobs", str(jobs)] if jobs else []
    results: dict[str, dict[str, Run]] = {name: {} for name in roots}
    for step in steps:
        for name, (checkout, root) in roots.items():
            _edit(root, docs, locales, step)
            results[name][step] = pipeline(root, *extra, checkout=checkout)
            print(f"  {name}: {step}: {results[name][step].seconds:.2f} s", flush=True)
    return results


# ---------------------------------------------------------------------------
# The live preview: from a save to the page's news


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_watch(checkout: Path, root: Path, docs: list[tuple[str, str]], locales: list[str],
                rounds: int = 5) -> dict[str, list[float]]:
    """``watch`` on a built library: its CPU while nothing is saved, and for each kind of save (a
    new msgstr, a new source paragraph; new text every round) the seconds from the save until
    ``/__handouts__/status`` says a newer build is served (when the open page reloads)."""
    import json
    import re
    import urllib.request

    proc = subprocess.Popen([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "watch", "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in proc.stderr:
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found.group(1)
                break
        if url is None:
            raise SystemExit(f"{checkout}: watch did not start")
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # its news, not read

        def generation() -> int:
            with urllib.request.urlopen(url + "__handouts__/status", timeout=10) as response:
                return json.load(response)["generation"]

        time.sleep(2.0)
        before = _cpu_seconds(proc.pid)
        time.sleep(5.0)
        results = {"idle CPU (share of a core)": [(_cpu_seconds(proc.pid) - before) / 5.0]}
        po = root / "locale" / locales[0] / "LC_MESSAGES" / f"{docs[len(docs) // 2][0]}.po"
        src = root / "source" / f"{docs[len(docs) // 3][0]}.md"
        for n in range(rounds):
            for step in ("one .po edit", "one source edit"):
                seen = generation()
                if step == "one .po edit":
                    text, path = retranslated(po.read_text(encoding="utf-8"), "Bearbeitet"), po
                else:
                    text, path = revised(src.read_text(encoding="utf-8"), src), src
                start = time.perf_counter()
                path.write_text(text, encoding="utf-8")
                while generation() == seen:
                    if time.perf_counter() - start > 120:
                        raise SystemExit(f"{checkout}: {step}: nothing built after 120 s")
                    time.sleep(0.01)
                results.setdefault(step, []).append(time.perf_counter() - start)
                time.sleep(1.0)  # the build's own writes settle (and, polled, are seen) before the next save
        # the command line while the watch runs (handouts/resident.py): from the save to its exit
        results.update(_command_line_rounds(checkout, root, po, src, rounds))
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _command_line_rounds(checkout: Path, root: Path, po: Path, src: Path, rounds: int) -> dict[str, list[float]]:
    """``python pipeline.py`` after each kind of save (nothing, a new msgstr, a new source paragraph;
    new text every round), from the save to its exit."""
    results: dict[str, list[float]] = {}
    for n in range(rounds):
        for step in ("no-op", "one .po edit", "one source edit"):
            if step == "one .po edit":
                po.write_text(retranslated(po.read_text(encoding="utf-8"), "Befehl"), encoding="utf-8")
            elif step == "one source edit":
                src.write_text(revised(src.read_text(encoding="utf-8"), src), encoding="utf-8")
            start = time.perf_counter()
            subprocess.run([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "--quiet"],
                           check=True, stdout=subprocess.DEVNULL)
            results.setdefault(f"command line, {step}", []).append(time.perf_counter() - start)
            time.sleep(1.0)
    return results


def bench_resident(checkout: Path, root: Path, docs: list[tuple[str, str]], locales: list[str],
                   rounds: int = 5) -> dict[str, list[float]]:
    """The command line with ``[tool.handouts] resident = true`` and no watch: its first run (which
    starts the resident), then each kind of save as in ``bench_watch``."""
    with open(root / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write("\n[tool.handouts]\nresident = true\n")
    try:  # the configuration's change is built first, alone and not timed
        subprocess.run([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "--quiet"], check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, HANDOUTS_RESIDENT="off"))
        start = time.perf_counter()
        subprocess.run([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        results = {"command line, first run (starts the resident)": [time.perf_counter() - start]}
        time.sleep(1.0)
        po = root / "locale" / locales[0] / "LC_MESSAGES" / f"{docs[len(docs) // 2][0]}.po"
        src = root / "source" / f"{docs[len(docs) // 3][0]}.md"
        results.update(_command_line_rounds(checkout, root, po, src, rounds))
        return results
    finally:
        subprocess.run([sys.executable, str(checkout / "pipeline.py"), "-C", str(root), "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------
# Sphinx + sphinx-intl


def sphinx_available() -> str | None:
    try:
        import myst_parser  # noqa: F401
        import sphinx  # noqa: F401
        import sphinx_intl  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install sphinx myst-parser sphinx-intl)"
    return None


def bench_sphinx(work: Path, docs: list[tuple[str, str]], locales: list[str], markup: str = "md") -> Run:
    """gettext + sphinx-intl update + html and text per language, as the issue measured it; the sources in
    Markdown through MyST (``md``) or in reStructuredText (``rst``: Sphinx's own reader, its fastest path);
    every Sphinx run with ``-j auto`` (a process per core, as our build has)."""
    import polib

    from library import to_rst

    src = work / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(textwrap.dedent(f"""
        project = "Handouts"
        extensions = {["myst_parser"] if markup == "md" else []!r}
        locale_dirs = ["locale/"]
        gettext_compact = False
        language = "en"
        exclude_patterns = ["_build", "locale"]
    """), encoding="utf-8")
    toc = "\n".join(name for name, _ in docs)
    if markup == "md":
        (src / "index.md").write_text(f"# Library\n\n```{{toctree}}\n{toc}\n```\n", encoding="utf-8")
    else:
        (src / "index.rst").write_text("Library\n=======\n\n.. toctree::\n\n" + textwrap.indent(toc, "   ") + "\n",
                                       encoding="utf-8")
    for name, text in docs:
        (src / f"{name}.{markup}").write_text(text if markup == "md" else to_rst(text), encoding="utf-8")
    sb = [sys.executable, "-m", "sphinx", "-q", "-j", "auto"]  # in parallel, as our build is
    # translations must exist before the timed run: make them once, untimed
    subprocess.run(sb + ["-b", "gettext", str(src), str(work / "pot")], check=True)
    subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "-p", str(work / "pot"), "-d", str(src / "locale"),
                    *sum((["-l", c] for c in locales), [])], check=True, stdout=subprocess.DEVNULL)
    for code in locales:
        for path in (src / "locale" / code / "LC_MESSAGES").glob("*.po"):
            po = polib.pofile(str(path))
            for entry in po:
                entry.msgstr = pseudo_translate(entry.msgid, code)
            po.save()
    shutil.rmtree(work / "pot")
    script = [
        " ".join(sb + ["-b", "gettext", str(src), str(work / "pot")]),
        f"{sys.executable} -m sphinx_intl update -p {work / 'pot'} -d {src / 'locale'} "
        + " ".join(f"-l {c}" for c in locales) + " > /dev/null",
    ]
    for code in locales:
        for builder in ("html", "text"):
            script.append(" ".join(sb + ["-b", builder, "-D", f"language={code}", str(src),
                                         str(work / "out" / builder / code)]))
    return timed(["bash", "-ec", "\n".join(script)])


# ---------------------------------------------------------------------------
# po4a


def po4a_available() -> str | None:
    return None if shutil.which("po4a") else "po4a is not installed (apt-get install -y po4a)"


def bench_po4a(work: Path, docs: list[tuple[str, str]], locales: list[str]) -> Run:
    import polib

    (work / "src").mkdir(parents=True)
    lines = [f"[po4a_langs] {' '.join(locales)}", "[po4a_paths] po/$master.pot $lang:po/$master.$lang.po", ""]
    for name, text in docs:
        (work / "src" / f"{name}.md").write_text(text, encoding="utf-8")
        lines.append(f"[type: text] src/{name}.md $lang:out/$lang/{name}.md pot={name} opt:\"-o markdown\"")
    cfg = work / "po4a.cfg"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = ["po4a", "--no-backups", "-q", "--keep", "0", "--msgmerge-opt", "--no-fuzzy-matching"]
    subprocess.run(base + [str(cfg)], cwd=work, check=True, capture_output=True)  # make the catalogs
    for path in (work / "po").glob("*.po"):
        code = path.suffixes[-2].lstrip(".")
        po = polib.pofile(str(path))
        for entry in po:
            entry.msgstr = pseudo_translate(entry.msgid, code)
        po.save()
    shutil.rmtree(work / "out", ignore_errors=True)
    (work / "src" / docs[0][0]).with_suffix(".md").touch()
    return timed(base + [str(cfg)], cwd=work)


def compile_bytecode(checkout: Path) -> None:
    """Write the checkout's bytecode (``__pycache__``) before anything is timed.  Python writes it on a
    module's first import, and pip when it installs Sphinx; a machine with ``PYTHONDONTWRITEBYTECODE``
    set (this one) would otherwise compile our modules again in every timed process and none of
    Sphinx's: 0.1 to 0.15 s a command."""
    import compileall

    compileall.compile_dir(checkout / "handouts", quiet=1)


def main(documents: int, locale_count: int, jobs: int | None, vs_sphinx: bool, vs_po4a: bool, keep: bool,
         length: int = 1, base: Path | None = None, library: Path | None = None, watch: int = 0,
         rounds: int = 1, rest: float = 5.0) -> int:
    locales = LOCALES[:locale_count]
    for checkout in (ROOT, base):
        if checkout is not None:  # as a first run would leave it, or pip for Sphinx (PYTHONDONTWRITEBYTECODE aside)
            compile_bytecode(checkout)
    tmp = Path(tempfile.mkdtemp(prefix="handouts-bench-"))
    try:
        root = tmp / "library"
        t0 = time.perf_counter()
        if library is not None:  # made by an earlier run: its documents are made again the same way
            shutil.copytree(library, root, symlinks=True)
            from library import documents as made
            docs = made(documents, length)
        else:
            docs = make_library(root, documents, locales, length)
        pots = [p for p in (root / "locale").glob("*.pot") if p.stem != "handouts"]
        units = sum(p.read_text(encoding="utf-8").count("\nmsgid ") - 1 for p in pots)
        words = sum(len(text.split()) for _, text in docs)
        shape = f", each {length} leaflets long" if length > 1 else ""
        print(f"library: {documents} documents{shape} × {len(locales)} languages ({', '.join(locales)}), "
              f"{units:,} units, {words:,} words; made in {time.perf_counter() - t0:.1f} s (not timed below)")
        for p in (root / "output", root / "build"):
            shutil.rmtree(p, ignore_errors=True)
        roots = {"handouts": (ROOT, root)}
        if base is not None:
            shutil.copytree(root, tmp / "base", symlinks=True)
            roots = {"base": (base, tmp / "base"), **roots}
        # the full build, ``rounds`` times, each from the library as it was, by turns with the peers (a noisy
        # machine slows a 1 s run more, in proportion, than a 20 s one: the median of several is the fair
        # figure to set against theirs); then the other steps once
        peers = [("Sphinx (MyST)", "Sphinx + sphinx-intl, Markdown through MyST", vs_sphinx, sphinx_available,
                  lambda work, d, l: bench_sphinx(work, d, l, "md")),
                 ("Sphinx (reST)", "Sphinx + sphinx-intl, reStructuredText", vs_sphinx, sphinx_available,
                  lambda work, d, l: bench_sphinx(work, d, l, "rst")),
                 ("po4a", "po4a: update catalogs + translated Markdown", vs_po4a, po4a_available, bench_po4a)]
        running = []
        for short, long, wanted, available, bench in peers:
            if not wanted:
                continue
            why = available()
            if why:
                print(f"{short}: skipped: {why}")
                continue
            running.append((short, long, bench))
        pristine = tmp / "pristine"
        shutil.copytree(root, pristine, symlinks=True)
        extra = ["--jobs", str(jobs)] if jobs else []
        fulls: dict[str, list[Run]] = {name: [] for name in roots}
        peer_runs: dict[str, list[Run]] = {short: [] for short, _, _ in running}
        for r in range(rounds):
            for name, (checkout, where) in roots.items():
                if r:
                    restore(where, pristine)
                if rounds > 1:
                    time.sleep(rest)  # each tool's run starts from an idle machine, not from the last one's load
                fulls[name].append(pipeline(where, *extra, checkout=checkout))
                print(f"  {name}: full build: {fulls[name][-1].seconds:.2f} s", flush=True)
            for short, _, bench in running:
                work = tmp / f"{''.join(c for c in short.lower() if c.isalnum())}-{r}"
                if rounds > 1:
                    time.sleep(rest)
                peer_runs[short].append(bench(work, docs, locales))
                shutil.rmtree(work, ignore_errors=True)
                print(f"  {short}: {peer_runs[short][-1].seconds:.2f} s", flush=True)
        results = bench_pipeline(roots, docs, locales, jobs, STEPS[1:])
        for name in roots:
            results[name] = {"full build": median_run(fulls[name]), **results[name]}
        if watch:
            import statistics

            print(f"live preview (watch), {watch} saves of each kind, from the save to the page's news:")
            for name, (checkout, where) in roots.items():
                for step, values in bench_watch(checkout, where, docs, locales, watch).items():
                    print(f"  {name}: {step}: median {statistics.median(values):.2f}, "
                          f"each {' '.join(f'{v:.2f}' for v in values)}", flush=True)
            print(f"the command line with resident = true and no watch, {watch} saves of each kind:")
            for name, (checkout, where) in roots.items():
                if not (checkout / "handouts" / "resident.py").exists():
                    continue
                for step, values in bench_resident(checkout, where, docs, locales, watch).items():
                    print(f"  {name}: {step}: median {statistics.median(values):.2f}, "
                          f"each {' '.join(f'{v:.2f}' for v in values)}", flush=True)
        ours = results["handouts"]
        rows = [(f"handouts: {name}", run) for name, run in ours.items()]
        if base is not None:
            rows += [(f"base ({base}): {name}", run) for name, run in results["base"].items()]
        pairs = len(docs) * (len(locales) + 1)  # --long: fewer documents than --documents
        full = ours["full build"]
        others = []
        for short, long, _ in running:
            run = median_run(peer_runs[short])
            rows.append((long, run))
            others.append((short, run))
        print()
        if rounds > 1:
            print(f"full builds: the median of {rounds} runs each, by turns:")
            for name, runs in [*fulls.items(), *peer_runs.items()]:
                print(f"  {name}: {' '.join(f'{r.seconds:.2f}' for r in runs)} s")
            print()
        print(f"{'run':68} {'wall time':>10} {'peak memory':>12}")
        for name, run in rows:
            print(f"{name[:68]:68} {run.seconds:9.2f}s {run.peak / 2**20:10.0f} MB")
        print()
        print(f"full build: {pairs / full.seconds:.0f} (document, language) pairs per second, "
              f"{full.peak / 2**20 / pairs * 1024:.0f} KB of peak memory per pair")
        if base is not None:
            for step in STEPS:
                a, b = ours[step].seconds, results["base"][step].seconds
                print(f"{step}: {a:.2f} s against the base's {b:.2f} s ({b / a:.1f}× faster)")
        for name, run in others:
            print(f"full build is {run.seconds / full.seconds:.1f}× faster than {name}")
        if keep:
            print(f"kept: {tmp}")
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0
