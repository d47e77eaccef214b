"""The catalogue of checks: one registry for the server-side checks and the DCR-SDK ones.

:data:`REGISTRY` holds every check by id as a :class:`CheckInfo`. The suite's pytest decorator
(:func:`conformance.suite.check.check`) registers the server-side checks, the SDK's
(:func:`conformance.sdk.checks.sdk_check`) the client-side ones, whose step is :data:`SDK_STEP`;
:data:`SERVER_CHECKS` and :data:`SDK_CHECKS` are live views of each kind. ``load_checks()``
imports the suite's modules (by name) so every ``@check`` has registered itself;
``requirements_markdown()`` renders ``docs/requirements.md``: per cited requirement, its checks
(:mod:`conformance.coverage` renders every statement of the inventory, ``docs/coverage.md``).

:data:`ANSWERS` holds, per check, the answers the specs allow and the ones they forbid, each with
its source and its words (:class:`Answer`); the test modules declare them in a module-level table
(:func:`declare_answers`) next to their checks, and ``catalogue_markdown()`` renders
``docs/catalogue.md`` from them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from conformance.requirements import REQUIREMENTS

SUITE_PACKAGE = "conformance.suite"  # where the server-side checks are declared
SDK_STEP = "sdk"  # the step of a client-side (DCR-SDK) check


@dataclass(frozen=True)
class CheckInfo:
    """What the catalogue says of one check (docs/catalogue.md)."""

    id: str
    title: str
    requirements: tuple[str, ...]
    level: str
    step: str
    methods: tuple[str, ...] = ()      # only main clients using one of these auth methods
    claims: tuple[str, ...] = ()       # [claims] keys the profile must set to true
    needs: tuple[str, ...] = ()        # optional profile parts: "introspector", "unlisted_client", ...
    per_profile: bool = False          # run once per profile, not per main client
    function: str = field(default="", compare=False)


#: Every check of the project, by id, in the order they were declared.
REGISTRY: dict[str, CheckInfo] = {}


def register(info: CheckInfo) -> CheckInfo:
    """Add a check; an id may be declared again (one check spanning several test functions)
    only with the same level and step. Returns the entry the registry keeps."""
    known = REGISTRY.setdefault(info.id, info)
    if known.level != info.level or known.step != info.step:
        raise ValueError(f"check id {info.id} is declared twice with different levels or steps")
    return known


class _Kind(Mapping):
    """The checks of one kind, a live read-only view of :data:`REGISTRY`."""

    def __init__(self, wanted: Callable[[CheckInfo], bool]) -> None:
        self._wanted = wanted

    def __getitem__(self, check_id: str) -> CheckInfo:
        info = REGISTRY[check_id]
        if not self._wanted(info):
            raise KeyError(check_id)
        return info

    def __iter__(self) -> Iterator[str]:
        return (cid for cid, info in list(REGISTRY.items()) if self._wanted(info))

    def __len__(self) -> int:
        return sum(1 for info in list(REGISTRY.values()) if self._wanted(info))

    def __repr__(self) -> str:
        return repr(dict(self))


SERVER_CHECKS: Mapping[str, CheckInfo] = _Kind(lambda info: info.step != SDK_STEP)
SDK_CHECKS: Mapping[str, CheckInfo] = _Kind(lambda info: info.step == SDK_STEP)


def load_checks() -> dict[str, CheckInfo]:
    """Every server-side check, by id (importing the suite's ``test_*`` modules)."""
    suite = importlib.import_module(SUITE_PACKAGE)
    for module in pkgutil.iter_modules(suite.__path__):
        if module.name.startswith("test_"):
            importlib.import_module(f"{SUITE_PACKAGE}.{module.name}")
    return dict(sorted(SERVER_CHECKS.items()))


#: The levels an answer's words may carry: RFC 2119 keywords, "claim" for a rule the profile
#: claims (``[claims]``), which may fail a check as a MUST does, and "descriptive" for an allowed
#: answer whose quoted words describe it without an RFC 2119 keyword (e.g. RFC 7591 §3.2.1 "The
#: server responds with an HTTP 201 Created status code"). A forbidden answer is never descriptive:
#: it fails with a MUST or claim, or warns with a SHOULD (whose words may say they are descriptive).
ANSWER_LEVELS = ("MUST", "MUST NOT", "REQUIRED", "SHOULD", "SHOULD NOT", "RECOMMENDED", "MAY", "OPTIONAL",
                 "claim", "descriptive")
#: Levels a forbidden answer needs for a MUST-level failure; the others make it at most a warning.
FAILING_LEVELS = ("MUST", "MUST NOT", "REQUIRED", "claim")


@dataclass(frozen=True)
class Answer:
    """One answer to a check's request: ``allowed`` or not, and the words that say so."""

    allowed: bool
    answer: str     # what the server answers, e.g. "400 invalid_client_metadata"
    source: str     # e.g. "RFC 7591 §3.2.2", or "[claims] initial_token_single_use"
    level: str      # one of ANSWER_LEVELS
    words: str      # the source's words, quoted (or the claim's meaning)

    def __post_init__(self) -> None:
        if self.level not in ANSWER_LEVELS:
            raise ValueError(f"answer level {self.level!r} is not one of {ANSWER_LEVELS}")
        if not (self.answer and self.source and self.words):
            raise ValueError(f"answer {self.answer!r}: answer, source and words are required")


def allowed(answer: str, source: str, level: str, words: str) -> Answer:
    return Answer(True, answer, source, level, words)


def forbidden(answer: str, source: str, level: str, words: str) -> Answer:
    return Answer(False, answer, source, level, words)


#: Per check id, the answers its specs allow and forbid (declared by the test modules).
ANSWERS: dict[str, tuple[Answer, ...]] = {}


def declare_answers(table: Mapping[str, tuple[Answer, ...]]) -> Mapping[str, tuple[Answer, ...]]:
    """Register a test module's table of answers (check id -> answers); returns it."""
    for check_id, answers in table.items():
        if check_id in ANSWERS and ANSWERS[check_id] != tuple(answers):
            raise ValueError(f"answers of {check_id} are declared twice, differently")
        ANSWERS[check_id] = tuple(answers)
    return table


def checks_by_requirement() -> dict[str, list[CheckInfo]]:
    checks = load_checks()
    table: dict[str, list[CheckInfo]] = {rid: [] for rid in REQUIREMENTS}
    for info in checks.values():
        for rid in info.requirements:
            table[rid].append(info)
    return table


def requirements_markdown() -> str:
    """``docs/requirements.md``: the registry, each requirement with the checks that enforce it."""
    lines = [
        "# Requirements and the checks that enforce them",
        "",
        "Generated by `dcr-conformance requirements --markdown docs/requirements.md`; do not edit.",
        "MUST failures fail a run; SHOULD findings are warnings (failures under `--strict`).",
        "",
        "Only the requirements some check cites are listed; every normative statement of the RFCs,",
        "with its checks or the reason none enforces it, is in `docs/coverage.md`.",
        "",
        "| requirement | level | what it says | checks |",
        "|---|---|---|---|",
    ]
    for rid, checks in checks_by_requirement().items():
        if not checks:
            continue
        req = REQUIREMENTS[rid]
        cited = ", ".join(f"{c.id}" for c in checks) or "—"
        lines.append(f"| [{rid}]({req.url}) | {req.level} | {req.text} | {cited} |")
    lines += ["", "## Checks", "", "| check | step | level | title | requirements |", "|---|---|---|---|---|"]
    for info in load_checks().values():
        lines.append(f"| {info.id} | {info.step} | {info.level} | {info.title} | {', '.join(info.requirements)} |")
    return "\n".join(lines) + "\n"


_STEP_TITLES = {"token": "Step 1: the initial token (and metadata)", "register": "Step 2: registration",
                "use": "Step 3: use", "manage": "Step 4: management", "revoke": "Step 5: revocation"}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "/")


def catalogue_markdown() -> str:
    """``docs/catalogue.md``: per server check, its requirements and the answers the specs allow and
    forbid, with their words. Stands alone: every source is named by RFC and section."""
    checks = load_checks()
    lines = [
        "# Catalogue: what each check sends, and the answers the specs allow",
        "",
        "Generated by `dcr-conformance requirements --catalogue docs/catalogue.md`; do not edit. The answers",
        "are declared next to the checks (a table `ANSWERS` in each `conformance/suite/test_*.py`).",
        "",
        "Every oracle accepts every answer marked *allowed*. A check fails (MUST) only on an answer marked",
        "*forbidden* whose words are a MUST / MUST NOT / REQUIRED, or a rule the profile claims",
        "(`[claims]`); a forbidden answer backed by SHOULD or RECOMMENDED is at most a warning (a failure under",
        "`--strict`). A check that observed nothing to judge is *not applicable* (`n/a`), never passed.",
        "An allowed answer's level is the keyword its words carry, or *descriptive* where the RFC only",
        "describes the answer (no RFC 2119 keyword).",
        "",
    ]
    missing = [cid for cid in checks if cid not in ANSWERS]
    for step, heading in _STEP_TITLES.items():
        in_step = [info for info in checks.values() if info.step == step]
        if not in_step:
            continue
        lines += [f"## {heading}", ""]
        for info in in_step:
            lines += [f"### {info.id}: {_cell(info.title)}", "",
                      f"Level {info.level}. Requirements: "
                      + "; ".join(f"{rid} ({REQUIREMENTS[rid].spec} §{REQUIREMENTS[rid].section}, "
                                  f"{REQUIREMENTS[rid].level}): {_cell(REQUIREMENTS[rid].text).rstrip('.')}"
                                  for rid in info.requirements) + ".", ""]
            answers = ANSWERS.get(info.id)
            if not answers:
                lines += ["Answers not declared yet.", ""]
                continue
            lines += ["| answer | verdict | source | level | words |", "|---|---|---|---|---|"]
            for a in answers:
                verdict = "allowed" if a.allowed else ("forbidden" if a.level in FAILING_LEVELS else "warned")
                lines.append(f"| {_cell(a.answer)} | {verdict} | {_cell(a.source)} | {a.level} | {_cell(a.words)} |")
            lines.append("")
    lines += ["## Checks without declared answers", ""]
    lines += [f"- {cid}" for cid in missing] or ["- none"]
    return "\n".join(lines) + "\n"
