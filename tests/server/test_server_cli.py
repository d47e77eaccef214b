"""``dcr-conformance serve`` / ``python -m conformance.server``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib

import httpx

from srv_kit import tls_context


def _start(tmp_path, *args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "conformance.server", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path)


def _read_banner(proc) -> dict:
    lines = {}
    for _ in range(20):
        line = proc.stdout.readline()
        if not line or line.startswith("Ctrl-C"):
            break
        if line.startswith("dcr-conformance reference server at "):
            lines["url"] = line.rsplit(" ", 1)[1].strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            lines[key] = value.strip()
    return lines


def test_serve_writes_profile_and_stops_on_sigterm(tmp_path):
    profile = tmp_path / "out" / "profile.toml"
    proc = _start(tmp_path, "--write-profile", str(profile), "--state", str(tmp_path / "s.db"),
                  "--no-rotation", "--defect", "delete-returns-200", "--read-write-ttl", "60")
    try:
        banner = _read_banner(proc)
        assert banner["url"].startswith("https://127.0.0.1:")
        assert banner["profile"] == str(profile)
        data = tomllib.loads(profile.read_text())
        assert data["server"]["issuer"] == banner["url"]
        assert data["claims"]["rotates_credentials_on_read"] is False
        assert data["claims"]["registration_token_read_write_ttl_s"] == 60
        assert data["claims"]["management_clients"] is True
        assert data["management_client"]["client_id"] == "dcr-manager"
        secret = (profile.parent / data["main_clients"]["basic"]["client_secret_file"]).read_text()
        assert secret not in banner.values()
        ca = tmp_path / "s.db.pki" / "ca.pem"
        context = tls_context(type("P", (), {"ca_cert": ca})())
        doc = httpx.get(banner["url"] + "/.well-known/openid-configuration", verify=context,
                        timeout=5).json()
        assert doc["issuer"] == banner["url"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert secret not in out + err


def test_list_defects_and_unknown_defect(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "conformance.server", "--list-defects"],
                            capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0
    assert "initial-token-reusable" in listed.stdout and "DCR-REG-006" in listed.stdout
    bad = subprocess.run([sys.executable, "-m", "conformance.server", "--defect", "nope"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "unknown defect" in bad.stderr


def test_run_serve_in_process(capsys):
    import argparse
    from conformance.server.cli import add_serve_arguments, run_serve
    args = add_serve_arguments(argparse.ArgumentParser()).parse_args(["--list-defects"])
    assert run_serve(args) == 0
    assert "delete-not-effective" in capsys.readouterr().out


def test_server_does_not_import_the_client_or_the_suite():
    code = ("import sys, pkgutil, importlib, conformance.server as s; "
            "[importlib.import_module(f'conformance.server.{m.name}') for m in pkgutil.iter_modules(s.__path__) "
            "if m.name != '__main__']; "
            "bad = [m for m in sys.modules if m.startswith(('conformance.client', 'conformance.suite', "
            "'conformance.harness', 'conformance.sdk', 'conformance.fuzz', 'conformance.reporting'))]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr


def test_read_write_ttl_must_be_positive(capsys):
    import argparse

    import pytest
    from conformance.server.cli import add_serve_arguments
    parser = add_serve_arguments(argparse.ArgumentParser())
    assert parser.parse_args([]).read_write_ttl == 2_419_200  # Curity's default, 28 days
    with pytest.raises(SystemExit):
        parser.parse_args(["--read-write-ttl", "0"])
    assert "must be a positive number of seconds" in capsys.readouterr().err


def test_initial_token_ttl_must_be_two_seconds_or_more(capsys):
    import argparse

    import pytest
    from conformance.server.cli import add_serve_arguments
    parser = add_serve_arguments(argparse.ArgumentParser())
    assert parser.parse_args(["--initial-token-ttl", "2"]).initial_token_ttl == 2
    for value in ("1", "0"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--initial-token-ttl", value])
        assert "must be at least 2 seconds" in capsys.readouterr().err


def test_no_server_module_imports_the_other_side_even_lazily():
    """Every import statement of conformance/server, function-level ones included."""
    import ast
    from pathlib import Path

    import conformance.server

    forbidden = ("client", "suite", "fuzz", "sdk", "reporting", "plugin", "harness", "oracles")
    found = []
    for path in Path(conformance.server.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level == 2:  # from ..x import y
                    names = [f"conformance.{base}" if base else f"conformance.{a.name}" for a in node.names]
                elif node.level == 0:
                    names = [base]
            found += [(path.name, n) for n in names
                      if n.split(".")[:2] in [["conformance", f] for f in forbidden]]
    assert not found, found


def test_list_defects_is_a_table_with_a_header_and_aligned_columns():
    listed = subprocess.run([sys.executable, "-m", "conformance.server", "--list-defects"],
                            capture_output=True, text=True, timeout=30)
    header, *rows = listed.stdout.splitlines()
    assert header.split()[:2] == ["defect", "fails"] and "requirement" in header
    starts = [header.index(word) for word in ("fails check(s)", "requirement", "what the server")]
    for row in rows:
        for start in starts:  # every column starts where its heading does, after a blank
            assert row[start - 1] == " " and row[start] != " ", row


def test_a_written_profile_outlives_the_server(tmp_path):
    """Without --state, the profile of --write-profile names certificates and keys kept beside it,
    not in a temporary folder removed when the server stops."""
    from conformance.profile import load_profile

    profile = tmp_path / "out" / "profile.toml"
    proc = _start(tmp_path, "--write-profile", str(profile))
    try:
        assert _read_banner(proc)["profile"] == str(profile)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
    loaded = load_profile(profile)  # reads every certificate and key the profile names
    assert loaded.server.ca_bundle is not None and loaded.server.ca_bundle.is_file()
    assert str(loaded.server.ca_bundle).startswith(str(tmp_path / "out"))
