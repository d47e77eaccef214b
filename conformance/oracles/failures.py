"""How a verdict is reported: the failure types, SHOULD findings, and how evidence is rendered.

A MUST-level violation raises :class:`CheckFailure`, naming the requirement ids (of
:mod:`conformance.requirements`) the failed assertion enforces; a step the check builds on that did
not work raises :class:`PrerequisiteFailure`. The harness fails a check only for a failure of one
of its own requirements (an assertion naming none is the check's own); any other failure, and
every prerequisite failure, *blocks* it (:func:`is_blocking`). A SHOULD-level finding (RFC 2119 §3) is recorded with
:func:`record_finding` and the check goes on; the pytest harness collects :func:`findings` after
each check and reports them as warnings (failures under ``--dcr-strict``). Messages are built
from the redacted capture of each exchange (``Exchange.describe``), never from raw values.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Iterable

from conformance.client.http import Exchange


Requirements = str | Iterable[str] | None


def requirement_ids(requirement: Requirements) -> tuple[str, ...]:
    """``"RFC6749-5.1"``, a tuple of ids or None, as a tuple of ids."""
    if requirement is None:
        return ()
    return (requirement,) if isinstance(requirement, str) else tuple(requirement)


class CheckFailure(AssertionError):
    """A server answer that breaks a requirement; ``requirements`` are the ids the failed
    assertion enforces (empty: the requirements of the check that made it)."""

    def __init__(self, message: str = "", requirements: Requirements = None) -> None:
        super().__init__(message)
        self.requirements = requirement_ids(requirements)


class PrerequisiteFailure(CheckFailure):
    """A step the check builds on did not work (for example, no initial token could be had);
    ``requirements`` name what that step's answer broke, when the oracle knows."""


def is_blocking(failure: CheckFailure, own: Iterable[str]) -> bool:
    """Whether ``failure`` blocks a check citing ``own`` instead of failing it: a prerequisite
    that did not work (a step the check builds on is not its subject, whatever it broke), or an
    assertion of requirements none of which is the check's own."""
    if isinstance(failure, PrerequisiteFailure):
        return True
    return bool(failure.requirements) and not set(failure.requirements) & set(own)


def as_prerequisite(failure: CheckFailure, step: str) -> PrerequisiteFailure:
    """``failure`` of a step a check builds on (its setup), keeping the requirements it names."""
    return PrerequisiteFailure(f"prerequisite: {step}: {failure}", failure.requirements)


@contextmanager
def prerequisite() -> Iterator[None]:
    """Within the block, a failed expectation is the check's prerequisite failing: the check is
    blocked whatever its level, never a SHOULD warning (only the SHOULD clause itself may warn)."""
    try:
        yield
    except PrerequisiteFailure:
        raise
    except CheckFailure as failure:
        raise PrerequisiteFailure(f"prerequisite: {failure}", failure.requirements) from None


_findings = threading.local()


def reset_findings() -> None:
    """Forget the SHOULD findings of this thread (before each check)."""
    _findings.items = []


def findings(own: Iterable[str] | None = None) -> list[str]:
    """The SHOULD findings recorded on this thread since :func:`reset_findings`; with ``own`` (a
    check's requirement ids) only those of its own requirements, or naming none: a finding about
    another requirement (``expires_in`` omitted in the token response a check only builds on)
    belongs to the check that owns that requirement, which reports it."""
    return [text for text, _ in finding_records(own)]


def finding_records(own: Iterable[str] | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """:func:`findings` with the requirement ids each names (empty: the check's own)."""
    items = getattr(_findings, "items", [])
    if own is None:
        return list(items)
    own = set(own)
    return [(text, requirements) for text, requirements in items if not requirements or set(requirements) & own]


def record_finding(text: str, requirements: Requirements = None) -> None:
    """Record a SHOULD-level finding (of ``requirements``: none, the check's own); the check goes on."""
    _findings.__dict__.setdefault("items", []).append((text, requirement_ids(requirements)))


def render(what: str, expected: str, exchanges: Iterable[Exchange | None]) -> str:
    """A failure message: what happened, what was expected, then each exchange as captured."""
    lines = [what, f"  expected: {expected}"]
    for ex in exchanges:
        if ex is not None:
            lines.append("  " + ex.describe().replace("\n", "\n  "))
    return "\n".join(lines)


def short(value: Any, limit: int = 80) -> str:
    """``value`` as JSON (bytes as a Python literal), cut to ``limit`` characters for a message."""
    if isinstance(value, bytes):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"
