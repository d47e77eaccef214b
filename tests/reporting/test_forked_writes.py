"""The run's Allure files written by forked children (conformance.reporting.forked): what the child
writes is on disk when it returns, a failed child is reported, and the writer falls back to
writing in its own process without writing a file twice."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from allure_commons import model2

from conformance.client.redact import Redactor, marker
from conformance.reporting import allure_results as ar
from conformance.forking import fork_available
from conformance.reporting.forked import run_in_child

pytestmark = pytest.mark.skipif(not fork_available(), reason="no os.fork on this platform")

SECRET = "Zm9vYmFyLXN1cGVyLXNlY3JldC12YWx1ZQ"


def _result(number: int) -> model2.TestResult:
    return model2.TestResult(uuid=f"u{number}", name=f"check {number} {SECRET}", fullName="m#f", status="passed")


@pytest.mark.parametrize("thread", ["main", "another"])
def test_a_child_runs_the_tasks_and_its_files_are_on_disk_when_it_returns(tmp_path, thread):
    parent = os.getpid()

    def write(number: int):
        return lambda: (tmp_path / f"{number}.txt").write_text(str(os.getpid()))

    if thread == "main":
        assert run_in_child([write(1), write(2)], limit_s=30)
    else:  # as the run's writer forks: from a thread of its own
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(run_in_child, [write(1), write(2)], 30).result()
    pids = {int((tmp_path / f"{n}.txt").read_text()) for n in (1, 2)}
    assert len(pids) == 1 and pids != {parent}  # one child wrote both


def test_a_task_that_raises_in_the_child_fails_the_batch(tmp_path):
    def boom() -> None:
        raise ValueError("no")

    assert not run_in_child([lambda: (tmp_path / "a").write_text("a"), boom], limit_s=30)
    assert (tmp_path / "a").exists()  # what came before was written; the caller writes the batch again


def test_no_child_when_fork_fails(tmp_path, monkeypatch):
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert not run_in_child([lambda: (tmp_path / "a").write_text("a")], limit_s=30)
    assert not (tmp_path / "a").exists()  # nothing ran: the caller writes the batch itself


def test_a_child_over_its_time_is_killed(tmp_path):
    started = time.monotonic()
    assert not run_in_child([lambda: time.sleep(30)], limit_s=1)
    assert time.monotonic() - started < 10


def _files(directory) -> dict[str, str]:
    return {p.name: p.read_text() for p in directory.iterdir()}


def test_the_run_writer_hands_full_batches_to_a_child_while_checks_run(tmp_path, monkeypatch):
    monkeypatch.setattr(ar, "CHILD_BATCH", 4)
    writer = ar.RedactingFileLogger(tmp_path, Redactor([SECRET]).redact_text, background=True)
    for number in range(4):
        writer.report_result(_result(number))
    deadline = time.monotonic() + 10
    while not writer.child_batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.child_batches == 1 and len(_files(tmp_path)) == 4  # written, nobody waiting, no flush
    writer.report_result(_result(4))  # a partial batch is held until the end of the run
    time.sleep(0.3)
    assert len(_files(tmp_path)) == 4
    writer.flush()
    texts = _files(tmp_path)
    assert len(texts) == 5 and not [name for name, text in texts.items() if SECRET in text]
    assert all(marker(SECRET) in text for text in texts.values())


def test_a_batch_no_child_could_write_is_written_by_the_run_once(tmp_path, monkeypatch):
    monkeypatch.setattr(ar, "CHILD_BATCH", 3)
    parent = os.getpid()
    redactor = Redactor([SECRET])

    def redact(text: str) -> str:  # fails in any process but the run's, after the first file
        if os.getpid() != parent and "check 1" in text:
            raise OSError("disk full")
        return redactor.redact_text(text)

    writer = ar.RedactingFileLogger(tmp_path, redact, background=True)
    for number in range(3):
        writer.report_result(_result(number))
    writer.flush()
    results = sorted(p.name for p in tmp_path.iterdir())
    assert len(results) == 3 and not [name for name in results if name.endswith(".tmp")]  # each once
    assert writer.child_batches == 0
    writer.report_result(_result(3))  # no more children: written here, from the end of the run on
    writer.flush()
    assert len(list(tmp_path.iterdir())) == 4
