"""Command line: ``python pipeline.py <command> ...``.

Errors in the user's input arrive here as HandoutsError and leave as
``path:line: error: message`` on stderr with exit code 2; nothing deeper in the
package prints or exits.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__, heap
from .documents import read_text, write_text
from .errors import HandoutsError
from .project import Project, Summary, review_rel, stale_message, unreviewed_message
from .repair import decisions, learning

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 on its own; keep its wording, no traceback
        self.print_usage(sys.stderr)
        raise SystemExit(f"{self.prog}: error: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pipeline.py",
        description="Turn English health-information texts into printable handouts in many languages.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-C", dest="root", metavar="DIR", default=".",
                        help="the project folder (with source/, locale/, output/); default: here")
    parser.add_argument("--min-translated", metavar="PERCENT", type=_percent, default=None,
                        help="print a language's handout only when at least PERCENT of its words are "
                             "translated (default: [tool.handouts] min-translated in pyproject.toml, else 80)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only errors and warnings: no progress, no summary, no list of files written")
    parser.add_argument("-j", "--jobs", metavar="N", type=_positive, default=None,
                        help="build up to N (document, language) pairs at once (default: the machine's cores)")
    parser.set_defaults(run=_cmd_all)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                     description="With no command: repair, update and build, then print a summary.")

    commands.add_parser(
        "update", help="write the .pot templates and update every locale's .po catalogs",
        description="Repair every source document, write locale/<doc>.pot and create or update "
                    "locale/<lang>/LC_MESSAGES/<doc>.po for every language in locale/LINGUAS.",
    ).set_defaults(run=_cmd_update)
    build = commands.add_parser(
        "build", help="render the HTML and plain-text handouts into output/",
        description="Render output/<lang>/<doc>.html and .txt for English and every locale, "
                    "and output/index.html, from the current catalogs.",
    )
    build.add_argument("--pdf", action="store_true",
                       help="also print output/<lang>/<doc>.pdf through headless Chromium")
    build.add_argument("--paper", choices=["A4", "Letter"], default="A4", help="page size (default A4)")
    build.add_argument("--large-print", action="store_true", default=None,
                       help="also build large-print handouts (<doc>.large.html: body text of 16 pt); "
                            "[tool.handouts] large-print = true in pyproject.toml does it every time")
    build.set_defaults(run=_cmd_build)
    status = commands.add_parser(
        "status", help="show how much of each document is translated in each language",
        description="Per document and language: translated, fuzzy and untranslated units and words, "
                    "and whether the handout will be printed; per document, the repair's flags and "
                    "statistical repairs no editor has decided, and stale decisions.",
    )
    status.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    status.set_defaults(run=_cmd_status)
    check = commands.add_parser(
        "check", help="run the named quality checks on every translation",
        description="Check every translation against its source (numbers, units, markup, links, "
                    "placeholders, plural forms, line breaks, negations, drug names; copied text, ending "
                    "punctuation, length and locale/<lang>/glossary.csv terms as warnings), and warn "
                    "about each repair no editor has reviewed and each stale decision. "
                    "Exit status 1 when an error is found.",
    )
    check.add_argument("--locale", metavar="LANG", action="append",
                       help="check only this language (may be repeated)")
    check.set_defaults(run=_cmd_check)
    init = commands.add_parser(
        "init", help="add a language (e.g. pt_BR) and create its catalogs",
        description="Add LANG to locale/LINGUAS and create its catalogs from the templates.",
    )
    init.add_argument("lang", metavar="LANG", help="a gettext locale code: es, pt_BR, zh_CN, ...")
    init.set_defaults(run=_cmd_init)

    watch = commands.add_parser(
        "watch", help="live preview: serve output/ and rebuild on every save",
        description="Build, serve output/ on http://127.0.0.1:PORT, rebuild what changed whenever a source, "
                    "catalog, glossary, template or the configuration is saved, and reload the open page. "
                    "A broken catalog shows its error in the terminal and on the page. Ctrl-C stops.",
    )
    watch.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000; 0: any free port)")
    watch.add_argument("--resident", action="store_true", help=argparse.SUPPRESS)  # started by the command line
    watch.set_defaults(run=_cmd_watch)

    stop = commands.add_parser(
        "stop", help="stop the resident process the command line started for this project",
        description="With [tool.handouts] resident = true, the command line starts a process that answers the "
                    "next commands quickly and ends by itself after resident-idle-minutes without one. This ends "
                    "it now. (A watch in a terminal is stopped there, with Ctrl-C.)",
    )
    stop.set_defaults(run=_cmd_stop)

    review = commands.add_parser(
        "review", help="review the repair in a browser: accept, keep or edit every flag and statistical repair",
        description="Serve, on http://127.0.0.1:PORT only, the source document as received with every flag and "
                    "statistical repair marked, its suggestions, and Accept / Keep original / Edit, by mouse or "
                    "by key. Each decision is written at once to source/<DOC>.review.toml, which every run "
                    "applies. With no DOC, a list of the documents and how much is left to review. Ctrl-C stops.",
    )
    review.add_argument("doc", metavar="DOC", nargs="?", help="a document's name (source/DOC.md); default: the list")
    review.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000; 0: any free port)")
    review.set_defaults(run=_cmd_review)

    tm = commands.add_parser(
        "tm", help="bring in a translation memory (TMX, PO, XLIFF), or export one as TMX",
        description="Translation memory: `tm import FILE` adds the translated pairs of a TMX 1.4, .po/.pot or "
                    "XLIFF file to locale/<lang>/memory.po, which every update uses to pre-fill new units "
                    "(fuzzy); `tm export` writes a language's translated units as TMX 1.4.",
    )
    tm_actions = tm.add_subparsers(dest="tm_action", metavar="ACTION", parser_class=_Parser, required=True)
    tm_import = tm_actions.add_parser(
        "import", help="add a TMX, PO or XLIFF file's translated pairs to locale/<lang>/memory.po",
        description="Read FILE with translate-toolkit (TMX 1.4: every configured language it holds, or only "
                    "--locale; PO and XLIFF: the language it declares, or --locale) and add its translated, "
                    "non-fuzzy pairs to locale/<lang>/memory.po. A pair whose English is already there takes "
                    "the new translation.",
    )
    tm_import.add_argument("file", metavar="FILE", help="a .tmx, .po, .pot, .xlf or .xliff file")
    tm_import.add_argument("--locale", metavar="LANG", help="import this language only (PO, XLIFF: its language)")
    tm_import.set_defaults(run=_cmd_tm_import)
    tm_export = tm_actions.add_parser(
        "export", help="write a language's translated, non-fuzzy units as TMX 1.4",
        description="Write every translated, non-fuzzy unit of LANG's catalogs as a TMX 1.4 file, for an "
                    "agency's memory (each English text once; the document in a note).",
    )
    tm_export.add_argument("--locale", metavar="LANG", required=True, help="the language to export")
    tm_export.add_argument("-o", "--output", metavar="FILE.tmx", required=True, help="the file to write")
    tm_export.set_defaults(run=_cmd_tm_export)

    fix = commands.add_parser(
        "fix",
        help="repair machine-spun English in FILE",
        description=(
            "Repair the wording of an article spinner in FILE. The repaired text goes to "
            "stdout, a report of every repair and every suspicion to stderr. The editor's decisions "
            "in <FILE stem>.review.toml beside FILE are applied, and the repair learns from every "
            "*.review.toml beside FILE."
        ),
    )
    fix.add_argument("file", metavar="FILE", help="a UTF-8 text or Markdown file")
    out = fix.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print one JSON object {text, fixes, flags} on stdout instead")
    out.add_argument("--write", action="store_true",
                     help="rewrite FILE in place (atomically); the report still goes to stderr")
    out.add_argument("-i", "--interactive", action="store_true",
                     help="review each flag and statistical repair not yet decided, one key each "
                          "(a/Enter accept, 1-9 pick, k keep, e edit, s skip, q quit); every decision is "
                          "saved at once in <FILE stem>.review.toml")
    fix.set_defaults(run=_cmd_fix)
    return parser


def main(argv: Sequence[str] | None = None, root: Path | None = None, ran: list | None = None,
         once: bool = False) -> int:
    """The command line; ``root`` and ``ran``: a command run by a watch for it (``run_for_watch``);
    ``once``: this process ends with the command (``python pipeline.py``; ``heap.run_once``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return EXIT_USAGE
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if root is not None:
        args.root = root  # the project as the watch spells it
    args.ran = ran
    if once and ran is None and args.run not in (_cmd_watch, _cmd_review):
        heap.run_once()
    try:
        return args.run(args)
    except HandoutsError as exc:
        print(exc, file=sys.stderr)
        if ran is not None:
            ran.append(exc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run_for_watch(argv: Sequence[str], root: Path) -> tuple[int, str, str, Summary | HandoutsError | None]:
    """A command of ``python pipeline.py`` run by a watch in its own process (``resident``): its exit
    status, what it printed on stdout and on stderr, and its run's summary (or the error it stopped at)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", write_through=True)
    ran: list = []
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv, root, ran)
    return (code, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8"),
            ran[-1] if ran else None)


def _ran(args: argparse.Namespace, summary: Summary) -> Summary:
    if getattr(args, "ran", None) is not None:
        args.ran.append(summary)
    return summary


# ---------------------------------------------------------------------------


def _write_stdout(text: str) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _cmd_fix(args: argparse.Namespace) -> int:
    path = Path(args.file)
    original = read_text(args.file)
    learned = learning.learn(path.parent)
    from .repair.engine import repair

    automatic = repair(original, learned=learned)
    review = decisions.path_for(path)
    if args.interactive:
        from .terminal import review as review_in_terminal

        review_in_terminal(args.file, original, automatic, review)
        return EXIT_OK
    applied = decisions.apply(original, automatic, decisions.load(review))
    result = applied.result
    if args.json:
        _write_stdout(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
        return EXIT_OK
    if args.write:
        write_text(args.file, result.text)
    else:
        _write_stdout(result.text)
    from .repair.report import format_report

    sys.stderr.write(format_report(args.file, original, result, applied.decided, applied.stale, str(review)))
    return EXIT_OK


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _percent(value: str) -> int:
    try:
        number = int(value.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 0 <= number <= 100:
        raise argparse.ArgumentTypeError(f"must be from 0 to 100, not {number}")
    return number


def _project(args: argparse.Namespace) -> Project:
    return Project(args.root, args.min_translated, args.jobs, getattr(args, "large_print", None))


def _progress(args: argparse.Namespace):
    """A progress bar on a terminal for builds that take more than a moment; nothing otherwise."""
    if args.quiet or not sys.stderr.isatty():
        return None

    def start(total: int):
        from tqdm import tqdm

        delay = float(os.environ.get("HANDOUTS_PROGRESS_DELAY", "0.5"))
        size = shutil.get_terminal_size()  # a terminal that reports no size is taken as 80 × 24
        return tqdm(total=total, desc="building", unit="document", delay=delay, leave=False, file=sys.stderr,
                    ncols=size.columns, nrows=size.lines)
    return start


def _cmd_update(args: argparse.Namespace) -> int:
    project = _project(args)
    with project.lock():
        summary = _ran(args, project.run(("update",)))
    _print_written(project, summary, args.quiet)
    return EXIT_OK


def _cmd_build(args: argparse.Namespace) -> int:
    project = _project(args)
    with project.lock():
        summary = _ran(args, project.run(("build",), paper=args.paper, pdf=args.pdf, progress=_progress(args)))
    _print_written(project, summary, args.quiet)
    _print_rejected(summary)
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    project = _project(args)
    with project.lock():
        project.check_review()  # the update below would stop: change nothing, not even LINGUAS
        written = project.init(args.lang)
        summary = project.run(("update",))
        summary.written[:0] = written
    _print_written(project, summary, args.quiet)
    print(f"{args.lang}: ready; translators edit {project.rel(project.locale)}/{args.lang}/LC_MESSAGES/*.po",
          file=sys.stderr)
    return EXIT_OK


def _cmd_watch(args: argparse.Namespace) -> int:
    from .watch import watch

    project = _project(args)
    project.sources()  # a project without documents is an error now, not a blank page
    idle = None
    if args.resident:
        from .resident import IDLE_MINUTES

        idle = 60 * (project.resident_idle_minutes or IDLE_MINUTES)
    return watch(lambda: _project(args), project.root, port=args.port, quiet=args.quiet, commands=run_for_watch,
                 idle=idle)


def _cmd_stop(args: argparse.Namespace) -> int:
    from .resident import stop

    said = stop(args.root)
    if said is None:
        print("no resident process runs for this project", file=sys.stderr)
    elif said == "stopped":
        print("stopped the resident process for this project", file=sys.stderr)
    else:
        print(f"not stopped: {said}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _cmd_review(args: argparse.Namespace) -> int:
    from .review import serve

    name = args.doc.removesuffix(".md") if args.doc else None
    return serve(_project(args).root, name, port=args.port)

def _cmd_tm_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import locales, memory

    project = _project(args)
    if args.locale:
        locales.check_locale(args.locale, "--locale")
    with project.lock():
        done = memory.import_file(project.locale, project.locales(), Path(args.file), args.file, args.locale,
                                  project.rel)
    for report in done:
        target = project.rel(memory.memory_path(project.locale, report.code))
        print(f"{target}: {report.added} added, {report.replaced} replaced, {report.same} already there",
              file=sys.stderr)
    return EXIT_OK


def _cmd_tm_export(args: argparse.Namespace) -> int:
    from . import locales, memory

    project = _project(args)
    locales.check_locale(args.locale, "--locale")
    if args.locale not in project.locales():
        raise HandoutsError("--locale", f"{args.locale} is not configured in locale/LINGUAS")
    folder = project.locale / args.locale / "LC_MESSAGES"
    domains = sorted(p.stem for p in folder.glob("*.po")) if folder.is_dir() else []
    data, count = memory.export_tmx(project.locale, args.locale, domains, project.rel, shown=str(args.output))
    write_text(args.output, data.decode("utf-8"))
    if not args.quiet:
        print(f"{args.output}: {count} units in {args.locale}", file=sys.stderr)
    return EXIT_OK


def _cmd_all(args: argparse.Namespace) -> int:
    project = _project(args)
    with project.lock():
        summary = _ran(args, project.run(progress=_progress(args)))
    _print_rejected(summary)
    if not args.quiet:
        print(format_summary(project, summary))
    return EXIT_OK


def _print_rejected(summary: Summary) -> None:
    """Translations kept out of a handout because an error-level check failed."""
    for tr in summary.translated.values():
        for path, line, _msgid, problems in tr.rejected:
            for p in problems:
                print(f"{path}:{line}: error: {p.check}: {p.message} (not printed; shown in English)",
                      file=sys.stderr)


def _print_written(project: Project, summary: Summary, quiet: bool = False) -> None:
    if quiet:
        return
    for path in summary.written:
        print(f"wrote {project.rel(path)}", file=sys.stderr)


def format_summary(project: Project, summary: Summary) -> str:
    lines = []
    names = []
    for path, doc in summary.documents:
        name = path.rsplit("/", 1)[-1].removesuffix(".md")
        names.append(name)
        lines.append(f"{path}: repaired {doc.fixes} places, {doc.flags} flagged for review "
                     f"(report: {project.rel(project.output)}/repair/{name}.txt); {doc.units} units")
        if doc.unreviewed:
            lines.append(f"{path}: {doc.unreviewed} flag(s) or statistical repair(s) not reviewed yet: "
                         f"python pipeline.py fix -i {path}")
    for name in names:
        shares, skipped = [], []
        for code in summary.locales:
            tr = summary.translated.get((name, code))
            if tr is None:
                continue
            shares.append(f"{code} {tr.share}%")
            if tr.share < project.min_translated:
                skipped.append(code)
        lines.append(f"{name}: translated " + ", ".join(shares))
        for code in skipped:
            tr = summary.translated[(name, code)]
            lines.append(f"{name}: no {code} handout: {tr.share}% of its words are translated, "
                         f"{project.min_translated}% needed")
    lines.append(f"{len(summary.documents)} document(s) in {len(summary.locales)} language(s); "
                 f"{summary.rebuilt} handout(s) built, the others up to date; {len(summary.written)} file(s) changed")
    lines.append(f"handouts: {project.rel(project.output)}/index.html")
    return "\n".join(lines)


def _cmd_status(args: argparse.Namespace) -> int:
    from . import glossary

    project = _project(args)
    docs = project.documents()
    rows = []
    terms = {code: glossary.load(project.locale, code, project.rel) for code in project.locales()}
    inconsistent = _inconsistencies(project, [d.name for d in docs])
    for doc in docs:
        for code in project.locales():
            tr = project.translations(code, doc)
            used, followed = glossary.coverage(terms[code], tr.table.items())
            rows.append({
                "document": doc.name, "locale": code,
                "units": {"translated": tr.units_done, "fuzzy": tr.units_fuzzy,
                          "untranslated": tr.total_units - tr.units_done - tr.units_fuzzy, "total": tr.total_units},
                "words": {"translated": tr.words_done, "fuzzy": tr.words_fuzzy,
                          "untranslated": tr.total_words - tr.words_done - tr.words_fuzzy, "total": tr.total_words},
                "rejected": len(tr.rejected),
                "share": tr.share,
                "printed": tr.share >= project.min_translated,
                "glossary": {"terms": len(terms[code]), "used": used, "followed": followed},
                "inconsistent": inconsistent.get((code, doc.name), {"translated_differently": 0,
                                                                    "shared_translation": 0}),
            })
    review = [{
        "document": doc.name,
        "unreviewed": [{"line": i.line, "column": i.column, "text": i.before, "kind": i.kind, "layer": i.layer,
                        "reason": i.reason, "suggestions": list(i.suggestions)} for i in doc.unreviewed],
        "stale": [{"file": review_rel(doc), "line": d.origin, "source_line": d.line, "before": d.before}
                  for d in doc.stale],
    } for doc in docs]
    if args.json:
        _write_stdout(json.dumps({"min_translated": project.min_translated, "require_review": project.require_review,
                                  "catalogs": rows, "review": review}, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    header = (f"{'document':14} {'lang':6} {'units done/fuzzy/todo':>22} {'words done/fuzzy/todo':>22} "
              f"{'share':>6} {'glossary':>9}  printed")
    lines = [header]
    for r in rows:
        u, w, g = r["units"], r["words"], r["glossary"]
        printed = "yes" if r["printed"] else f"no (needs {project.min_translated}%)"
        terms_used = f"{g['followed']}/{g['used']}" if g["terms"] else "-"
        lines.append(f"{r['document']:14} {r['locale']:6} "
                     f"{u['translated']:>10}/{u['fuzzy']}/{u['untranslated']:<9} "
                     f"{w['translated']:>10}/{w['fuzzy']}/{w['untranslated']:<9} {r['share']:>5}% {terms_used:>9}  {printed}")
    lines.append("glossary: uses of a glossary term in the translated English / how many follow the glossary")
    for code in project.locales():
        counts = [r["inconsistent"] for r in rows if r["locale"] == code]
        differently = sum(c["translated_differently"] for c in counts)
        shared = sum(c["shared_translation"] for c in counts)
        if differently or shared:
            lines.append(f"consistency: {code}: {differently} unit(s) translated differently elsewhere, "
                         f"{shared} translation(s) that also stand for other English (see check)")

    lines.append("")
    lines.append("review: flags and statistical repairs no editor has decided"
                 + (" (require-review: the catalogs wait for them)" if project.require_review else ""))
    for doc, r in zip(docs, review):
        stale = f", {len(r['stale'])} stale decision(s)" if r["stale"] else ""
        hint = f"  (python pipeline.py fix -i {doc.path})" if r["unreviewed"] else ""
        lines.append(f"{doc.name}: {len(r['unreviewed'])} not reviewed{stale}{hint}")
        for item in doc.unreviewed:
            hint = f'; suggestion: "{item.suggestions[0]}"' if item.suggestions else ""
            lines.append(f'  {doc.path}:{item.line}:{item.column}: "{item.before}"{hint}')
        for d in doc.stale:
            lines.append(f"  {review_rel(doc)}:{d.origin}: {stale_message(doc, d)}")
    _write_stdout("\n".join(lines) + "\n")
    return EXIT_OK


def _inconsistencies(project: Project, names: list[str]) -> dict[tuple[str, str], dict[str, int]]:
    """(language, document) -> how many of its translations disagree with the language's others."""
    from . import catalogs, consistency

    counts: dict[tuple[str, str], dict[str, int]] = {}
    for code in project.locales():
        places, owner = [], {}
        for name in names + [catalogs.UI_DOMAIN]:
            path = catalogs.po_path(project.locale, code, name)
            po = catalogs.load(path, project.rel(path))
            if po is not None:
                owner[project.rel(path)] = name
                places += consistency.places(po, project.rel(path))
        for found in consistency.find(places):
            row = counts.setdefault((code, owner[found.here.path]), {"translated_differently": 0,
                                                                      "shared_translation": 0})
            row[found.kind.replace("-", "_")] += 1
    return counts


def _cmd_check(args: argparse.Namespace) -> int:
    from . import catalogs, checks, consistency, glossary, locales

    project = _project(args)
    codes = project.locales()
    for code in args.locale or []:
        locales.check_locale(code, "--locale")
        if code not in codes:
            raise HandoutsError("--locale", f"{code} is not configured in locale/LINGUAS")
    wanted = args.locale or codes
    docs = project.documents()
    domains = [d.name for d in docs] + [catalogs.UI_DOMAIN]
    errors = warnings = 0
    for doc in docs:  # the source side first: what no editor has decided yet
        for item in doc.unreviewed:
            warnings += 1
            print(f"{doc.path}:{item.line}: warning: {unreviewed_message(item)}", file=sys.stderr)
        for d in doc.stale:
            warnings += 1
            where = f"{review_rel(doc)}:{d.origin}" if d.origin else review_rel(doc)
            print(f"{where}: warning: {stale_message(doc, d)}", file=sys.stderr)
    for code in wanted:
        terms = glossary.load(project.locale, code, project.rel)
        places = []
        for domain in domains:
            path = catalogs.po_path(project.locale, code, domain)
            po = catalogs.load(path, project.rel(path))
            if po is None:
                continue
            places += consistency.places(po, project.rel(path))
            for entry in po.entries:
                for problem in checks.check_entry(entry, code, po.nplurals, terms):
                    if problem.level == checks.ERROR:
                        errors += 1
                    else:
                        warnings += 1
                    print(f"{project.rel(path)}:{entry.linenum}: {problem.level}: {problem.check}: {problem.message}",
                          file=sys.stderr)
        for found in consistency.find(places):  # across the language's catalogs
            warnings += 1
            print(f"{found.here.path}:{found.here.line}: warning: {found.message}", file=sys.stderr)
    print(f"{errors} error(s), {warnings} warning(s) in {len(wanted)} language(s)", file=sys.stderr)
    return EXIT_PROBLEMS if errors else EXIT_OK
