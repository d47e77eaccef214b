"""Budgets and reproducibility of the fuzzing checks.

* ``--dcr-fuzz-examples N``: examples per property (registration payloads, client assertions);
  the lifecycle state machine runs ``max(MIN_MACHINE_RUNS, N // 6)`` programs of up to
  ``STATEFUL_STEPS`` steps. The default (150: 150 registrations, 150 assertions, 25 programs)
  keeps the whole fuzz set to a few seconds against the embedded server, and catches each
  registration defect of the reference server in its domain in every one of 40 random runs
  (tests/fuzz measures it derandomized).
* Reproducibility: with ``--dcr-fuzz-seed N`` the run uses that seed (Hypothesis' ``@seed``;
  the example database is then off, so the run is exactly the one that was printed); with
  ``CI=true`` it is derandomized (the ``dcr-fuzz-ci`` profile: the same examples every run, no
  database); otherwise it is random and every failing example is kept in the example database
  ``reports/hypothesis`` (or ``<--dcr-report-dir>/hypothesis``) and replayed first next time.
  DCR-FUZZ-001 and -002 draw their examples ahead in a child process from a seeded run (the
  seed given, a fixed one under CI, else a random one their failure message names), so
  ``--dcr-fuzz-seed`` with that seed tries the same examples again.
* Failure messages name the mode, so the run can be reproduced.

Hypothesis is configured per check with explicit ``settings`` objects (never
``settings.load_profile``): loading a profile would change every other Hypothesis test of the
process. The two named profiles are registered for people who want to use them elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from hypothesis import HealthCheck, Verbosity, seed, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

#: Default examples per property (``--dcr-fuzz-examples``).
DEFAULT_EXAMPLES = 150
#: Lifecycle programs run at least this many times, and take at most this many steps each.
MIN_MACHINE_RUNS = 10
STATEFUL_STEPS = 25
#: Default number of concurrent registrations with one initial token (``--dcr-race-width``).
DEFAULT_RACE_WIDTH = 16

_HEALTH = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
           HealthCheck.filter_too_much)
_BASE = dict(deadline=None, suppress_health_check=_HEALTH, report_multiple_bugs=False,
             print_blob=False, verbosity=Verbosity.normal)

settings.register_profile("dcr-fuzz", max_examples=DEFAULT_EXAMPLES, stateful_step_count=STATEFUL_STEPS,
                          **_BASE)
settings.register_profile("dcr-fuzz-ci", max_examples=DEFAULT_EXAMPLES, stateful_step_count=STATEFUL_STEPS,
                          derandomize=True, database=None, **_BASE)


def in_ci(environ: dict[str, str] | None = None) -> bool:
    """``CI`` is set to something true (``CI=true`` as CI systems set it)."""
    value = (environ if environ is not None else os.environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def _option(config: Any, name: str, default: Any = None) -> Any:
    try:
        value = config.getoption(name)
    except (ValueError, AttributeError):  # the option is not registered (older plugin)
        return default
    return default if value is None else value


def cache_home(environ: dict[str, str] | None = None) -> Path:
    """Where Hypothesis keeps what it computes once per machine (the code points a codec can
    encode, about 3 s of CPU for ``st.text()``; the constants of the code under test):
    ``$XDG_CACHE_HOME/dcr-conformance/hypothesis`` (default ``~/.cache``), not a ``.hypothesis``
    folder in whatever directory the run starts in. The example database is the report
    directory's (:meth:`Budget.settings`)."""
    env = os.environ if environ is None else environ
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "dcr-conformance" / "hypothesis"


@dataclass(frozen=True)
class Budget:
    """How much to fuzz and how to make it reproducible."""

    examples: int = DEFAULT_EXAMPLES
    seed: int | None = None
    derandomize: bool = False
    database: Path | None = None
    race_width: int = DEFAULT_RACE_WIDTH

    @classmethod
    def from_config(cls, config: Any, environ: dict[str, str] | None = None) -> Budget:
        examples = int(_option(config, "--dcr-fuzz-examples", DEFAULT_EXAMPLES))
        if examples < 1:
            raise ValueError("--dcr-fuzz-examples must be at least 1")
        chosen_seed = _option(config, "--dcr-fuzz-seed")
        derandomize = chosen_seed is None and in_ci(environ)
        database = None
        if chosen_seed is None and not derandomize:
            report_dir = _option(config, "--dcr-report-dir")
            base = Path(report_dir) if report_dir else Path(config.invocation_params.dir) / "reports"
            database = base / "hypothesis"
        width = int(_option(config, "--dcr-race-width", DEFAULT_RACE_WIDTH))
        set_hypothesis_home_dir(cache_home(environ))
        return cls(examples, None if chosen_seed is None else int(chosen_seed), derandomize, database,
                   max(2, width))

    @property
    def machine_runs(self) -> int:
        return max(MIN_MACHINE_RUNS, self.examples // 6)

    def settings(self, *, examples: int | None = None, steps: int = STATEFUL_STEPS) -> settings:
        """The Hypothesis settings of one property."""
        parent = settings.get_profile("dcr-fuzz-ci" if self.derandomize else "dcr-fuzz")
        kwargs: dict[str, Any] = {"max_examples": examples or self.examples, "stateful_step_count": steps}
        if not self.derandomize:
            kwargs["database"] = DirectoryBasedExampleDatabase(str(self.database)) if self.database else None
        return settings(parent, **kwargs)

    def apply(self, test: Callable) -> Callable:
        """Apply the seed (if one was given) to a ``@given`` test or a state machine class."""
        return seed(self.seed)(test) if self.seed is not None else test

    def describe(self) -> str:
        """One line for failure messages: how to get this run again."""
        if self.seed is not None:
            return (f"fuzz seed {self.seed} (this exact run: dcr-conformance run --fuzz-seed {self.seed}; "
                    f"under pytest --dcr-fuzz-seed {self.seed})")
        if self.derandomize:
            return "derandomized (CI=true): every CI run tries the same examples"
        where = self.database or "no example database"
        return (f"random run; the failing example is kept in {where} and replayed first next time "
                "(or fix the run with dcr-conformance run --fuzz-seed N; under pytest --dcr-fuzz-seed N)")
