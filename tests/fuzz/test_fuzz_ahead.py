"""Examples generated ahead in a child process (conformance.fuzz.ahead, run_property(ahead=True)):
the same examples in the same order as in-process, a failure found, shrunk and saved as
in-process, and an in-process run whenever no child can generate."""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from conformance.client.fields import OMIT
from conformance.fuzz import ahead as ahead_module
from conformance.fuzz.ahead import Ahead, GeneratorUnavailable
from conformance.fuzz.budget import Budget
from conformance.fuzz.run import run_property
from conformance.fuzz.strategies import assertion_cases, registration_payloads
from conformance.oracles.failures import CheckFailure
from conformance.profile.model import TemplateSection

pytestmark = pytest.mark.skipif(not ahead_module.fork_available(), reason="needs fork")

QUIET = settings(max_examples=120, database=None, deadline=None, derandomize=False,
                 suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate, Phase.target))
TEMPLATE = TemplateSection(software_id="fuzz-template", scope="read write", grant_types=("client_credentials",))


def in_process(strategy, chosen: int) -> list:
    seen: list = []

    @seed(chosen)
    @QUIET
    @given(value=strategy)
    def record(value) -> None:
        seen.append(value)

    record()
    return seen


#: The strategies DCR-FUZZ-001 and DCR-FUZZ-002 draw ahead (clients: what assertion_cases reads of them).
AHEAD_STRATEGIES = {
    "registration payloads": lambda: registration_payloads(TEMPLATE),
    "assertion cases": lambda: assertion_cases({
        "es256": SimpleNamespace(auth_method="private_key_jwt", alg="ES256"),
        "hs256": SimpleNamespace(auth_method="client_secret_jwt", alg=None)}),
}


@pytest.mark.parametrize("name", sorted(AHEAD_STRATEGIES))
def test_the_child_draws_the_examples_an_in_process_run_draws_in_the_same_order(name):
    strategy = AHEAD_STRATEGIES[name]()
    with Ahead(seed(1234), QUIET, {"value": strategy}) as examples:
        ahead = [values["value"] for values in examples]
    expected = in_process(strategy, 1234)
    assert len(ahead) == len(expected) == 120
    assert [p.describe() for p in ahead] == [p.describe() for p in expected]


def test_omit_crosses_the_pipe_as_itself():
    """Payloads remove a member with ``OMIT``, tested with ``is``."""
    assert pickle.loads(pickle.dumps({"jti": OMIT}))["jti"] is OMIT


def test_the_fork_leaves_the_collector_as_it_found_it():
    """The heap is frozen for the fork only; what a conformance run froze before stays frozen
    (conformance.harness.heap unfreezes it at the run's end)."""
    assert gc.get_freeze_count() == 0
    with Ahead(seed(1), settings(QUIET, max_examples=3), {"value": st.integers()}) as examples:
        assert len(list(examples)) == 3
    assert gc.get_freeze_count() == 0
    kept = [object()]
    gc.freeze()
    try:
        with Ahead(seed(1), settings(QUIET, max_examples=3), {"value": st.integers()}) as examples:
            assert len(list(examples)) == 3
        assert not any(obj is kept for obj in gc.get_objects())  # still frozen
    finally:
        gc.unfreeze()


def test_the_child_is_ended_when_the_parent_stops_reading():
    with Ahead(seed(1), settings(QUIET, max_examples=10_000), {"value": st.integers()}) as examples:
        first = next(iter(examples))
        process = examples._process
        assert process.is_alive()
    assert isinstance(first["value"], int)
    assert not process.is_alive()


def test_a_silent_child_is_given_up_in_bounded_time():
    parent = os.getpid()
    slow = st.integers().map(lambda v: v if os.getpid() == parent else time.sleep(5) or v)  # slow in the child
    started = time.monotonic()
    with pytest.raises(GeneratorUnavailable, match="silent"):
        with Ahead(seed(1), QUIET, {"value": slow}, silence_s=0.3) as examples:
            list(examples)
    assert time.monotonic() - started < 4


def _budget(tmp_path: Path | None = None, **kw) -> Budget:
    return Budget(examples=kw.pop("examples", 120), database=tmp_path, **kw)


def test_a_failure_found_ahead_is_shrunk_in_process_and_saved(tmp_path):
    calls: list[int] = []

    def body(value: int) -> None:
        calls.append(value)
        if value >= 1000:
            raise CheckFailure(f"too big: {value}")

    with pytest.raises(CheckFailure) as caught:
        run_property(_budget(tmp_path / "db"), body, ahead=True, value=st.integers(min_value=0))
    assert "too big: 1000" in str(caught.value)  # shrunk to the boundary
    assert "flaky" not in str(caught.value)
    assert "fuzz seed" in str(caught.value)  # a random run names the seed that reproduces it
    assert any((tmp_path / "db").rglob("*")), "the minimal failure is saved in the example database"

    # the next run replays the saved failure first, before anything is generated
    calls.clear()
    with pytest.raises(CheckFailure, match="too big: 1000"):
        run_property(_budget(tmp_path / "db"), body, ahead=True, value=st.integers(min_value=0))
    assert calls[0] == 1000


def test_a_failure_that_does_not_come_back_in_process_is_reported_as_flaky():
    state = {"ahead": True}

    def body(value: int) -> None:
        if state["ahead"] and value > 10:
            state["ahead"] = False  # only this once: the in-process replay will not see it
            raise CheckFailure(f"once: {value}")

    with pytest.raises(CheckFailure, match="flaky") as caught:
        run_property(_budget(derandomize=True), body, ahead=True, value=st.integers(min_value=0))
    assert "once:" in str(caught.value)


def test_derandomized_runs_draw_the_same_examples_every_time():
    runs = []
    for _ in range(2):
        seen: list[int] = []
        run_property(_budget(derandomize=True, examples=50), lambda value: seen.append(value), ahead=True, value=st.integers())
        runs.append(seen)
    assert runs[0] == runs[1]
    assert len(runs[0]) == 50


def test_without_fork_the_examples_run_in_process(monkeypatch):
    monkeypatch.setattr(ahead_module, "fork_available", lambda: False)
    seen: list[int] = []
    run_property(_budget(examples=30), lambda value: seen.append(value), ahead=True, value=st.integers())
    assert len(seen) == 30


def test_the_child_ends_when_its_parent_is_killed(tmp_path):
    """A parent killed outright (SIGKILL: no cleanup runs) leaves no generator behind: the child's
    next write finds the pipe closed."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys\n"
        "from hypothesis import seed, settings, strategies as st\n"
        "from conformance.fuzz.ahead import Ahead\n"
        "ahead = Ahead(seed(1), settings(max_examples=10**6, database=None), {'value': st.integers()})\n"
        "examples = iter(ahead)\n"
        "next(examples)\n"
        "print(ahead._process.pid, flush=True)\n"
        "sys.stdin.read()\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the generator outlived its parent"
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended (its parent is gone, init reaps it)


@pytest.mark.parametrize("name", ["SIGALRM", "SIGUSR1", "SIGUSR2"])
def test_a_signal_during_the_fork_reaches_the_caller_and_leaves_no_child(monkeypatch, name):
    """The run's handler cuts a check off by raising: a signal that comes while the child is being
    forked is held until the fork is over, then raised from ``Ahead()`` (not lost in an at-fork hook
    as an "ignored" exception), and the child it had started is ended. SIGUSR1 and SIGUSR2 are
    what an xdist worker receives from its controller for the user's signal."""
    import multiprocessing.context
    import signal

    number = getattr(signal, name)

    class CutOff(Exception):
        pass

    def cut_off(signum, frame):
        raise CutOff

    started = []
    real_start = multiprocessing.context.ForkProcess.start

    def start(self):
        _SIGNAL_AT_FORK[:] = [number]
        try:
            real_start(self)
        finally:
            _SIGNAL_AT_FORK.clear()
        started.append(self)

    previous = signal.signal(number, cut_off)
    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", start)
    try:
        with pytest.raises(CutOff):
            Ahead(seed(1), settings(QUIET, max_examples=10_000), {"value": st.integers()})
    finally:
        signal.signal(number, previous)
    assert started and not started[0].is_alive()


#: The signal the parent sends itself from its at-fork hook, inside ``os.fork()`` (set by the test).
_SIGNAL_AT_FORK: list[int] = []


def _signal_in_fork() -> None:
    if _SIGNAL_AT_FORK:
        os.kill(os.getpid(), _SIGNAL_AT_FORK[0])  # a handler raising here would be "ignored"


os.register_at_fork(after_in_parent=_signal_in_fork)


def test_the_parent_sets_up_every_nested_strategy_before_the_fork():
    """Hypothesis validates a strategy on its first draw; :func:`_warm` walks the whole tree first
    (through sampled strategies, flatmap, lists, deferred and lazy ones), so the child inherits
    them set up. An invalid strategy deep in the tree shows the walk reaches it."""
    from hypothesis.errors import InvalidArgument

    hidden = st.integers(min_value=5, max_value=1)  # invalid: found only when validated
    tree = st.lists(st.deferred(lambda: st.sampled_from([st.just(1), hidden]).flatmap(lambda s: s)), max_size=2)
    with pytest.raises(InvalidArgument):
        ahead_module._validate_tree(tree)
    fine = st.lists(st.deferred(lambda: st.sampled_from([st.just(1), st.text()]).flatmap(lambda s: s)), max_size=2)
    ahead_module._validate_tree(fine)  # a valid tree: nothing raised
