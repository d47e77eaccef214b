"""Fixtures for the SDK-conformance tests: one observer (reference server over HTTPS) per session,
the kit's ``dcr_server`` fixture, and reference SDKs pointed at either."""

from __future__ import annotations

import uuid

import pytest

from conformance.pki import TestPKI
from conformance.profile import Profile, load_profile
from conformance.sdk.pytest_plugin import dcr_server, pytest_configure  # noqa: F401 (the kit plugin)
from conformance.sdk.observer import Observer
from refsdk import RefSdk
from sdk_drive import FAST, kit_profile


@pytest.fixture(scope="session")
def sdk_pki(tmp_path_factory) -> TestPKI:
    return TestPKI.generate(tmp_path_factory.mktemp("sdk-pki"))


@pytest.fixture(scope="session")
def observer(sdk_pki):
    """The observer over real HTTPS, shared: each test switches scenario (a new recording)."""
    with Observer(pki=sdk_pki) as obs:
        yield obs


@pytest.fixture(scope="session")
def observer_profile(observer) -> Profile:
    return load_profile(observer.profile_path)


@pytest.fixture
def network_sdk(observer, observer_profile, tmp_path):
    """``network_sdk(scenario, faults=...)``: switch the observer, return an SDK for it."""
    def make(scenario: str, faults: frozenset[str] = frozenset(), variants: frozenset[str] = frozenset()) -> RefSdk:
        observer.use_scenario(scenario, **FAST)
        return RefSdk(observer_profile, tmp_path / "device.json", attestation_url=observer.attestation_url,
                      installation=f"device-{uuid.uuid4().hex[:8]}", faults=faults, variants=variants)
    return make


@pytest.fixture
def kit_sdk(dcr_server, tmp_path):  # noqa: F811 (the kit's fixture)
    def make(scenario: str, faults: frozenset[str] = frozenset(), variants: frozenset[str] = frozenset()) -> RefSdk:
        dcr_server.use_scenario(scenario, **FAST)
        return RefSdk(kit_profile(dcr_server, tmp_path), tmp_path / "device.json",
                      attestation_url=dcr_server.attestation_endpoint,
                      installation=f"device-{uuid.uuid4().hex[:8]}", faults=faults, variants=variants)
    return make

