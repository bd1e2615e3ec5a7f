"""The cyclic garbage collector in a run that ends with its command.

A run loads tens of thousands of records that live until it ends: the build's state (a record per
handout and per catalog), the repair's resources.  Python's collector rescans them at every full
pass, and at 1,000 documents × 16 languages those passes were a quarter of a no-op run.  A command
run once from the command line therefore moves what it has loaded out of the collector's sight
(``gc.freeze``) once it is loaded; what it makes afterwards is collected as usual.

A process that lives on (``watch``, its resident, ``review``) does not: it loads the state again for
every build, and freezing each time would keep every cycle made in between until it ends.
"""
import gc

one_run = False
"""Set (``run_once``) by the command line when this process ends with its command."""


def run_once() -> None:
    """This process ends with its command: what it loads is frozen when loaded (``loaded``), and the
    youngest generation is collected every 10,000 allocations rather than 700 (a run makes many
    short-lived records, most of them freed by their count)."""
    global one_run
    one_run = True
    gc.set_threshold(10_000, 20, 10)


def loaded() -> None:
    """Called when a long-lived load is done, and before forking workers: in a one-run process,
    what is there is kept out of the collector's passes from now on (the workers' too)."""
    if one_run:
        gc.freeze()
