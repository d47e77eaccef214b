"""Proof that the grading is right: the reference SDK passes every scenario, each broken SDK
fails the check that names its fault, over the network (observer + HTTPS reference server) and
in-process (kit)."""

from __future__ import annotations

import pytest

from conformance.sdk import SCENARIOS, SDK_CHECKS, assert_client_conforms
from conformance.requirements import MUST, SHOULD
from conformance.sdk.checks import failures
from conformance.sdk.pytest_plugin import SdkShouldWarning
from sdk_drive import run_launches
from refsdk import FAULTS

#: The faults the issue names: they must fail their own check and nothing else.
CORE_FAULTS = ("reregisters-every-launch", "reuses-initial-token", "keeps-using-main-client",
               "ignores-rotation", "loops-on-invalid-client", "retries-5xx-without-pause")
#: What else a fault breaks by nature (the server refuses what follows).
CONSEQUENCES = {"omits-software-id": {"DCR-SDK-001", "DCR-SDK-008"}}


def _summary(results) -> str:
    return "\n\n".join(str(r) for r in failures(results))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_reference_sdk_passes_over_the_network(network_sdk, observer, scenario):
    sdk = network_sdk(scenario)
    run_launches(sdk, scenario)
    results = observer.grade()
    assert results and all(r.passed for r in results), _summary(results)
    assert {r.installation for r in results} == {sdk.installation}
    assert {r.id for r in results} == set(SCENARIOS[scenario].checks)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_reference_sdk_passes_in_process(kit_sdk, dcr_server, scenario):
    sdk = kit_sdk(scenario)
    run_launches(sdk, scenario)
    results = assert_client_conforms(dcr_server)
    assert {r.id for r in results} == set(SCENARIOS[scenario].checks)
    assert {r.installation for r in results} == {sdk.installation}


def _expect_fault(results, fault: str) -> None:
    """The fault fails its check where the check's words are MUST; where they are SHOULD (the
    suite's inferred rules) it warns, and fails in strict mode."""
    _, named = FAULTS[fault]
    if SDK_CHECKS[named].level == MUST:
        failed = {r.id for r in failures(results)}
        assert named in failed, f"{fault} should fail {named}; results:\n" + "\n".join(map(str, results))
    else:
        assert named not in {r.id for r in failures(results)}, f"{fault}: {named} is SHOULD-level, a warning"
        assert any(r.id == named and r.warned for r in results), \
            f"{fault} should warn on {named}; results:\n" + "\n".join(map(str, results))
    failed = {r.id for r in failures(results, strict=True)}
    assert named in failed
    allowed = {named} if fault in CORE_FAULTS else {named} | CONSEQUENCES.get(fault, set())
    assert failed <= allowed, f"{fault} also failed {failed - allowed}:\n{_summary(results)}"


@pytest.mark.parametrize("fault", list(FAULTS))
def test_broken_sdk_fails_its_check_over_the_network(network_sdk, observer, fault):
    scenario, _ = FAULTS[fault]
    run_launches(network_sdk(scenario, frozenset({fault})), scenario)
    _expect_fault(observer.grade(), fault)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_broken_sdk_fails_its_check_in_process(kit_sdk, dcr_server, fault):
    scenario, named = FAULTS[fault]
    run_launches(kit_sdk(scenario, frozenset({fault})), scenario)
    should = SDK_CHECKS[named].level == SHOULD
    if should:  # a SHOULD finding: a warning, unless strict
        with pytest.warns(SdkShouldWarning, match=named):
            assert_client_conforms(dcr_server)
    with pytest.raises(AssertionError, match=named) as info:
        assert_client_conforms(dcr_server, strict=should)
    assert f"scenario {scenario!r}" in str(info.value)
    _expect_fault(dcr_server.grade(), fault)


def test_every_check_is_shown_to_fail_and_every_core_fault_is_covered():
    assert {named for _, named in FAULTS.values()} == set(SDK_CHECKS)
    assert set(CORE_FAULTS) <= set(FAULTS)
    graded = {check for scenario in SCENARIOS.values() for check in scenario.checks}
    assert graded == set(SDK_CHECKS)
