"""Observer mode: the reference server, recording an app's traffic and playing a scenario.

::

    with Observer("second-launch") as obs:     # a ReferenceServer with the observer middleware
        obs.base_url, obs.attestation_url, obs.profile_path, obs.ca_cert
        ...                                      # the app under test talks to obs.base_url
        results = obs.grade()                    # list[Result] for the current scenario

Command line: ``dcr-conformance serve --observe [SCENARIO]`` (see :func:`run_observer`).

Besides the server's own endpoints, the observer answers:

=========================== ================================================================
``POST /attestation``       the attestation stand-in (see :mod:`conformance.sdk.scenarios`)
``GET  /observer``          status: scenario, its steps, installations and their launches
``POST /observer/scenario`` ``{"scenario": NAME, "options": {...}}``: switch scenario, new recording
``POST /observer/reset``    restart the recording of the current scenario
``POST /observer/launch``   mark a launch for apps that do not attest (``X-Installation-Id`` optional)
``GET  /observer/recording`` ``?scenario=NAME``: the (redacted) recording, JSON
``GET  /observer/verdict``  ``?scenario=NAME``: the graded results, JSON
=========================== ================================================================

The control endpoints are not recorded. Scenario behaviour comes from the middleware, so the
server itself stays conformant; it runs without server nonces (the ``dpop-nonce`` scenario adds
them) and rotates credentials on RFC 7592 reads (Curity's default).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl

from conformance.server.http_messages import Request, Response

from .recording import INSTALLATION_HEADER, Paths
from .scenario_driven import ScenarioDriven
from .scenarios import SCENARIOS, Scenario, ScenarioEngine
from .http_messages import WireRequest, WireResponse, json_response, oauth_error

CONTROL_PREFIX = "/observer"


def _to_wire(request: Request, base_url: str) -> WireRequest:
    url = base_url + request.path + (f"?{request.query}" if request.query else "")
    return WireRequest(request.method, request.path, request.query, list(request.headers.items()),
                       request.body, url)


def _from_server(response: Response) -> WireResponse:
    return WireResponse(response.status, list(response.headers), response.body)


def _to_server(response: WireResponse) -> Response:
    return Response(response.status, response.body, list(response.headers))


class Observer(ScenarioDriven):
    """A :class:`~conformance.server.ReferenceServer` wrapped by the observer middleware.

    Keyword arguments other than the grading options (``min_delay_s``...) go to the server
    (``port``, ``pki``, ``rotate_on_read``, ``state_file``, ``workdir``, ``profile_path``,
    ``initial_token_ttl_s``, ``host``).
    """

    def __init__(self, scenario: str | Scenario = "first-launch", **kwargs: Any) -> None:
        from conformance.server import ReferenceServer

        options = {k: kwargs.pop(k) for k in list(kwargs) if k in Scenario.OPTIONS}
        self.engine = ScenarioEngine(None, scenario, **options)
        kwargs.setdefault("dpop_nonce", False)
        self.server = ReferenceServer(middleware=self.middleware, **kwargs)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Observer:
        self.server.start()
        self.engine.set_paths(Paths.from_profile(self.server.profile_path))
        self.engine.set_main_clients(frozenset(c.client_id for c in self.server.config.clients.values()))
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Observer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Observer({self.server!r}, scenario={self.scenario.name!r})"

    # -- where things are ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def attestation_url(self) -> str:
        return self.base_url + self.engine.paths.attestation

    @property
    def control_url(self) -> str:
        return self.base_url + CONTROL_PREFIX

    @property
    def profile_path(self) -> Path | None:
        return self.server.profile_path

    @property
    def ca_cert(self) -> Path:
        return self.server.pki.ca_cert

    def main_client(self, label: str = "basic") -> tuple[str, Path]:
        """(client_id, file holding its secret) of a main client of the profile."""
        client = self.server.config.client_by_label(label)
        return client.client_id, self.profile_path.parent / "secrets" / f"{label}.txt"

    # -- the middleware ------------------------------------------------------------------------

    def middleware(self, app: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """Wrap the reference server's ``App``: control endpoints, then scenario + recording."""
        def observed(request: Request) -> Response:
            if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
                return _to_server(self._control(request))
            wire = _to_wire(request, self.base_url)
            return _to_server(self.engine.handle(wire, lambda _: _from_server(app(request))))

        return observed

    def _control(self, request: Request) -> WireResponse:
        action = request.path[len(CONTROL_PREFIX):].strip("/")
        query = dict(parse_qsl(request.query))
        try:
            if action == "" and request.method == "GET":
                return json_response(200, self.status())
            if action == "scenario" and request.method == "POST":
                body = json.loads(request.body or b"{}")
                if not isinstance(body, dict):
                    return oauth_error(400, "invalid_request", "the body must be a JSON object")
                name = body.get("scenario") or query.get("scenario")
                if not isinstance(name, str):
                    return oauth_error(400, "invalid_request", "name the scenario: {\"scenario\": NAME}")
                chosen = self.use_scenario(name, **dict(body.get("options") or {}))
                return json_response(200, _describe(chosen))
            if action == "reset" and request.method == "POST":
                self.use_scenario(self.scenario)
                return json_response(200, _describe(self.scenario))
            if action == "launch" and request.method == "POST":
                self.launch(request.header(INSTALLATION_HEADER))
                return WireResponse(204)
            if action == "recording" and request.method == "GET":
                return json_response(200, self.recording_of(query.get("scenario")).to_dict())
            if action == "verdict" and request.method == "GET":
                name = query.get("scenario") or self.scenario.name
                results = self.grade(name, installation=query.get("installation"))
                return json_response(200, {"scenario": name, "passed": all(r.passed for r in results),
                                           "warnings": sum(1 for r in results if r.warned),
                                           "results": [r.to_dict() for r in results]})
        except (KeyError, ValueError, TypeError) as exc:
            text = exc.args[0] if exc.args else str(exc)
            return oauth_error(400, "invalid_request", str(text))
        return oauth_error(404, "not_found", "see GET /observer for the control endpoints")

    def status(self) -> dict[str, Any]:
        recording = self.recording
        installations = {}
        for inst in recording.installations():
            calls = recording.of(inst)
            installations[inst] = {"launches": max(c.launch for c in calls), "calls": len(calls)}
        return {**_describe(self.scenario), "attestation_url": self.attestation_url,
                "installations": installations, "calls": len(recording),
                "scenarios": list(SCENARIOS)}


def _describe(scenario: Scenario) -> dict[str, Any]:
    return {"scenario": scenario.name, "summary": scenario.summary, "steps": list(scenario.steps),
            "checks": list(scenario.checks), "options": scenario.options()}


# -- dcr-conformance serve --observe -----------------------------------------------------------


def run_observer(args: argparse.Namespace) -> int:
    """``dcr-conformance serve --observe [SCENARIO]``: the server options of ``serve`` apply
    (``--port``, ``--write-profile``, ``--state``, ``--no-rotation``, ``--initial-token-ttl``);
    ``--defect`` does not (the app is under test, not the server) and server nonces are off
    (the ``dpop-nonce`` scenario asks for them)."""
    from conformance.server.cli import server_options, wait_for_stop

    scenario_name = args.observe
    if scenario_name not in SCENARIOS:
        print(f"dcr-conformance serve --observe: unknown scenario {scenario_name!r}; known: "
              f"{', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    if getattr(args, "defect", None):
        print("dcr-conformance serve: --defect cannot be combined with --observe", file=sys.stderr)
        return 2
    observer = Observer(scenario_name, **server_options(args))
    try:
        observer.start()
    except OSError as exc:
        print(f"dcr-conformance serve: cannot listen on port {args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    _print_banner(observer)
    try:
        wait_for_stop()
    finally:
        try:
            if len(observer.recording):
                from .report import render_text

                print(render_text(observer.grade(), verbose=False), flush=True)
        finally:
            observer.stop()
            print("stopped", flush=True)
    return 0


def _print_banner(observer: Observer) -> None:
    scenario = observer.scenario
    client_id, secret_file = observer.main_client()
    lines = [
        f"dcr-conformance observer at {observer.base_url} (scenario {scenario.name})",
        f"profile: {observer.profile_path}",
        f"CA certificate: {observer.ca_cert}",
        f"main client: {client_id} (client_secret_basic or _post; secret in {secret_file})",
        f"template (software_id): {scenario.software_id}",
        f"attestation stand-in: POST {observer.attestation_url} at each launch ({INSTALLATION_HEADER} optional: "
        f"installations are told apart by their credentials)",
        f"scenario {scenario.name}: {scenario.summary}",
        *(f"  launch {i}: {step}" for i, step in enumerate(scenario.steps, 1)),
        f"verdict: GET {observer.control_url}/verdict   or   python -m conformance.sdk verify-client "
        f"--scenario {scenario.name} --observer {observer.base_url} --ca-bundle {observer.ca_cert}",
        f"switch scenario: POST {observer.control_url}/scenario {{\"scenario\": NAME}}",
        "Ctrl-C or SIGTERM stops it (and prints the verdict).",
    ]
    print("\n".join(lines), flush=True)
