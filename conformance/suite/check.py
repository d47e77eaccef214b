"""The ``@check`` decorator: binds a test function to a catalogue id, its requirements and level.

A check is a small function whose docstring is one sentence. The decorator registers it in the
catalogue's one registry (:mod:`conformance.catalogue`; ``CHECKS`` here is its server-side view),
so a test can prove every requirement has a check and every check cites one, and adds the
markers the plugin reads: ``dcr_check`` plus the step (``token`` … ``revoke``) and the level
(``must`` / ``should``).
"""

from __future__ import annotations

from typing import Callable

import pytest

from conformance.catalogue import SERVER_CHECKS, CheckInfo, register
from conformance.requirements import MUST, SHOULD, requirement

__all__ = ["CHECKS", "NOT_APPLICABLE", "STEPS", "CheckInfo", "check", "not_applicable"]

STEPS = ("token", "register", "use", "manage", "revoke")
_STEP_OF_PREFIX = {"META": "token", "TOK": "token", "REG": "register", "USE": "use", "MGT": "manage", "REV": "revoke"}


#: The server-side checks of the catalogue's one registry, by id.
CHECKS = SERVER_CHECKS

#: The prefix of a skip reason that says the check observed nothing to judge (the harness shows it
#: as ``n/a``, apart from ``not claimed``).
NOT_APPLICABLE = "not applicable: "


def not_applicable(what: str) -> None:
    """End the test as "not applicable": nothing to judge was observed (never "passed")."""
    pytest.skip(NOT_APPLICABLE + what)


def check(
    check_id: str,
    *requirement_ids: str,
    level: str = MUST,
    step: str | None = None,
    methods: tuple[str, ...] = (),
    claims: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    per_profile: bool = False,
) -> Callable:
    """Declare a test function as the check ``check_id`` enforcing ``requirement_ids``."""
    if not requirement_ids:
        raise ValueError(f"{check_id} cites no requirement")
    for rid in requirement_ids:
        requirement(rid)  # fails loudly on an unknown id
    if level not in (MUST, SHOULD):
        raise ValueError(f"{check_id}: level must be MUST or SHOULD")
    step = step or _STEP_OF_PREFIX[check_id.split("-")[1]]

    def decorate(function: Callable) -> Callable:
        doc = (function.__doc__ or "").strip()
        if not doc:
            raise ValueError(f"{check_id} ({function.__name__}) has no docstring")
        info = CheckInfo(
            check_id, doc.splitlines()[0].strip(), tuple(requirement_ids), level, step,
            tuple(methods), tuple(claims), tuple(needs), per_profile, function.__name__,
        )
        register(info)  # one id may span functions (e.g. per profile and per client)
        marked = pytest.mark.dcr_check(info)(function)
        marked = getattr(pytest.mark, step)(marked)
        return getattr(pytest.mark, level.lower())(marked)

    return decorate
