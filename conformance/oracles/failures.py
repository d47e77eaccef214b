"""How a verdict is reported: the failure types, SHOULD findings, and how evidence is rendered.

A MUST-level violation raises :class:`CheckFailure`; a step the check builds on that did not
work raises :class:`PrerequisiteFailure`. A SHOULD-level finding (RFC 2119 §3) is recorded with
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


class CheckFailure(AssertionError):
    """A server answer that breaks the requirement a check enforces."""


class PrerequisiteFailure(CheckFailure):
    """A step the check builds on did not work (for example, no initial token could be had)."""


@contextmanager
def prerequisite() -> Iterator[None]:
    """Within the block, a failed expectation is the check's prerequisite failing: an error of the
    check whatever its level, never a SHOULD warning (only the SHOULD clause itself may warn)."""
    try:
        yield
    except PrerequisiteFailure:
        raise
    except CheckFailure as failure:
        raise PrerequisiteFailure(f"prerequisite: {failure}") from None


_findings = threading.local()


def reset_findings() -> None:
    """Forget the SHOULD findings of this thread (before each check)."""
    _findings.items = []


def findings() -> list[str]:
    """The SHOULD findings recorded on this thread since :func:`reset_findings`."""
    return list(getattr(_findings, "items", []))


def record_finding(text: str) -> None:
    """Record a SHOULD-level finding; the check goes on."""
    _findings.__dict__.setdefault("items", []).append(text)


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
