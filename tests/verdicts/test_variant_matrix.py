"""Every check passes the reference server under every conformant variant (issue: every answer the
specs allow passes).

Bounded to two runs of the suite: every compatible variant at once against the whole suite (its
checks see all the allowed answers together), and the variants left out of that group (the second
member of each incompatible pair) against the checks they concern. A variant whose answer a SHOULD
discourages declares the findings it must produce (``Variant.findings``: check, requirement, the
RFC's words): a SHOULD finding is the correct verdict there, so the matrix asserts that exactly
those warnings appear, on those checks, and that nothing fails (the answers each check allows are
in docs/catalogue.md).
"""

from __future__ import annotations

import pytest

from conformance.catalogue import load_checks
from conformance.requirements import REQUIREMENTS
from conformance.server.variants import VARIANTS, expected_findings
from verdicts import FAILED, GROUPS, JUDGED, WARNED, verdict_runs


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory) -> dict[str, dict]:
    return verdict_runs(tmp_path_factory)["variants"]


def _cases():
    for group, checks in JUDGED.items():
        for check_id in checks:
            yield pytest.param(group, check_id, id=f"{group}-{check_id}")


@pytest.mark.parametrize(("group", "check_id"), list(_cases()))
def test_every_check_passes_under_the_variants(variant_runs, group, check_id):
    """No test of the check fails on the correct server with these variants on, and it warns with
    exactly the SHOULD findings the variants declare for it (each at least once, no other)."""
    outcomes = variant_runs[group].get(check_id, {})
    failed = outcomes.get(FAILED, [])
    assert not failed, (f"{len(failed)} tests of {check_id} failed under the variants {group!r}: "
                        + "; ".join(f"{r['test']}: {r['reason']}" for r in failed[:2]))
    expected = expected_findings(GROUPS[group]).get(check_id, set())
    warned = outcomes.get(WARNED, [])
    unexpected = [r for r in warned if not set(r["findings"]) <= expected]
    assert not unexpected, (f"{len(unexpected)} tests of {check_id} warned under the variants {group!r} beyond "
                            f"the declared findings {sorted(expected)}: "
                            + "; ".join(f"{r['test']} ({' '.join(r['findings'])}): {r['reason']}" for r in unexpected[:2]))
    missing = expected - {rid for r in warned for rid in r["findings"]}
    assert not missing, (f"{check_id} did not report the SHOULD findings {sorted(missing)} that the variants "
                         f"{group!r} declare (Variant.findings)")


def test_the_two_runs_cover_every_variant():
    assert sorted(n for names in GROUPS.values() for n in names) == sorted(VARIANTS)


def test_expires_in_omitted_is_a_warning_of_the_token_response_checks():
    """RFC 6749 §5.1 makes expires_in RECOMMENDED: the variant omitting it declares SHOULD findings
    of the checks owning the token response, not failures."""
    findings = {(f.check, f.requirement) for f in VARIANTS["token-expires-in-omitted"].findings}
    assert findings == {("DCR-TOK-001", "RFC6749-5.1"), ("DCR-USE-001", "RFC6749-5.1")}
    assert expected_findings(["token-expires-in-omitted"]) == {"DCR-TOK-001": {"RFC6749-5.1"},
                                                               "DCR-USE-001": {"RFC6749-5.1"}}
    assert "RECOMMENDED" in VARIANTS["token-expires-in-omitted"].findings[0].words


def test_declared_findings_are_should_findings_of_the_variants_own_checks():
    """Each declared finding names a check the variant concerns, a requirement that check cites,
    and quotes the RFC's words (a SHOULD or RECOMMENDED)."""
    checks = load_checks()
    for variant in VARIANTS.values():
        for finding in variant.findings:
            assert finding.check in variant.checks, (variant.name, finding.check)
            assert finding.requirement in REQUIREMENTS, (variant.name, finding.requirement)
            assert finding.requirement in checks[finding.check].requirements, (variant.name, finding)
            assert "RECOMMENDED" in finding.words or "SHOULD" in finding.words, (variant.name, finding.words)
