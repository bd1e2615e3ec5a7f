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
"""Set by the command line when this process ends with its command."""


def loaded() -> None:
    """Called when a long-lived load is done: in a one-run process, what is there is kept out of the
    collector's passes from now on."""
    if one_run:
        gc.freeze()
