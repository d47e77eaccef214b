"""What a run keeps is frozen out of the cyclic collector's walks after a full collection, young
garbage is collected first, and everything is unfrozen when the run ends
(:mod:`conformance.harness.heap`)."""

from __future__ import annotations

import gc
import weakref

import pytest

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
    """Forces a full collection as each check ends; records what is frozen when the next starts."""

    def __init__(self) -> None:
        self.frozen_at_start: list[int] = []

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        self.frozen_at_start.append(gc.get_freeze_count())

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        gc.collect()


def test_a_run_freezes_what_it_keeps_and_unfreezes_it_at_its_end():
    assert gc.get_freeze_count() == 0
    probe = _FullCollectionAfterEachCheck()
    with ReferenceServer() as srv:
        result = runner.run_suite(srv.profile_path, only={"DCR-REG-001", "DCR-REG-002"}, plugins=[probe])
    assert result.exit_code == 0, result.output_tail
    assert len(probe.frozen_at_start) >= 2
    assert all(count > 0 for count in probe.frozen_at_start[1:]), probe.frozen_at_start
    assert gc.get_freeze_count() == 0  # the run is over: nothing left frozen in this process
