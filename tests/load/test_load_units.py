"""The parts of ``conformance.load`` that need no Locust: isolation, safety, objectives, oracles."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from conformance.client.http import CapturedRequest, Exchange
from conformance.load.objectives import Objectives, parse_objectives, read_profile
from conformance.load.options import LoadOptions, UsageError, check_targets, is_loopback
from conformance.load.oracles import OracleBook, judge, registration_shape, replay_refused
from conformance.load.report import objective_misses
from conformance.pki import TestPKI
from conformance.server import ReferenceServer


def test_the_cli_and_the_load_package_never_import_locust_or_gevent():
    code = ("import sys, conformance.cli, conformance.harness.plugin, conformance.load.cli, conformance.load.options, "
            "conformance.load.objectives, conformance.load.oracles, conformance.load.report, "
            "conformance.load.cleanup, conformance.load.embedded\n"
            "conformance.cli.build_parser().parse_args(['load', '--devices', '3'])\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent', 'zmq'))\n"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.12.0.9", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("10.0.0.1", False), ("192.168.1.2", False), ("idsvr.example", False), ("127.0.0.1.example", False),
])
def test_loopback_rule(host, loopback):
    assert is_loopback(host) is loopback


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ReferenceServer(pki=TestPKI.generate(tmp_path_factory.mktemp("pki"))) as srv:
        yield srv


def test_a_remote_target_needs_confirm_target_repeating_its_host(server):
    remote = server.profile_path.with_name("remote.toml")
    remote.write_text(server.profile_path.read_text().replace("127.0.0.1", "idsvr.example"))
    profile = read_profile(remote)
    with pytest.raises(UsageError, match="--confirm-target idsvr.example"):
        check_targets(profile, [])
    with pytest.raises(UsageError):
        check_targets(profile, ["other.example"])
    check_targets(profile, ["idsvr.example"])
    check_targets(read_profile(server.profile_path), [])
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "load", "--profile", str(remote), "--devices", "2"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not a loopback address" in proc.stderr


def test_a_profile_may_carry_a_load_table(server):
    with_load = server.profile_path.with_name("with-load.toml")
    with_load.write_text(server.profile_path.read_text()
                         + "\n[load]\nmin_registrations_per_s = 5\n[load.latency_ms.register]\np95 = 300\n")
    profile = read_profile(with_load)
    assert profile.main_clients and profile.server.registration_endpoint
    from conformance.load.objectives import objectives_from_file

    assert objectives_from_file(with_load) == Objectives(5.0, {"register": {"p95": 300.0}})


def test_objectives_name_every_mistake():
    with pytest.raises(UsageError) as info:
        parse_objectives({"min_registrations_per_s": -1, "latency": 3,
                          "latency_ms": {"regster": {"p95": 1}, "register": {"p90": 1, "p99": "fast"}}}, "p.toml")
    text = str(info.value)
    for key in ("load.min_registrations_per_s", "load.latency", "load.latency_ms.regster",
                "load.latency_ms.register.p90", "load.latency_ms.register.p99"):
        assert key in text


def test_objective_misses_name_the_figure():
    objectives = Objectives(10.0, {"register": {"p95": 100.0}, "resource": {"p50": 5.0}})
    steps = {"register": {"p95": 250.0}}
    assert objective_misses(objectives, steps, 12.0) == ["register p95 250 ms > 100 ms",
                                                         "resource p50: no samples (objective 5 ms)"]
    assert objective_misses(objectives, {"register": {"p95": 90.0}, "resource": {"p50": 4.0}}, 9.5) == [
        "registrations/s 9.5 < 10"]


def test_load_options_cap_the_fleet():
    LoadOptions(devices=500).check()
    for bad in (LoadOptions(devices=1001), LoadOptions(rate=0), LoadOptions(rate=101), LoadOptions(race_share=2),
                LoadOptions(workers=99), LoadOptions(time_limit_s=0), LoadOptions(master=True, workers=2)):
        with pytest.raises(UsageError):
            bad.check()
    assert LoadOptions(race_share=0.1).race_every() == 10 and LoadOptions(race_share=0).race_every() == 0


def _exchange(status: int | None, body=None, headers=None, error: str | None = None) -> Exchange:
    request = CapturedRequest("POST", "https://127.0.0.1/register", (), "")
    response = None if status is None else httpx.Response(status, json=body, headers=headers or {})
    return Exchange(request, response, error, 0.01)


class _Profile:
    class claims:
        registration_management = True


def test_judge_separates_5xx_shape_and_should():
    shape = registration_shape(_Profile)
    good = {"client_id": "dyn-1", "registration_access_token": "rat-123456789", "registration_client_uri": "https://x/1"}
    assert judge(_exchange(201, good, {"Cache-Control": "no-store"}), shape).ok
    assert judge(_exchange(503, {}), shape).oracle == "no-5xx"
    assert judge(_exchange(None, error="connection refused"), shape).oracle == "no-5xx"
    bad = judge(_exchange(201, {"client_id": "dyn-1"}), shape)
    assert bad.oracle == "rfc-shape" and "registration_access_token is missing" in bad.evidence
    assert bad.short and "\n" not in bad.short
    assert judge(_exchange(401, {"error": "invalid_token"}), replay_refused).ok
    assert judge(_exchange(201, good), replay_refused).oracle == "rfc-shape"


def test_the_book_finds_repeated_ids_double_acceptance_and_missing_clients():
    book = OracleBook(devices=3)
    for device, client_id in enumerate(["a", "b", "a"]):
        book.client_registered({"client_id": client_id, "device": device})
    book.device_finished({"device": 0, "main": "basic", "client_id": "a", "requests": 4})
    book.device_finished({"device": 1, "main": "post", "client_id": "b", "requests": 4, "raced": True,
                          "race_accepted": 2, "violations": [("initial-token-single-use", "twice")]})
    verdicts = {v.oracle: v for v in book.verdicts(store_growth=3, objective_misses=[], objectives_set=False,
                                                   left=["b"], cleaned=1)}
    assert not verdicts["distinct-client-ids"].passed and "devices 0 and 2" in verdicts["distinct-client-ids"].evidence[0]
    assert not verdicts["initial-token-single-use"].passed
    assert not verdicts["one-client-per-device"].passed  # device 2 never finished
    assert not verdicts["nothing-left-behind"].passed and verdicts["nothing-left-behind"].evidence == ["left behind: b"]
    assert verdicts["no-5xx"].passed and verdicts["objectives"].passed
    assert book.requests_fired == 8 and book.mains == {"basic": 1, "post": 1}
