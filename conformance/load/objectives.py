"""Objectives of a load run: the profile's ``[load]`` table (or ``--objectives FILE``).

::

    [load]
    min_registrations_per_s = 20      # successful registrations per second, at least
    [load.latency_ms.register]        # a step of conformance.load.options.STEPS
    p50 = 100                         # milliseconds, at most (Locust's percentiles)
    p95 = 300
    p99 = 600

Every key is optional; a run without objectives still checks the oracles. Mistakes are reported
all together, naming the dotted key, like profile mistakes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.load.options import STEPS, UsageError
from conformance.profile import Profile, load_profile

PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
_KEYS = ("min_registrations_per_s", "latency_ms")


@dataclass(frozen=True)
class Objectives:
    min_registrations_per_s: float | None = None
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # step -> {"p95": ms}

    def __bool__(self) -> bool:
        return self.min_registrations_per_s is not None or bool(self.latency_ms)

    def describe(self) -> list[str]:
        out = []
        if self.min_registrations_per_s is not None:
            out.append(f"registrations/s >= {self.min_registrations_per_s:g}")
        for step, limits in self.latency_ms.items():
            out += [f"{step} {p} <= {ms:g} ms" for p, ms in limits.items()]
        return out


def parse_objectives(table: Any, source: str) -> Objectives:
    """The ``[load]`` table as :class:`Objectives`; :class:`UsageError` lists every mistake."""
    if table is None:
        return Objectives()
    problems: list[str] = []
    if not isinstance(table, dict):
        raise UsageError(f"{source}: load: expected a table ([load])")
    for key in table:
        if key not in _KEYS:
            problems.append(f"load.{key}: unknown key; known keys here: {', '.join(_KEYS)}")
    rate = table.get("min_registrations_per_s")
    if rate is not None and (not _number(rate) or rate <= 0):
        problems.append("load.min_registrations_per_s: expected a positive number, e.g. min_registrations_per_s = 20")
        rate = None
    latency: dict[str, dict[str, float]] = {}
    steps = table.get("latency_ms", {})
    if not isinstance(steps, dict):
        problems.append("load.latency_ms: expected a table, e.g. [load.latency_ms.register] p95 = 300")
        steps = {}
    for step, limits in steps.items():
        dotted = f"load.latency_ms.{step}"
        if step not in STEPS:
            problems.append(f"{dotted}: unknown step; steps: {', '.join(STEPS)}")
            continue
        if not isinstance(limits, dict):
            problems.append(f"{dotted}: expected a table, e.g. p95 = 300")
            continue
        for name, ms in limits.items():
            if name not in PERCENTILES:
                problems.append(f"{dotted}.{name}: unknown percentile; use p50, p95 or p99")
            elif not _number(ms) or ms <= 0:
                problems.append(f"{dotted}.{name}: expected a positive number of milliseconds")
            else:
                latency.setdefault(step, {})[name] = float(ms)
    if problems:
        raise UsageError(f"{source}:\n  " + "\n  ".join(problems))
    return Objectives(float(rate) if rate is not None else None, latency)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def objectives_from_file(path: Path) -> Objectives:
    """The ``[load]`` table of a TOML file (a profile, or a file holding only ``[load]``)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the objectives: {exc}") from None
    return parse_objectives(data.get("load"), str(path))


def read_profile(path: Path) -> Profile:
    """The profile (its ``[load]`` table is a known top-level table, read by :func:`objectives_from_file`)."""
    return load_profile(path)
