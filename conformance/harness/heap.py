"""What a run keeps, kept out of the cyclic garbage collector's way (``gc.freeze``).

A run keeps every exchange and its capture until the reports are written: a full run against the
reference server ends with about 275,000 objects that CPython's cyclic collector tracks. Each full
collection walks all of them: six during a run, up to 240 ms each, 680–860 ms of the run's main
thread (measured with ``gc.callbacks``; 264–267 ms with this). What survives a full collection is,
nearly all of it, what the run keeps to its end. So at the end of the first check after a full
collection (the check's own objects gone by then, its young cycles collected) everything alive is
frozen: later collections walk only what is newer. Everything is unfrozen again once the run is
over, after pytest's own last collections (its unraisable-exception plugin collects twice as a
session ends, which walked everything a full run kept: 420 ms), by a cleanup of the run's
configuration registered before that plugin's. The ``dcr-conformance`` command freezes everything
again just before it exits (:func:`conformance.cli.console`): the interpreter's last collection
would walk it all (0.9 s).

Bounded: an object frozen at the end of a check that later becomes part of an unreachable cycle
is freed only after the run (by reference counting, anything not in a cycle is freed at once as
ever). Only the objects alive at the end of a check are frozen, at most once per full collection.
"""

from __future__ import annotations

import gc


def _full_collections() -> int:
    return gc.get_stats()[-1]["collections"]


class KeptHeap:
    """Freezes what survived the collector's last full collection, at the end of a check."""

    def __init__(self) -> None:
        self._seen = _full_collections()
        self.freezes = 0
        self.active = False

    def start(self) -> None:
        self.active = True
        self._seen = _full_collections()

    def after_check(self) -> None:
        """Call between checks: freeze what is alive if a full collection ran since the last time."""
        if not self.active or not gc.isenabled() or _full_collections() == self._seen:
            return
        gc.collect(1)  # the young generations' garbage is not frozen with the rest
        gc.freeze()
        self.freezes += 1
        self._seen = _full_collections()

    def stop(self) -> None:
        """The run is over: the collector walks everything again."""
        if self.active:
            self.active = False
            gc.unfreeze()
