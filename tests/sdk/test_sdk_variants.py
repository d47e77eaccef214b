"""Every answer the specs allow passes: each variant client (a behaviour the RFCs allow that the
reference SDK does not have) passes every scenario, in-process (kit) and over the network
(observer + HTTPS reference server), alone and all at once."""

from __future__ import annotations

import pytest

from conformance.sdk import SCENARIOS, assert_client_conforms
from conformance.sdk.checks import failures
from refsdk import VARIANTS
from sdk_drive import run_launches

ALL = "all-at-once"
CHOICES = [*VARIANTS, ALL]


def _variants(name: str) -> frozenset[str]:
    return frozenset(VARIANTS) if name == ALL else frozenset({name})


def _shows(recording, variants: frozenset[str], scenario: str) -> None:
    """The variant's behaviour really is in the traffic (a variant that did nothing proves nothing)."""
    calls = recording.calls
    fell_back = scenario != "attestation-ok" and any(c.kind == "register" and c.ok for c in calls)
    if "discovery-first" in variants:
        first = [c.kind for c in calls if c.kind in ("metadata", "attestation")][:2]
        assert first == ["metadata", "attestation"], first
    if "no-installation-header" in variants:
        assert "X-Installation-Id" not in "".join(c.text for c in calls)
    if not fell_back:
        return
    if "dpop-setup" in variants:
        assert {c.auth_scheme for c in calls if c.kind == "register"} == {"dpop"}
    if "client-secret-post" in variants:
        assert {c.auth_method for c in calls if c.client_role == "main"} == {"client_secret_post"}
    if "omits-scope" in variants:
        dynamic = [c for c in calls if c.kind == "token" and c.client_role == "dynamic"]
        assert dynamic and all(c.scope is None for c in dynamic)
    if "early-refresh" in variants:
        assert len([c for c in calls if c.kind == "token" and c.client_role == "dynamic" and c.ok]) >= 2
    if "cached-token" in variants and scenario == "second-launch":
        second = [c for c in calls if c.launch == 2 and not c.marker and c.kind != "metadata"]
        assert [c.kind for c in second] == ["resource"] and second[0].ok
    if "deletes-cleared-client" in variants and scenario == "clear-client":
        assert [c.status for c in calls if c.kind == "manage" and c.method == "DELETE"] == [204]


def _summary(results) -> str:
    return "\n\n".join(str(r) for r in failures(results))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("variant", CHOICES)
def test_variant_passes_in_process(kit_sdk, dcr_server, variant, scenario):
    sdk = kit_sdk(scenario, variants=_variants(variant))
    outcomes = run_launches(sdk, scenario)
    if scenario != "server-down":
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    results = assert_client_conforms(dcr_server)
    assert {r.id for r in results} == set(SCENARIOS[scenario].checks)
    assert len({r.installation for r in results}) == 1
    _shows(dcr_server.recording, sdk.variants, scenario)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("variant", CHOICES)
def test_variant_passes_over_the_network(network_sdk, observer, variant, scenario):
    sdk = network_sdk(scenario, variants=_variants(variant))
    run_launches(sdk, scenario)
    results = observer.grade()
    assert results and all(r.passed for r in results), _summary(results)
    assert {r.id for r in results} == set(SCENARIOS[scenario].checks)
    expected = "default" if "no-installation-header" in sdk.variants else sdk.installation
    assert {r.installation for r in results} == {expected}
    _shows(observer.recording, sdk.variants, scenario)


@pytest.mark.parametrize("scenario", ["second-launch", "rotation", "revoked-client"])
def test_dynamic_client_by_client_secret_post_passes(request, scenario, tmp_path):
    """A template whose dynamic clients authenticate by client_secret_post (RFC 6749 §2.3.1)."""
    from conformance.sdk.pytest_plugin import KitServer
    from refsdk import RefSdk
    from sdk_drive import FAST, kit_profile

    server = KitServer(scenario, template_auth_method="client_secret_post", **FAST)
    with server.mock():
        sdk = RefSdk(kit_profile(server, tmp_path), tmp_path / "device.json",
                     attestation_url=server.attestation_endpoint, installation="post-device",
                     variants={"client-secret-post"})
        run_launches(sdk, scenario)
    results = assert_client_conforms(server)
    dynamic = [c for c in server.recording.calls if c.kind == "token" and c.client_role == "dynamic"]
    assert dynamic and {c.auth_method for c in dynamic} == {"client_secret_post"}
    main = [c for c in server.recording.calls if c.client_role == "main"]
    assert main and {c.auth_method for c in main} == {"client_secret_post"}
    assert {r.id for r in results} == set(SCENARIOS[scenario].checks)
