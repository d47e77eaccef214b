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
            and name not in BREAK_DELETION}
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
