"""In-process SDK kit for Python SDKs on httpx: a DCR server emulated through respx.

Enable it with ``-p conformance.sdk.pytest_plugin`` (or ``pytest_plugins =
["conformance.sdk.pytest_plugin"]`` in the root ``conftest.py``; ``conformance.sdk.kit`` is the
same plugin under its former name), then::

    @pytest.mark.dcr_scenario("second-launch")
    def test_my_sdk_keeps_its_client(dcr_server, tmp_path):
        for _ in range(2):
            dcr_server.launch()          # or let the SDK call dcr_server.attestation_endpoint
            MySdk(token_endpoint=dcr_server.token_endpoint, ...).start()
        assert_client_conforms(dcr_server)

Every ``httpx`` request to ``dcr_server.base_url`` (sync or async clients) goes to
:class:`~conformance.sdk.emulator.Emulator` behind the same
:class:`~conformance.sdk.scenarios.ScenarioEngine` as the network observer, so the scenarios,
the recording and the ``DCR-SDK-*`` checks are the same. Requests to other hosts are not
mocked: respx refuses them (unit tests should not reach the network).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import fields, replace
from typing import Any

import httpx
import pytest
import respx

from .checks import Result, failures, grade
from .emulator import Emulator, EmulatorConfig
from .recording import Recording
from .scenario_driven import ScenarioDriven
from .scenarios import Scenario, ScenarioEngine
from .http_messages import WireRequest, WireResponse

_CONFIG_FIELDS = {f.name for f in fields(EmulatorConfig)}


class KitServer(ScenarioDriven):
    """The emulated DCR server of one test: endpoints, credentials, scenario, recording."""

    strict = False  # SHOULD findings fail assert_client_conforms (the fixture sets it from --dcr-strict)

    def __init__(self, scenario: str | Scenario = "first-launch", config: EmulatorConfig | None = None,
                 **options: Any) -> None:
        settings = {k: options.pop(k) for k in list(options) if k in _CONFIG_FIELDS}
        self.config = replace(config or EmulatorConfig(), **settings)
        self.emulator = Emulator(self.config)
        self.engine = ScenarioEngine(self.emulator, scenario, paths=self.config.paths,
                                     main_clients=frozenset({self.config.main_client_id}), **options)

    def __repr__(self) -> str:
        return f"<KitServer {self.base_url} scenario={self.scenario.name!r} calls={len(self.recording)}>"

    # -- what an SDK is configured with --------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def token_endpoint(self) -> str:
        return self.config.token_endpoint

    @property
    def registration_endpoint(self) -> str:
        return self.config.registration_endpoint

    @property
    def attestation_endpoint(self) -> str:
        return self.config.attestation_endpoint

    @property
    def resource_url(self) -> str:
        return self.base_url + self.config.paths.resource

    @property
    def metadata_url(self) -> str:
        return self.base_url + self.config.paths.metadata[0]

    @property
    def main_client_id(self) -> str:
        return self.config.main_client_id

    @property
    def main_client_secret(self) -> str:
        return self.config.main_client_secret

    @property
    def template_id(self) -> str:
        return self.config.template

    @property
    def scope(self) -> str:
        return self.config.scope

    # -- httpx ---------------------------------------------------------------------------------

    def respond(self, request: httpx.Request) -> httpx.Response:
        """The respx side effect: an httpx request through the scenario engine and the emulator."""
        url = request.url
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        wire = WireRequest(request.method, url.path, url.query.decode("ascii", "replace"), headers,
                           request.read(), str(url))
        answer: WireResponse = self.engine.handle(wire)
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    @contextlib.contextmanager
    def mock(self) -> Iterator[respx.MockRouter]:
        """Route httpx requests for ``base_url`` here while the block runs."""
        with respx.mock(assert_all_called=False) as router:
            router.route(url__startswith=self.base_url).mock(side_effect=self.respond)
            yield router


class SdkShouldWarning(UserWarning):
    """A SHOULD finding of a ``DCR-SDK`` check (shown in pytest's warnings summary; a failure only
    when strict)."""


def assert_client_conforms(recording: KitServer | Recording | Any, scenario: str | Scenario | None = None,
                           *, installation: str | None = None, strict: bool | None = None) -> list[Result]:
    """Grade and raise AssertionError naming every failed ``DCR-SDK`` check; returns the results.

    ``recording``: a :class:`KitServer`, an :class:`~conformance.sdk.observer.Observer` or a
    :class:`Recording`. ``scenario``: default, the one the recording was made under. A SHOULD
    finding is issued as a :class:`SdkShouldWarning`, and fails only with ``strict`` (default: the
    ``dcr_server`` fixture's, from ``--dcr-strict``).
    """
    if strict is None:
        strict = bool(getattr(recording, "strict", False))
    engine = getattr(recording, "engine", None)
    if engine is not None:
        name = scenario.name if isinstance(scenario, Scenario) else scenario
        recording = engine.recording_of(name)
    chosen = scenario if scenario is not None else recording.scenario
    results = grade(chosen, recording, installation=installation)
    name = chosen.name if isinstance(chosen, Scenario) else chosen
    failed = failures(results, strict=strict)
    if failed:
        ids = ", ".join(dict.fromkeys(r.id for r in failed))
        details = "\n\n".join(str(r) for r in failed)
        what = "failed (SHOULD findings fail in strict mode)" if strict and any(r.warned for r in failed) else "failed"
        raise AssertionError(f"client does not conform to scenario {name!r}: {ids} {what}\n\n{details}")
    for result in results:
        if result.warned:
            warnings.warn(SdkShouldWarning(f"scenario {name!r}: {result}"), stacklevel=2)
    return results


# -- pytest plugin -----------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dcr_scenario(name, **options): the scenario (and grading or emulator options) "
                   "of the dcr_server fixture")


@pytest.fixture
def dcr_server(request: pytest.FixtureRequest) -> Iterator[KitServer]:
    """An emulated DCR server for this test (respx); ``@pytest.mark.dcr_scenario(NAME, ...)``."""
    marker = request.node.get_closest_marker("dcr_scenario")
    scenario = marker.args[0] if marker is not None and marker.args else "first-launch"
    options = dict(marker.kwargs) if marker is not None else {}
    server = KitServer(scenario, **options)
    try:  # the suite's --dcr-strict, when its plugin is loaded: SHOULD findings fail
        server.strict = bool(request.config.getoption("--dcr-strict"))
    except ValueError:
        server.strict = False
    with server.mock():
        yield server


__all__ = ["KitServer", "SdkShouldWarning", "assert_client_conforms", "dcr_server", "pytest_configure"]
