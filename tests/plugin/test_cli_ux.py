"""What a user of the command line meets: failures that name their check, profile and client, a
table that fits the terminal, partial runs and runs that did not start said as such, the target
printed first, one command line (sdk, --version, choices in --help), closed pipes, and a plugin
that stays silent in projects that do not use it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import __version__
from conformance.catalogue import load_checks
from conformance.cli import build_parser, main, pytest_arguments
from conformance.sdk.scenarios import SCENARIOS
from conformance.server.defects import DEFECTS

CLI = [sys.executable, "-m", "conformance.cli"]


def run_cli(*args: str, cwd: Path, columns: int = 80, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    cwd = tmp_path_factory.mktemp("failing")
    result = run_cli("run", "--defect", "initial-token-reusable", "-k", "DCR-REG-006 or DCR-META-001",
                     cwd=cwd, columns=100)
    return result, cwd


def test_the_target_is_printed_first(failing_run):
    result, _ = failing_run
    assert result.stdout.splitlines()[0] == (
        "dcr-conformance: target = embedded reference server (HTTPS on loopback, started when a check "
        "needs it), defect = initial-token-reusable")


def test_each_failure_is_one_block_headed_by_check_profile_and_client(failing_run):
    result, _ = failing_run
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    headers = [line for line in lines if re.fullmatch(r"_+ DCR-REG-006\[reference-initial-token-reusable-\w+\] _+", line)]
    assert len(headers) == 8
    for header in headers:
        label = header.split("-")[-1].split("]")[0]
        first = lines[lines.index(header) + 1]
        assert first.startswith(f"DCR-REG-006 (profile reference-initial-token-reusable, main client {label}): "
                                "A second registration"), first
    # No stray cut-off line (pytest's --tb=line prints the first 50 characters of each failure).
    assert not [line for line in lines if line.startswith("DCR-REG-006 ") and len(line) == 50]


def test_the_table_fits_the_terminal_without_cutting_check_ids(failing_run, tmp_path):
    result, _ = failing_run
    lines = result.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("check ")))
    table = lines[start:start + 3]
    assert all(len(line) <= 100 for line in table), table
    assert [line.split()[0] for line in table] == ["check", "DCR-META-001", "DCR-REG-006"]
    assert table[1].split()[1:4] == ["The", "metadata", "document"]
    assert "…" in table[1]  # 100 columns do not hold this title and eight client columns
    wide = run_cli("run", "-k", "DCR-META-001", cwd=tmp_path, columns=250).stdout  # not the shared run's reports
    assert "The metadata document names its own issuer" in wide and "…" not in wide


def test_totals_are_explained(failing_run):
    result, _ = failing_run
    assert "dcr-conformance: 9 results (one per check and main client): 1 passed, 8 failed (MUST)," in result.stdout
    assert "(pytest's own count below is of test cases: a result may fold several of them)" in result.stdout


def test_a_narrowed_run_says_it_is_partial(failing_run):
    result, cwd = failing_run
    total = len(load_checks())
    assert f"dcr-conformance: partial run (2 of {total} checks selected)" in result.stdout
    assert "verdict FAIL (partial run)" in result.stdout
    summary = json.loads((cwd / "reports" / "summary.json").read_text())
    assert summary["selection"] == {"partial": True, "checks_selected": 2, "checks_total": total}
    assert summary["verdict_reasons"][0] == f"partial run (2 of {total} checks selected)"
    assert f"partial run (2 of {total} checks selected)" in (cwd / "reports" / "summary.md").read_text()


@pytest.mark.parametrize("args, why", [
    (("-m", "nosuchmarker"), "-m 'nosuchmarker' selected none of the checks"),
    (("-k", "DCR-REG and"), "the command line is wrong"),
])
def test_a_run_that_did_not_start_has_no_verdict(tmp_path, args, why):
    stale = tmp_path / "reports" / "summary.json"
    stale.parent.mkdir()
    stale.write_text('{"verdict": "pass"}')
    result = run_cli("run", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert f"dcr-conformance: no check ran, so there is no verdict: {why}" in result.stdout
    assert "  hint: " in result.stdout
    assert "verdict PASS" not in result.stdout and "verdict FAIL" not in result.stdout
    assert not stale.exists()  # a previous run's verdict is not left to be mistaken for this one's


def test_strict_counts_should_findings_apart_and_names_no_pytest_option(tmp_path):
    result = run_cli("run", "--defect", "metadata-dpop-algs-include-none", "-k", "DCR-META-004", "--strict",
                     cwd=tmp_path)
    assert result.returncode == 1
    assert ": 0 passed, 0 failed (MUST), 1 failed (SHOULD, strict mode), 0 blocked, 0 warnings (SHOULD)" in result.stdout
    assert "--dcr-strict" not in result.stdout + result.stderr


def test_two_workers_bring_up_nodes_once(tmp_path):
    result = run_cli("run", "-n", "2", "-k", "DCR-META-001", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert result.stdout.count("bringing up nodes...") == 1


def test_fuzz_seed_is_an_option_of_run():
    args = build_parser().parse_args(["run", "--fuzz-seed", "42"])
    assert pytest_arguments(args)[-2:] == ["--dcr-fuzz-seed", "42"]


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"dcr-conformance {__version__}"


def _help(*command: str) -> str:
    result = subprocess.run([*CLI, *command, "--help"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    return re.sub(r"-\s+", "-", " ".join(result.stdout.split()))  # argparse wraps lines, also at hyphens


def test_every_help_lists_its_choices():
    for command in (("sdk", "verify-client"), ("verify-client",), ("sdk", "use-scenario")):
        text = _help(*command)  # once per command, not once per name
        assert [name for name in SCENARIOS if name not in text] == [], command
    serve = _help("serve")
    assert [name for name in DEFECTS if name not in serve] == []
    run_help = _help("run")
    assert all(marker in run_help for marker in ("token", "register", "use", "manage", "revoke", "fuzz"))
    assert "--fuzz-seed" in run_help and "exit status: 0" in run_help and "docs/profiles.md" in run_help
    top = _help()
    assert "sdk" in top and "--version" in top


def test_sdk_commands_live_under_one_command_line(capsys):
    assert main(["sdk", "scenarios"]) == 0 and "server-down" in capsys.readouterr().out
    assert main(["sdk", "checks"]) == 0 and "DCR-SDK-012 SHOULD (inferred)" in capsys.readouterr().out
    assert main(["sdk", "verify-client", "--scenario", "nope", "--recording", "missing.json"]) == 2
    assert main(["verify-client", "--scenario", "nope", "--recording", "missing.json"]) == 2  # the alias


@pytest.mark.parametrize("command", [["requirements"], ["serve", "--list-defects"], ["sdk", "scenarios"]])
def test_a_closed_pipe_is_no_traceback(command):
    proc = subprocess.Popen([*CLI, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_nothing_in_the_user_documents_points_outside_the_repository():
    root = Path(__file__).resolve().parents[2]
    documents = [root / "README.md", root / "profiles" / "staging.example.toml", *root.glob("docs/*.md"),
                 *root.glob("conformance/**/*.py"), *root.glob("conformance/**/*.md"), *root.glob("tests/**/*.py")]
    outside = ("shared/", "protocol.md", "anchors.md")  # the project's starting brief, which users never see
    guards = {"test_cli_ux.py", "test_catalogue.py", "test_inventory.py"}  # the tests asserting the words' absence
    assert [str(p) for p in documents if p.name not in guards
            and any(word in p.read_text(encoding="utf-8") for word in outside)] == []
    assert "shared/" not in _help("run") + _help()
    assert (root / "docs" / "profiles.md").is_file()


def test_the_profile_contract_documents_every_key():
    from conformance.profile import schema

    root = Path(__file__).resolve().parents[2]
    text = (root / "docs" / "profiles.md").read_text(encoding="utf-8")
    tables = {"server": schema.SERVER_KEYS, "template": schema.TEMPLATE_KEYS, "main_clients": schema.CLIENT_KEYS,
              "use": schema.USE_KEYS, "code_flow": schema.CODE_FLOW_KEYS, "graphql": schema.GRAPHQL_KEYS,
              "claims": schema.CLAIMS_KEYS}
    missing = [f"{table}.{key}" for table, keys in tables.items() for key in keys
               if f"`{key}`" not in text and f"`[{table}.{key}]`" not in text]
    missing += [f"[{table}]" for table in schema.TOP_KEYS if table != "name" and f"[{table}" not in text]
    assert missing == []


# ------------------------------------------------------------------ the plugin in other projects


def test_the_plugin_is_silent_and_inert_in_an_unrelated_project(tmp_path):
    """pytest11 plugins load in every pytest run of the environment: in a project that neither
    collects the suite's checks nor passes a --dcr-* option, nothing of dcr-conformance shows."""
    (tmp_path / "test_other.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--alluredir", "allure",
                             "test_other.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr  # pytest itself lists the installed plugins by name
    assert "dcr-conformance:" not in output and "dcr-conformance summary" not in output
    written = sorted(p.name for p in (tmp_path / "allure").iterdir())
    assert written and all(name.endswith(("-result.json", "-container.json")) for name in written), written
    assert not (tmp_path / "reports").exists()


def test_run_prints_the_profile_target_and_the_literal_secret_warning(tmp_path):
    """With a profile, ``run`` first names it, its issuer and main clients, and warns about a
    literal secret in it (before: only under plain pytest, whose -q hid its report header)."""
    from conformance.harness.targets import describe_target
    from conformance.server import ReferenceServer

    with ReferenceServer() as server:
        text = server.profile_path.read_text()
        literal = server.profile_path.with_name("literal.toml")
        literal.write_text(text.replace('client_secret_file = "secrets/basic.txt"',
                                        'client_secret = "a-literal-secret-value"', 1))
        lines = describe_target([str(literal)])
        assert lines[0] == f"dcr-conformance: target = profile 'reference' ({literal})"
        assert lines[1] == f"  issuer: {server.base_url}"
        assert any(line.startswith("  main clients: basic (client_secret_basic), ") for line in lines)
        assert any(line.startswith("  warning: ") and "literal secret" in line for line in lines)
        assert "a-literal-secret-value" not in "\n".join(lines)
        result = run_cli("run", "--profile", str(literal), "-k", "DCR-NONE-999", cwd=tmp_path)
    assert result.stdout.splitlines()[:len(lines)] == lines
    assert result.returncode == 2 and "a-literal-secret-value" not in result.stdout + result.stderr
