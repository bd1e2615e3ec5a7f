"""The cyclic garbage collector: in a command run once, and in a watch between builds.

A run loads tens of thousands of records that live until it ends: the build's state (a record per
handout and per catalog), the repair's resources.  Python's collector rescans them at every full
pass, and at 1,000 documents × 16 languages those passes were a quarter of a no-op run.  A command
run once from the command line therefore moves what it has loaded out of the collector's sight
(``gc.freeze``) once it is loaded; what it makes afterwards is collected as usual.

A process that lives on (``watch``, its resident) keeps the state and what it read between builds;
it settles after each build instead (``settle``): what survived the build is frozen until the next
one, and everything is collected again now and then, so that no cycle is kept for good.
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys

one_run = False
"""Set (``run_once``) by the command line when this process ends with its command."""


def run_once() -> None:
    """This process ends with its command: what it loads is frozen when loaded (``loaded``), and the
    youngest generation is collected every 10,000 allocations rather than 700 (a run makes many
    short-lived records, most of them freed by their count)."""
    global one_run
    one_run = True
    gc.set_threshold(10_000, 20, 10)


def end(code: int):
    """``python pipeline.py`` ends here with ``code``.  A process that ran its command once
    (``run_once``) ends as soon as what it printed is flushed, without freeing its objects one by one:
    the repair's resources, the state and the catalogs are a million of them, and the interpreter's
    clean-up took 0.02 s of a one-second full build.  Every file the pipeline writes is closed (and
    renamed into place) by then, and its worker processes are joined.  Anything else (a command a
    watch answered, a flush that fails) ends as usual, so that the interpreter reports it."""
    if one_run and isinstance(code, int) and 0 <= code <= 255:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise SystemExit(code) from None
        os._exit(code)
    raise SystemExit(code)


def loaded() -> None:
    """Called when a long-lived load is done, and before forking workers: in a one-run process,
    what is there is kept out of the collector's passes from now on (the workers' too)."""
    if one_run:
        gc.freeze()


@contextlib.contextmanager
def paused(keep: bool = False):
    """The collector paused while tens of thousands of objects are made, none of them garbage (a
    catalog parsed, the state or a resource unpickled, a repair's short-lived tuples): its passes
    would walk everything made so far again and again.  ``keep``: what was made lives until the
    run ends (``loaded``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            loaded()
        if enabled:
            gc.enable()


def forked_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` forked processes, which share this one's pages; what they inherit is
    first kept out of the collector's passes (``loaded``)."""
    import concurrent.futures  # not at import: ``python pipeline.py`` imports this module first, also to
    import multiprocessing  # ... have a watch run its command (``resident``), which needs neither

    loaded()
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


FULL_EVERY = 10
"""``settle`` collects everything, frozen or not, once in this many builds."""

_settled = 0


def settle() -> None:
    """In a process that lives on (``watch``), once a build is done and its news is out: what
    survived it is moved out of the collector's passes (``gc.freeze``), so that the next build's
    passes walk only what that build makes, not the state, digests and listings kept between builds
    (0.15 to 0.3 s of a 1 to 1.7 s build at 1,000 × 16).  What the build dropped is collected first
    (a pass over what it made); every ``FULL_EVERY`` builds the frozen objects are collected too, so
    that a cycle among what was kept and later dropped is freed."""
    global _settled
    _settled += 1
    if _settled % FULL_EVERY == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
