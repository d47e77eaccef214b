"""Run a property or a state machine under a :class:`~conformance.fuzz.budget.Budget`.

Hypothesis finds a failing example, shrinks it, replays the minimal one and raises its
``CheckFailure``; these helpers add how to reproduce the run to the message, and turn a flaky
failure (it did not fail again on replay) into a ``CheckFailure`` that says so.

A property may have its examples drawn ahead in a child process (``run_property(ahead=True)``,
:mod:`conformance.fuzz.ahead`): the run is then seeded (``--dcr-fuzz-seed``, a fixed seed when
derandomized, else a random one that the failure message names), so the in-process replay that
shrinks a failure draws the same examples in the same order.
"""

from __future__ import annotations

import contextlib
import secrets
import unittest
import warnings
from dataclasses import replace
from typing import Any, Callable

from hypothesis import Phase, given, seed, settings
from hypothesis.errors import Flaky, HypothesisWarning
from hypothesis.stateful import run_state_machine_as_test

from conformance.fuzz.ahead import Ahead, GeneratorUnavailable
from conformance.fuzz.budget import STATEFUL_STEPS, Budget
from conformance.oracles.failures import CheckFailure

#: The seed of a derandomized run generated ahead: every such run draws the same examples.
DERANDOMIZED_SEED = 7591


def _first_check_failure(exc: BaseException) -> CheckFailure | None:
    if isinstance(exc, CheckFailure):
        return exc
    for inner in getattr(exc, "exceptions", ()) or ():
        found = _first_check_failure(inner)
        if found is not None:
            return found
    return None


def _reraise(exc: BaseException, budget: Budget, flaky: bool) -> None:
    failure = _first_check_failure(exc)
    if failure is None:
        raise exc
    note = "\n  (flaky: this failure did not happen again when the example was replayed)" if flaky else ""
    raise type(failure)(f"{failure}{note}\n  {budget.describe()}") from None


@contextlib.contextmanager
def _quiet():
    """Hypothesis warns when it prints a large strategy repr (ours hold long payload lists)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Generating overly large repr", category=HypothesisWarning)
        yield


def run_property(budget: Budget, body: Callable[..., None], *, examples: int | None = None, ahead: bool = False,
                 **strategies: Any) -> None:
    """``@given(**strategies)`` over ``body``, with the budget's settings and seed.

    ``ahead``: the examples are generated in a child process while ``body`` runs on the ones
    before (:mod:`conformance.fuzz.ahead`; the strategies' values must pickle). The same examples
    are tried in the same order as in-process; a failure is found again, shrunk and saved by an
    in-process replay of the same seeded run.
    """
    if ahead:
        try:
            _run_ahead(budget, body, examples, strategies)
            return
        except GeneratorUnavailable:
            pass  # run in-process (below), as without ``ahead``
    _run_in_process(budget, budget.apply(budget.settings(examples=examples)(given(**strategies)(body))))


def _run_in_process(budget: Budget, test: Callable[[], None]) -> None:
    try:
        with _quiet():
            test()
    except Flaky as exc:
        _reraise(exc, budget, True)
    except CheckFailure as exc:
        _reraise(exc, budget, False)


def _run_ahead(budget: Budget, body: Callable[..., None], examples: int | None, strategies: dict[str, Any]) -> None:
    """Saved failures first (in-process), then the seeded examples generated ahead; on the first
    failure, the same seeded run in-process, which fails, shrinks and raises."""
    chosen = budget.seed if budget.seed is not None else DERANDOMIZED_SEED if budget.derandomize \
        else secrets.randbits(64)
    base = settings(budget.settings(examples=examples), derandomize=False)
    seeded = budget if budget.seed is not None or budget.derandomize else replace(budget, seed=chosen)

    def test() -> Callable[[], None]:  # a new wrapper each time: settings are applied once per function
        return given(**strategies)(body)

    if base.database is not None:  # failures an earlier run saved, replayed and shrunk first
        try:
            _run_in_process(budget, settings(base, phases=(Phase.explicit, Phase.reuse, Phase.shrink))(test()))
        except unittest.SkipTest:  # none saved: Hypothesis ran no example
            pass
    generate = tuple(p for p in base.phases if p not in (Phase.reuse, Phase.shrink, Phase.explain))
    with Ahead(seed(chosen), settings(base, phases=generate, database=None), strategies) as examples_ahead:
        try:
            for values in examples_ahead:
                body(**values)
            return
        except GeneratorUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - found again and shrunk below, or raised as it is
            failure = exc
    # Found ahead: the same seeded run in-process reaches it, shrinks it and raises it.
    replay = settings(base, phases=tuple(p for p in base.phases if p != Phase.reuse))
    _run_in_process(seeded, _seeded_keeping_database(replay(test()), chosen))
    note = ("\n  (flaky: this failure did not happen again when the seeded run was replayed in-process; "
            "the example is not shrunk)")
    if isinstance(failure, CheckFailure):
        raise type(failure)(f"{failure}{note}\n  {seeded.describe()}") from None
    raise failure


def _seeded_keeping_database(test: Callable, chosen: int) -> Callable:
    """``test`` drawing from ``Random(chosen)``, as under ``@seed(chosen)``, but with its example
    database kept so the shrunk failure is saved (``@seed`` turns the database off; it sets
    this attribute, which Hypothesis reads to seed the run)."""
    test._hypothesis_internal_use_seed = chosen
    return test


def run_machine(budget: Budget, machine: type, *, runs: int | None = None, steps: int = STATEFUL_STEPS) -> None:
    """Run a ``RuleBasedStateMachine`` class ``runs`` times with the budget's settings and seed."""
    machine = budget.apply(machine)
    try:
        with _quiet():
            run_state_machine_as_test(machine, settings=budget.settings(examples=runs or budget.machine_runs,
                                                                        steps=steps))
    except Flaky as exc:
        _reraise(exc, budget, True)
    except CheckFailure as exc:
        _reraise(exc, budget, False)
