"""Proof that every check can fail: each defect of the reference server makes the checks it names fail.

The matrix (``tests/selftest/defect_matrix.py``) runs the suite in-process, strict, against a reference server
with one defect at a time, restricted to the checks the defect names. A defect no check catches,
a check no defect makes fail, and a failure that does not name its check are test failures.
"""

from __future__ import annotations

import pytest

from conformance.catalogue import load_checks
from conformance.requirements import REQUIREMENTS
from conformance.server import DEFECTS
from tests.selftest import defect_matrix, runner

#: Defects that break RFC 7592 management itself: the suite cannot delete what it registered and
#: must say so in its summary (every client it leaves is listed as a leftover).
BREAK_DELETION = {
    "registration-client-uri-wrong",   # the URI to DELETE is wrong
    "management-read-broken",          # the read's rotated credentials cannot be adopted
    "put-client-id-mismatch-accepted",  # an update moves the client away from its URI
    "delete-not-effective",            # DELETE answers 204 and keeps the client
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_defect_is_caught_by_the_checks_it_names(matrix, defect):
    """Every check the defect names fails (one parameter is enough) with a message naming the check."""
    problems = defect_matrix.defect_problems(defect, matrix[defect])
    assert not problems, (f"defect {defect!r} ({DEFECTS[defect].text}) is not caught as it claims:\n"
                          + "\n".join(problems))


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_defect_is_caught_with_the_variants_it_combines_with(matrix, defect):
    """With every conformant variant it can be combined with on at once (and with the variants
    outside that group where they concern its checks), every check the defect names still fails."""
    runs = defect_matrix.variant_runs(defect)
    assert defect_matrix.ALL_AT_ONCE in runs
    problems = {label: defect_matrix.defect_problems(defect, matrix[defect_matrix.combined_key(defect, label)])
                for label in runs}
    problems = {label: found for label, found in problems.items() if found}
    assert not problems, (f"defect {defect!r} is not caught with the variants it combines with:\n"
                          + "\n".join(f"[{label}] " + "\n".join(found) for label, found in problems.items()))


def test_the_variant_column_runs_every_combinable_variant():
    """Per defect, the bounded runs hold every variant it combines with, except those outside the
    all-at-once group that concern none of its checks (the exhaustive form runs those too)."""
    from conformance.server import VARIANTS
    from conformance.server.combinations import combinable

    for name, defect in DEFECTS.items():
        ran = {v for group in defect_matrix.variant_runs(name).values() for v in group}
        left = set(combinable(name)) - ran
        assert all(not set(VARIANTS[v].checks) & set(defect.breaks) for v in left), (name, sorted(left))
        assert set(defect_matrix.variant_runs(name)[defect_matrix.ALL_AT_ONCE]) >= \
            set(combinable(name)) - {sorted(pair)[1] for pair in _incompatible()}, name
        pairs = defect_matrix.variant_runs(name, "pairs")
        assert set(pairs) == set(combinable(name)) and all(pairs[v] == (v,) for v in pairs)


def _incompatible():
    from conformance.server.variants import INCOMPATIBLE

    return INCOMPATIBLE


def test_conflicts_between_defects_and_variants_are_declared_with_a_reason():
    from conformance.server.combinations import combinable, conflicts, declaration_problems

    assert declaration_problems() == []
    for (defect, variant), reason in conflicts().items():
        assert variant not in combinable(defect) and len(reason) > 20, (defect, variant)


def test_a_failure_made_only_of_the_variants_expected_findings_catches_nothing():
    """Strict mode turns the SHOULD findings a variant must produce into failures: they prove no defect."""
    from types import SimpleNamespace

    collector = runner.Collector({"DCR-TOK-001"}, expected_findings={"DCR-TOK-001": {"RFC6749-5.1"}})
    collector._functions["t1"] = collector._functions["t2"] = "test_initial_token"
    for nodeid, named in (("t1", "RFC6749-5.1"), ("t2", "RFC6749-5.1 RFC6749-4.4.3")):
        collector.pytest_runtest_logreport(SimpleNamespace(
            nodeid=nodeid, when="call", failed=True, passed=False, skipped=False,
            longrepr="DCR-TOK-001 title (SHOULD, failing in strict mode)\nexpires_in is None",
            user_properties=[("dcr_check", "DCR-TOK-001"), ("dcr_finding_requirements", named)]))
    outcome = collector.result.checks["DCR-TOK-001"]
    assert outcome.expected == ["t1"] and outcome.caught == ["t2"]


def test_correct_server_passes_everything(matrix):
    """One full run against the correct server: no failure, no warning, nothing skipped, no client left."""
    result = matrix[None]
    assert not defect_matrix.reference_problems(result), "\n".join(defect_matrix.reference_problems(result))
    ran = {check_id for check_id, outcome in result.checks.items() if outcome.ran}
    assert ran == set(load_checks()), f"checks that did not run: {sorted(set(load_checks()) - ran)}"
    assert " 0 failed (MUST), 0 blocked, 0 warnings (SHOULD), 0 not claimed" in result.summary_line, result.summary_line


def test_every_check_fails_under_some_defect(matrix):
    """No check is a check in name only: some defect of the matrix makes each one fail."""
    assert defect_matrix.checks_no_defect_fails(matrix) == []


def test_every_test_function_of_a_check_fails_under_some_defect(matrix):
    """Where one check id spans several functions (per main client and per profile), each fails
    under some defect: no half of a check goes unproven."""
    assert set(matrix[None].checks["DCR-MGT-013"].functions) == {"test_management_client_manages_any_client",
                                                                 "test_main_client_gets_no_dcrm"}
    assert defect_matrix.check_functions_no_defect_fails(matrix) == []


def test_every_check_is_named_by_a_defect():
    assert defect_matrix.unnamed_checks() == [], "checks no defect names (add a defect to conformance/server/defects.py)"


def test_every_defect_names_an_existing_check():
    assert defect_matrix.defects_naming_no_check() == [], "defects no check catches"
    checks = load_checks()
    unknown = {name: [c for c in d.breaks if c not in checks] for name, d in DEFECTS.items()}
    assert {n: u for n, u in unknown.items() if u} == {}, "defects naming checks that do not exist"


def test_every_defect_violates_a_requirement_its_checks_enforce():
    """defect -> requirement -> check: the defect's requirement is known and cited by a check it names."""
    checks = load_checks()
    unknown = [n for n, d in DEFECTS.items() if d.requirement not in REQUIREMENTS]
    assert unknown == [], "defects citing unknown requirements"
    uncited = [f"{n} ({d.requirement}; {' '.join(d.breaks)})" for n, d in DEFECTS.items()
               if not any(d.requirement in checks[c].requirements for c in d.breaks if c in checks)]
    assert uncited == [], "defects whose requirement none of their checks cites"


def test_defect_runs_delete_what_they_registered(matrix):
    """Failing checks leave no client behind, unless the defect breaks deletion: then the suite lists each one."""
    left = {name: r.clients_left for name, r in matrix.items() if name is not None and r.clients_left
            and r.defect not in BREAK_DELETION}
    assert left == {}, "clients left in the store after a defect run"
    unreported = {name: (r.clients_left, len(r.leftovers)) for name, r in matrix.items()
                  if name is not None and r.clients_left > len(r.leftovers)}
    assert unreported == {}, "clients left behind that the suite's summary does not list"


def test_a_management_client_deletes_what_the_clients_own_token_cannot(matrix):
    """Under read-write-ttl-blocks-delete the aged client's own token cannot DELETE it: the cleanup
    deletes it with the claimed management client's dcrm token, so nothing is left or listed."""
    result = matrix["read-write-ttl-blocks-delete"]
    assert (result.clients_left, result.leftovers) == (0, [])


# ---------------------------------------------------------------- the verdicts themselves


def test_only_a_failure_opening_with_the_check_id_proves_the_check():
    assert runner.names_the_check("DCR-REG-006", "DCR-REG-006 A second registration ...\nsecond registration: 201")
    assert not runner.names_the_check("DCR-REG-006", "DCR-REG-0061 other\n...")
    assert not runner.names_the_check("DCR-REG-006", "dcr = <DcrSession>\n    def test_...\nKeyError: 'x'")
    assert not runner.names_the_check("DCR-REG-006", "DCR-REG-006 title\nprerequisite: no initial token")


def test_a_defect_whose_checks_pass_or_crash_is_a_gap():
    name = "initial-token-reusable"
    ran_and_passed = runner.RunResult(name, checks={"DCR-REG-006": runner.CheckOutcome("DCR-REG-006", ran=8)})
    assert any("did not fail" in p for p in defect_matrix.defect_problems(name, ran_and_passed))
    skipped = runner.RunResult(name, checks={"DCR-REG-006": runner.CheckOutcome(
        "DCR-REG-006", skipped=["x: not claimed by profile: [claims] initial_token_single_use = false"])})
    assert any("did not run" in p and "not claimed" in p for p in defect_matrix.defect_problems(name, skipped))
    crashed = runner.RunResult(name, checks={"DCR-REG-006": runner.CheckOutcome(
        "DCR-REG-006", ran=8, caught=["a"], wrong=[runner.Failure("b", "call", "Traceback ...")])})
    assert any("without naming its id" in p for p in defect_matrix.defect_problems(name, crashed))
    caught = runner.RunResult(name, checks={"DCR-REG-006": runner.CheckOutcome("DCR-REG-006", ran=8, caught=["a"])})
    assert defect_matrix.defect_problems(name, caught) == []


def test_matrix_results_survive_the_trip_between_processes():
    result = runner.RunResult("x", exit_code=1, checks={"DCR-REG-006": runner.CheckOutcome(
        "DCR-REG-006", ran=1, wrong=[runner.Failure("n", "setup", "m")])}, failures=[runner.Failure("n", "setup", "m")])
    assert defect_matrix.matrix_from_json(defect_matrix.matrix_to_json({"x": result, None: result})) == {"x": result, None: result}


def test_a_check_function_no_defect_fails_is_a_gap():
    ran = runner.CheckOutcome("DCR-MGT-012", ran=9, functions=["per_client", "per_profile"])
    half = runner.CheckOutcome("DCR-MGT-012", ran=1, caught=["x"], functions=["per_client"],
                                 caught_functions=["per_client"])
    results = {None: runner.RunResult(None, checks={"DCR-MGT-012": ran}),
               "some-defect": runner.RunResult("some-defect", checks={"DCR-MGT-012": half})}
    assert defect_matrix.check_functions_no_defect_fails(results) == ["DCR-MGT-012: per_profile"]


def test_storing_some_pairs_keeps_the_other_pairs_of_the_same_defect(tmp_path):
    """A related-pairs run of one defect must not drop the verdicts of its other variants."""
    import json

    path = tmp_path / "pairs.json"
    path.write_text(json.dumps({"initial-token-reusable": {"variant-a": "caught", "variant-b": "caught"},
                                "other-defect": {"variant-a": "caught"}}))
    name = "initial-token-reusable"
    key = defect_matrix.combined_key(name, "variant-b")
    fresh = runner.RunResult(name, variants=["variant-b"], checks={"DCR-REG-006": runner.CheckOutcome(
        "DCR-REG-006", ran=8)})  # ran and passed: no longer caught
    defect_matrix.write_pairs({key: fresh}, path)
    stored = json.loads(path.read_text())
    assert stored["other-defect"] == {"variant-a": "caught"}
    assert stored[name]["variant-a"] == "caught"
    assert stored[name]["variant-b"] != "caught"
