"""The requirement registry and the catalogue of checks: complete, cited, named as promised."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import conformance.suite as suite
from conformance.catalogue import checks_by_requirement, load_checks
from conformance import coverage
from conformance.inventory import STATEMENTS
from conformance.requirements import LEVELS, REQUIREMENTS
from conformance.server import ReferenceServer
from tests.selftest.runner import run_suite

ID = re.compile(r"^DCR-[A-Z]+-\d{3}$")
SENTENCE_END = re.compile(r"[.!?](?:\s+|$)")


def _check_functions():
    """(module, function, CheckInfo) of every check function of the suite."""
    load_checks()
    for info in pkgutil.iter_modules(suite.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"conformance.suite.{info.name}")
        for name, obj in sorted(vars(module).items()):
            marks = [m for m in getattr(obj, "pytestmark", []) if m.name == "dcr_check"]
            if callable(obj) and marks:
                yield module.__name__, name, obj, marks[0].args[0]


def test_every_requirement_has_a_check():
    """Outside the inventory every requirement has a check; inside it, a check or a reason."""
    orphans = [rid for rid, checks in checks_by_requirement().items() if not checks and rid not in STATEMENTS]
    assert orphans == [], "requirements no check enforces"
    assert coverage.problems() == [], "statements of the inventory with neither a check nor a reason"


def test_every_check_cites_known_requirements():
    checks = load_checks()
    assert checks, "no check registered"
    for check_id, info in checks.items():
        assert ID.match(check_id), check_id
        assert info.requirements, f"{check_id} cites no requirement"
        unknown = [r for r in info.requirements if r not in REQUIREMENTS]
        assert unknown == [], f"{check_id} cites unknown requirements"
        assert info.level in LEVELS, check_id


def test_every_requirement_is_well_formed():
    for rid, req in REQUIREMENTS.items():
        assert req.url.startswith("https://"), rid
        assert req.spec and req.section and req.text.endswith((".", ":", "…") if rid in STATEMENTS else "."), rid


def test_every_check_function_has_a_one_sentence_docstring():
    functions = list(_check_functions())
    assert len({info.id for *_, info in functions}) == len(load_checks())
    bad = []
    for module, name, function, info in functions:
        doc = (function.__doc__ or "").strip()
        sentences = [s for s in SENTENCE_END.split(doc) if s.strip()]
        if "\n" in doc or len(sentences) != 1 or not doc.endswith(".") or not doc[0].isupper():
            bad.append(f"{module}.{name} ({info.id}): {doc!r}")
    assert bad == [], "check docstrings that are not one sentence"


def test_check_titles_come_from_the_docstrings():
    for _, _, function, info in _check_functions():
        assert info.title == function.__doc__.strip().splitlines()[0], info.id


class _Items:
    """Plugin object: the items a ``--collect-only`` run collected, with their profile's labels."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, object, object]] = []
        self.methods: dict[str, str] = {}

    def pytest_collection_finish(self, session) -> None:
        from conformance.harness.runstate import state_of

        for profile in state_of(session.config).profiles():
            self.methods.update({label: c.auth_method for label, c in profile.main_clients.items()})
        for item in session.items:
            marker = item.get_closest_marker("dcr_check")
            callspec = getattr(item, "callspec", None)
            target = callspec.params.get("target") if callspec else None
            self.items.append((item.name, item.nodeid, marker.args[0] if marker else None, target))


@pytest.fixture(scope="module")
def collected():
    items = _Items()
    with ReferenceServer() as srv:
        result = run_suite(srv.profile_path, args=["--collect-only"], plugins=[items])
    assert result.exit_code == 0, result.output_tail
    return items


def test_test_ids_are_check_id_then_profile_and_main_client(collected):
    """Collected ids look like DCR-REG-001[reference-basic] (per-profile checks: DCR-META-001[reference])."""
    labels = "|".join(sorted(collected.methods, key=len, reverse=True))
    per_client = re.compile(rf"^(DCR-[A-Z]+-\d{{3}})\[reference-({labels})(-[\w.-]+)?\]$")
    per_profile = re.compile(r"^(DCR-[A-Z]+-\d{3})\[reference(-[\w.-]+)?\]$")
    assert collected.items
    for name, nodeid, info, target in collected.items:
        assert info is not None, f"{nodeid} is collected from the suite but is not a check"
        assert nodeid.endswith("::" + name), nodeid
        match = (per_profile if info.per_profile else per_client).match(name)
        assert match and match.group(1) == info.id, name
        if not info.per_profile:
            assert match.group(2) == target.label, name
    assert {info.id for _, _, info, _ in collected.items} == set(load_checks()), "checks that are never collected"


def test_every_main_client_gets_the_checks_of_its_method(collected):
    """A check runs for each main client whose method it covers (all of them when it names none)."""
    ran = {(info.id, target.label) for _, _, info, target in collected.items if not info.per_profile}
    for check_id, info in load_checks().items():
        if info.per_profile:
            continue
        expected = {label for label, method in collected.methods.items() if not info.methods or method in info.methods}
        assert {label for cid, label in ran if cid == check_id} == expected, check_id
