"""Every check passes the reference server under every conformant variant (issue: every answer the
specs allow passes).

Bounded to two runs of the suite: every compatible variant at once against the whole suite (its
checks see all the allowed answers together), and the variants left out of that group (the second
member of each incompatible pair) against the checks they concern. Each variant alone against its
own checks is ``python -m tests.selftest.defect_matrix``'s job in a later round; here a failure names its
check, and ``EXPECTED_FAILURES`` says which variant causes it and why the RFCs allow the answer
(the answers each check allows are in docs/catalogue.md). They are strict expected failures: when the check is fixed, delete
the entry.
"""

from __future__ import annotations

import pytest

from conformance.server.variants import VARIANTS
from verdicts import ALL_AT_ONCE, FAILED, GROUPS, JUDGED, WARNED, verdict_runs

_EXPIRES_IN = ("token-expires-in-omitted: every check that obtains a token warns 'expires_in is None'; RFC 6749 "
               "§5.1 makes expires_in RECOMMENDED with the lifetime documented otherwise, and the warning "
               "belongs at most to the check about the token response, not to every check using a token")
EXPECTED_FAILURES: dict[tuple[str, str], str] = {
    **{(ALL_AT_ONCE, check_id): _EXPIRES_IN for check_id in (
        "DCR-MGT-006", "DCR-MGT-007", "DCR-MGT-012", "DCR-MGT-013", "DCR-MGT-014", "DCR-REV-001", "DCR-REV-002",
        "DCR-REV-003", "DCR-REV-004", "DCR-REV-005", "DCR-REV-007", "DCR-REV-008", "DCR-TOK-001", "DCR-TOK-003", "DCR-TOK-009",
        "DCR-TOK-012", "DCR-TOK-013", "DCR-TOK-016", "DCR-USE-001", "DCR-USE-004", "DCR-USE-005",
        "DCR-USE-006", "DCR-USE-007", "DCR-USE-008", "DCR-USE-009", "DCR-USE-012", "DCR-USE-013", "DCR-TOK-018")},
}


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory) -> dict[str, dict]:
    return verdict_runs(tmp_path_factory)["variants"]


def _cases():
    for group, checks in JUDGED.items():
        for check_id in checks:
            finding = EXPECTED_FAILURES.get((group, check_id))
            marks = [pytest.mark.xfail(reason=finding, strict=True)] if finding else []
            yield pytest.param(group, check_id, id=f"{group}-{check_id}", marks=marks)


@pytest.mark.parametrize(("group", "check_id"), list(_cases()))
def test_every_check_passes_under_the_variants(variant_runs, group, check_id):
    """No test of the check fails or warns on the correct server with these variants on."""
    outcomes = variant_runs[group].get(check_id, {})
    bad = outcomes.get(FAILED, []) + outcomes.get(WARNED, [])
    assert not bad, (f"{len(bad)} tests of {check_id} {' or '.join(sorted({r['outcome'] for r in bad}))} "
                     f"under the variants {group!r}: "
                     + "; ".join(f"{r['test']}: {r['reason']}" for r in bad[:2]))


def test_the_two_runs_cover_every_variant():
    assert sorted(n for names in GROUPS.values() for n in names) == sorted(VARIANTS)
