"""What a run keeps is frozen out of the cyclic collector's walks after a full collection, young
garbage is collected first, everything is unfrozen when the run ends (after pytest's own last
collections), and the command exits with everything frozen (:mod:`conformance.harness.heap`)."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from conformance.cli import EXIT_USAGE
from conformance.harness.heap import KeptHeap
from conformance.server import ReferenceServer
from tests.selftest import runner


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture
def no_automatic_collection():
    """Only the collections the test makes (and nothing frozen before or after it)."""
    assert gc.get_freeze_count() == 0
    threshold = gc.get_threshold()
    gc.set_threshold(10 ** 9)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def test_freezes_at_the_end_of_a_check_only_after_a_full_collection(no_automatic_collection):
    heap = KeptHeap()
    heap.after_check()
    assert gc.get_freeze_count() == 0 and heap.freezes == 0  # not started: never freezes
    heap.start()
    heap.after_check()
    assert gc.get_freeze_count() == 0  # no full collection since the start
    gc.collect()
    kept = _Node()
    heap.after_check()
    assert gc.get_freeze_count() > 0 and heap.freezes == 1
    assert not any(obj is kept for obj in gc.get_objects())  # frozen: no generation walks it
    heap.after_check()
    assert heap.freezes == 1  # the same full collection does not freeze twice
    gc.collect()
    heap.after_check()
    assert heap.freezes == 2
    heap.stop()
    assert gc.get_freeze_count() == 0
    assert any(obj is kept for obj in gc.get_objects())  # the collector walks it again


def test_young_garbage_is_collected_before_the_freeze(no_automatic_collection):
    heap = KeptHeap()
    heap.start()
    gc.collect()
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage  # unreachable, but in a cycle: still there until a collection
    assert gone() is not None
    heap.after_check()
    assert gone() is None and heap.freezes == 1
    heap.stop()


def test_disabled_collector_is_left_alone(no_automatic_collection):
    heap = KeptHeap()
    heap.start()
    gc.collect()
    gc.disable()
    try:
        heap.after_check()
    finally:
        gc.enable()
    assert gc.get_freeze_count() == 0 and heap.freezes == 0
    heap.stop()


class _FullCollectionAfterEachCheck:
    """Forces a full collection as each check ends; records what is frozen when the next starts,
    and at each full collection from pytest_unconfigure on (pytest's own at the end of a run)."""

    def __init__(self) -> None:
        self.frozen_at_start: list[int] = []
        self.frozen_at_last_collections: list[int] = []

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        self.frozen_at_start.append(gc.get_freeze_count())

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        gc.collect()

    def pytest_unconfigure(self, config) -> None:
        gc.callbacks.append(self._on_collection)
        gc.collect()  # one at least, whatever pytest's version does after it

    def _on_collection(self, phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            self.frozen_at_last_collections.append(gc.get_freeze_count())


def test_a_run_freezes_what_it_keeps_and_unfreezes_it_at_its_end():
    assert gc.get_freeze_count() == 0
    probe = _FullCollectionAfterEachCheck()
    try:
        with ReferenceServer() as srv:
            result = runner.run_suite(srv.profile_path, only={"DCR-REG-001", "DCR-REG-002"}, plugins=[probe])
    finally:
        if probe._on_collection in gc.callbacks:
            gc.callbacks.remove(probe._on_collection)
    assert result.exit_code == 0, result.output_tail
    assert len(probe.frozen_at_start) >= 2
    assert all(count > 0 for count in probe.frozen_at_start[1:]), probe.frozen_at_start
    # the full collections as the run ends (pytest's unraisable-exception plugin's too) skip what the run kept
    assert probe.frozen_at_last_collections and all(count > 0 for count in probe.frozen_at_last_collections), \
        probe.frozen_at_last_collections
    assert gc.get_freeze_count() == 0  # the run is over: nothing left frozen in this process


def test_the_command_exits_with_what_it_kept_frozen():
    """``dcr-conformance`` (:func:`conformance.cli.console`) freezes everything before it exits:
    the interpreter's last collection walks none of it. Its exit status is main's."""
    script = ("import atexit, gc, sys\n"
              "atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
              "from conformance.cli import console\n"
              "sys.argv = ['dcr-conformance', 'run', '--variant', 'no-such-variant']\n"
              "console()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == EXIT_USAGE, done.stderr[-2000:]
    frozen = int(done.stdout.rsplit("frozen", 1)[1])
    assert frozen > 10_000, done.stdout[-500:]  # the interpreter's modules and more
