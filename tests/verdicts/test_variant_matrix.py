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

_EXPIRES_IN = ("token-expires-in-omitted: RFC 6749 §5.1 makes expires_in RECOMMENDED, so its absence is a SHOULD "
               "finding of the checks about the token response (and of no check that only uses a token); the "
               "variant is there to show the finding stays a warning there and appears nowhere else")
_TOKEN_KEPT = ("management-unknown-client-token-kept: RFC 7592 §2.1 says the registration access token used on a "
               "client that does not exist SHOULD be revoked, so keeping it (the 401 is still given) is a SHOULD "
               "finding of DCR-MGT-016 only; the variant shows it stays a warning there")
EXPECTED_FAILURES: dict[tuple[str, str], str] = {
    **{(ALL_AT_ONCE, check_id): _EXPIRES_IN for check_id in ("DCR-TOK-001", "DCR-USE-001")},
    (ALL_AT_ONCE, "DCR-MGT-016"): _TOKEN_KEPT,
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
