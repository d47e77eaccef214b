"""Helpers of the SDK-conformance tests: the kit profile for the reference SDK, the scenario driver."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conformance.profile import Profile, load_profile
from conformance.sdk import get_scenario
from conformance.sdk.pytest_plugin import KitServer
from refsdk import RefSdk

#: Grading options for fast tests: the reference SDK backs off 0.06 s, 0.12 s, ...
FAST = {"min_delay_s": 0.05}


def kit_profile(server: KitServer, directory: Path) -> Profile:
    """A profile of the emulated server, for the reference SDK (which is built on a profile)."""
    path = directory / "kit-profile.toml"
    path.write_text(textwrap.dedent(f"""
        name = "kit"
        [server]
        token_endpoint = "{server.token_endpoint}"
        registration_endpoint = "{server.registration_endpoint}"
        timeout_s = 5
        [template]
        software_id = "{server.template_id}"
        scope = "{server.scope}"
        grant_types = ["client_credentials"]
        token_endpoint_auth_method = "client_secret_basic"
        [main_clients.basic]
        client_id = "{server.main_client_id}"
        auth_method = "client_secret_basic"
        client_secret = "{server.main_client_secret}"
        [use]
        dpop = true
        resource_url = "{server.resource_url}"
    """))
    return load_profile(path)


def run_launches(sdk: RefSdk, scenario_name: str) -> list:
    """Drive the SDK as the scenario's steps say: one launch() per launch."""
    scenario = get_scenario(scenario_name)
    outcomes = []
    for number in range(1, scenario.launches + 1):
        try:
            outcomes.append(sdk.launch(clear_client=number == scenario.clear_in_launch,
                                       read_configuration=number == scenario.read_in_launch))
        except Exception as exc:  # a broken SDK may give up: the grading still sees its traffic
            outcomes.append(exc)
    return outcomes
