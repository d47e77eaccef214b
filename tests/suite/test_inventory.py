"""The inventory of normative statements stays whole: every statement has a check or a reason,
every check cites a requirement of the registry, and docs/coverage.md is the one the code renders."""

from __future__ import annotations

from conformance import coverage
from conformance.catalogue import load_checks
from conformance.inventory import SCOPE, STATEMENTS
from conformance.inventory.model import CLAIM, KEYWORDS, NOT_YET
from conformance.requirements import REQUIREMENTS
from tests.selftest.generated_docs import DOCS_DIR


def test_every_statement_has_a_check_or_a_reason():
    assert coverage.problems() == []
    for sid, statement in STATEMENTS.items():
        checks = coverage.enforcing_checks()[sid]
        assert checks or statement.reason is not None, sid


def test_reasons_say_what_they_leave_open():
    for sid, statement in STATEMENTS.items():
        if statement.reason is None:
            continue
        if statement.reason.kind == CLAIM:
            assert statement.reason.detail.startswith("[claims] "), sid
        if statement.reason.kind == NOT_YET:
            assert len(statement.reason.detail.split()) >= 5, f"{sid}: name the check that would be needed"


def test_statements_are_in_the_registry_and_in_scope():
    for sid, statement in STATEMENTS.items():
        assert statement.rfc in SCOPE, sid
        assert statement.keyword in KEYWORDS and statement.keyword in statement.words, sid
        assert REQUIREMENTS[sid].level == statement.level or sid in _SUMMARISED, sid


_SUMMARISED = {rid for rid in REQUIREMENTS if rid in STATEMENTS and REQUIREMENTS[rid].text != STATEMENTS[rid].words}


def test_every_check_cites_a_statement_of_the_registry():
    for check_id, info in load_checks().items():
        assert any(rid in REQUIREMENTS for rid in info.requirements), check_id


def test_counts_add_up():
    for rfc, row in coverage.counts().items():
        assert row["statements"] == sum(row[s] for s in coverage.STATUSES), rfc
    assert sum(row["statements"] for row in coverage.counts().values()) == len(STATEMENTS)


def test_coverage_document_is_current_and_stands_alone():
    text = (DOCS_DIR / "coverage.md").read_text(encoding="utf-8")
    assert text == coverage.coverage_markdown(), "run dcr-conformance requirements --coverage docs/coverage.md"
    assert "shared/" not in text and "../" not in text
    for sid in STATEMENTS:
        assert f"[{sid}](" in text, sid
