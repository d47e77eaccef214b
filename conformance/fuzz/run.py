"""Run a property or a state machine under a :class:`~conformance.fuzz.budget.Budget`.

Hypothesis finds a failing example, shrinks it, replays the minimal one and raises its
``CheckFailure``; these helpers add how to reproduce the run to the message, and turn a flaky
failure (it did not fail again on replay) into a ``CheckFailure`` that says so.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable

from hypothesis import given
from hypothesis.errors import Flaky, HypothesisWarning
from hypothesis.stateful import run_state_machine_as_test

from conformance.fuzz.budget import STATEFUL_STEPS, Budget
from conformance.oracles.failures import CheckFailure


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


def run_property(budget: Budget, body: Callable[..., None], *, examples: int | None = None,
                 **strategies: Any) -> None:
    """``@given(**strategies)`` over ``body``, with the budget's settings and seed."""
    test = budget.apply(budget.settings(examples=examples)(given(**strategies)(body)))
    try:
        with _quiet():
            test()
    except Flaky as exc:
        _reraise(exc, budget, True)
    except CheckFailure as exc:
        _reraise(exc, budget, False)


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
