"""SDK conformance: grade how a client (an app, a mobile SDK) takes the DCR fallback.

The mirror image of the server suite. A scenario (:data:`SCENARIOS`) makes the server side
behave in a given way (attestation accepted or not, stored client revoked, credentials rotated,
DPoP nonces required, 5xx for a while); the client's traffic is recorded per installation and
launch (:class:`Recording`) and graded by the ``DCR-SDK-*`` checks (:data:`SDK_CHECKS`,
:func:`grade`). Two ways to run it:

* over the network: :class:`~conformance.sdk.observer.Observer`, the reference server with a
  recording middleware (``dcr-conformance serve --observe SCENARIO``), then
  ``python -m conformance.sdk verify-client --scenario SCENARIO``;
* in-process, for Python SDKs on httpx: the pytest plugin :mod:`conformance.sdk.pytest_plugin`
  (``-p conformance.sdk.pytest_plugin``: fixture ``dcr_server``, :func:`assert_client_conforms`).

See docs/sdk.md.
"""

from __future__ import annotations

from typing import Any

from .checks import SDK_CHECKS, SDK_REQUIREMENTS, Result, grade
from .recording import ATTESTATION_PATH, INSTALLATION_HEADER, Call, Recording
from .scenarios import SCENARIOS, Scenario, ScenarioEngine, get_scenario

__all__ = [
    "ATTESTATION_PATH", "INSTALLATION_HEADER", "SCENARIOS", "SDK_CHECKS", "SDK_REQUIREMENTS", "Call",
    "KitServer", "Observer", "Recording", "Result", "Scenario", "ScenarioEngine", "assert_client_conforms",
    "get_scenario", "grade",
]


def __getattr__(name: str) -> Any:  # the observer needs the server, the kit needs respx: load on use
    if name == "Observer":
        from .observer import Observer

        return Observer
    if name in ("KitServer", "assert_client_conforms"):
        from . import pytest_plugin

        return getattr(pytest_plugin, name)
    raise AttributeError(f"module 'conformance.sdk' has no attribute {name!r}")
