"""Run dcr-conformance against node ``oidc-provider`` (npm), a real third-party server, on loopback.

    python interop/run_oidc_provider.py [--workdir DIR] [-k EXPR] [--timeout S] [--fuzz-seed N] [-- PYTEST_ARGS]

Steps: ``npm ci`` into ``interop/oidc-provider`` (skipped when the pinned version is installed);
a fresh test PKI (``conformance.pki.TestPKI``) and secrets in the work directory; the server's
configuration (``config.json``, read by ``interop/oidc-provider/server.js``) and the suite's
profile (``profile.toml``, claims set to what oidc-provider does, see docs/interop.md); the server
started on a free loopback port; ``dcr-conformance run --profile profile.toml``; the server
stopped (also on failure). Prints and returns the failing and warning check ids, read from the
run's JUnit XML.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from conformance.pki import TestPKI

HERE = Path(__file__).resolve().parent
SERVER_DIR = HERE / "oidc-provider"
SOFTWARE_ID = "dcr-app"  # the template the app names
OTHER_SOFTWARE_ID = "other-app"  # a template naming no main client of the profile (DCR-REG-011)
APP_SCOPE = "app"
MAIN_SCOPE = "dcr openid"  # the main clients may ask for dcr (or openid, DCR-REG-009 / TOK-006)
JWT_KID = "main-jwt-es256"
# ttl.ClientCredentials of a dcr token is 5 s (server.js), but oidc-provider accepts its own tokens
# clockTolerance (15 s by default) past their exp: 20 s is the age at which it refuses one. The
# suite is let wait that long (--dcr-max-wait) so the expired-token checks run (DCR-REG-008, -REV-008).
INITIAL_TOKEN_TTL_S = 20


@dataclass
class InteropResult:
    """What one run found: check ids that failed (a <failure>), errored, or warned (SHOULD)."""

    returncode: int
    failed: set[str] = field(default_factory=set)
    errors: set[str] = field(default_factory=set)
    warnings: set[str] = field(default_factory=set)
    seconds: float = 0.0
    report_dir: Path | None = None

    @property
    def failing(self) -> set[str]:
        return self.failed | self.errors


def node_available() -> str | None:
    """None when node and npm are usable, else why not."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH"
    return None


def install(timeout: float = 300) -> None:
    """``npm ci`` (exact versions of package-lock.json), unless that version is already there."""
    lock = json.loads((SERVER_DIR / "package-lock.json").read_text())
    wanted = lock["packages"]["node_modules/oidc-provider"]["version"]
    installed = SERVER_DIR / "node_modules" / "oidc-provider" / "package.json"
    if installed.exists() and json.loads(installed.read_text()).get("version") == wanted:
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SERVER_DIR,
                   check=True, timeout=timeout, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _secret_file(directory: Path, label: str, value: str) -> str:
    path = directory / "secrets" / f"{label}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return f"secrets/{label}.txt"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))


def _table(name: str, entries: dict[str, object]) -> list[str]:
    return [f"[{name}]", *(f"{k} = {_toml(v)}" for k, v in entries.items()), ""]


def write_setup(workdir: Path, port: int) -> Path:
    """Write the PKI, ``config.json`` (the server's) and ``profile.toml`` (the suite's)."""
    pki = TestPKI.generate(workdir / "pki")
    issuer = f"https://127.0.0.1:{port}"
    secret = {label: secrets.token_urlsafe(32) for label in ("basic", "post", "hs256", "introspector", "unlisted")}
    mains = {
        "basic": {"client_id": "main-basic", "auth_method": "client_secret_basic", "client_secret": secret["basic"]},
        "post": {"client_id": "main-post", "auth_method": "client_secret_post", "client_secret": secret["post"]},
        "hs256": {"client_id": "main-hs256", "auth_method": "client_secret_jwt", "alg": "HS256",
                  "client_secret": secret["hs256"]},
        "jwt": {"client_id": "main-jwt", "auth_method": "private_key_jwt", "alg": "ES256", "kid": JWT_KID,
                "public_key": str(pki.es256_public)},
        "mtls": {"client_id": "main-mtls", "auth_method": "tls_client_auth",
                 "subject_dn": "CN=main-mtls,O=dcr-conformance"},
        "selfsigned": {"client_id": "main-selfsigned", "auth_method": "self_signed_tls_client_auth",
                       "certificate": str(pki.self_signed_cert)},
    }
    others = {
        "introspector": {"client_id": "introspector", "auth_method": "client_secret_basic",
                         "client_secret": secret["introspector"], "scope": "openid"},
        # valid credentials, named by no template, not allowed the dcr scope (DCR-TOK-007)
        "unlisted": {"client_id": "unlisted", "auth_method": "client_secret_basic",
                     "client_secret": secret["unlisted"], "scope": "openid"},
    }
    main_ids = [c["client_id"] for c in mains.values()]
    config = {
        "port": port,
        "tls": {"cert": str(pki.server_cert), "key": str(pki.server_key), "ca": str(pki.ca_cert)},
        "scopes": ["openid", "dcr", APP_SCOPE],
        "clients": [{"scope": MAIN_SCOPE, **c} for c in mains.values()] + list(others.values()),
        "templates": {
            SOFTWARE_ID: {"scope": APP_SCOPE, "grant_types": ["client_credentials"],
                          "token_endpoint_auth_method": "client_secret_basic",
                          "dpop_bound_access_tokens": True, "main_clients": main_ids},
            OTHER_SOFTWARE_ID: {"scope": APP_SCOPE, "grant_types": ["client_credentials"],
                                "token_endpoint_auth_method": "client_secret_basic", "main_clients": []},
        },
    }
    (workdir / "config.json").write_text(json.dumps(config, indent=2))

    def profile_client(label: str, c: dict) -> dict[str, object]:
        entry: dict[str, object] = {"client_id": c["client_id"], "auth_method": c["auth_method"]}
        if "client_secret" in c:
            entry["client_secret_file"] = _secret_file(workdir, label, c["client_secret"])
        if c["auth_method"] == "client_secret_jwt":
            entry["alg"] = "HS256"
        if c["auth_method"] == "private_key_jwt":
            entry.update(private_key=str(pki.es256_key), alg="ES256", kid=JWT_KID)
        if c["auth_method"] == "tls_client_auth":
            entry.update(certificate=str(pki.client_cert), private_key=str(pki.client_key),
                         other_certificate=str(pki.other_dn_cert), other_private_key=str(pki.other_dn_key),
                         untrusted_certificate=str(pki.rogue_client_cert),
                         untrusted_private_key=str(pki.rogue_client_key))
        if c["auth_method"] == "self_signed_tls_client_auth":
            entry.update(certificate=str(pki.self_signed_cert), private_key=str(pki.self_signed_key),
                         other_certificate=str(pki.other_self_signed_cert),
                         other_private_key=str(pki.other_self_signed_key))
        return entry

    lines = [f"# node oidc-provider on loopback, written by interop/run_oidc_provider.py", 'name = "oidc-provider"', ""]
    lines += _table("server", {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "registration_endpoint": f"{issuer}/reg",
        "revocation_endpoint": f"{issuer}/token/revocation",
        "introspection_endpoint": f"{issuer}/token/introspection",
        "ca_bundle": str(pki.ca_cert),
        "timeout_s": 10,
    })
    lines += _table("template", {"software_id": SOFTWARE_ID, "scope": APP_SCOPE,
                                 "grant_types": ["client_credentials"],
                                 "token_endpoint_auth_method": "client_secret_basic",
                                 "unauthorized_software_id": OTHER_SOFTWARE_ID})
    for label, c in mains.items():
        lines += _table(f"main_clients.{label}", profile_client(label, c))
    lines += _table("introspector", profile_client("introspector", others["introspector"]))
    lines += _table("unlisted_client", profile_client("unlisted", others["unlisted"]))
    lines += _table("use", {"scope": APP_SCOPE, "dpop": True})
    # What oidc-provider does, as configured by server.js (docs/interop.md says why for each).
    lines += _table("claims", {
        "registration_management": True,
        "rotates_credentials_on_read": False,  # rotateRegistrationAccessToken: false; never on GET
        "initial_token_single_use": True,  # GLUE 2 spends the client_credentials token
        "initial_token_ttl_s": INITIAL_TOKEN_TTL_S,
        "revocation": True,
        "introspection": True,
        "deleted_client_tokens_inactive": False,  # a deleted client's tokens stay active (docs/interop.md)
        "jwt_replay_rejected": True,  # oidc-provider's ReplayDetection of client assertion jti
        "dpop_nonce": True,  # features.dPoP.nonceSecret + requireNonce
        "resource_dpop_nonce": False,  # no resource server in this setup
        "main_client_requires_attestation": False,
        "management_clients": False,
        "code_flow": False,
        "refresh_token_dpop_bound": False,
        "dcr_graphql_status": False,
    })
    profile = workdir / "profile.toml"
    profile.write_text("\n".join(lines))
    return profile


def start_server(workdir: Path, timeout: float = 30) -> subprocess.Popen:
    """Start server.js on the configured port and wait for its READY line."""
    with open(workdir / "server.log", "w") as log:  # node keeps its own descriptor
        proc = subprocess.Popen(["node", str(SERVER_DIR / "server.js"), str(workdir / "config.json")],
                                cwd=SERVER_DIR, stdout=subprocess.PIPE, stderr=log, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""  # the READY line, or "" when node exited
    if not line.startswith("READY"):
        stop_server(proc)
        raise RuntimeError(f"oidc-provider did not start within {timeout:.0f} s: {line!r}; "
                           f"see {workdir / 'server.log'}")
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def read_junit(path: Path) -> tuple[set[str], set[str], set[str]]:
    """Check ids with a <failure>, with an <error>, and with the dcr_warning property."""
    failed, errors, warnings = set(), set(), set()
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        check_id = props.get("dcr_check") or case.get("name", "").split("[")[0]
        if case.find("failure") is not None:
            failed.add(check_id)
        if case.find("error") is not None:
            errors.add(check_id)
        if props.get("dcr_warning"):
            warnings.add(check_id)
    return failed, errors, warnings


def run(workdir: Path, keyword: str | None = None, timeout: float = 600, fuzz_seed: int | None = None,
        extra: list[str] | None = None) -> InteropResult:
    """Install, configure, start oidc-provider, run the suite against it, stop it."""
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    install()
    started = time.monotonic()
    for attempt in range(3):  # the free port may be taken before node binds it: try another
        profile = write_setup(workdir, free_port())
        try:
            proc = start_server(workdir)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        reports = workdir / "reports"
        (reports / "junit.xml").unlink(missing_ok=True)  # never read an earlier run's verdicts
        cli = Path(sys.executable).with_name("dcr-conformance")
        argv = [str(cli) if cli.exists() else "dcr-conformance", "run", "--profile", str(profile),
                "--report-dir", str(reports)]
        if keyword:
            argv += ["-k", keyword]
        argv += ["--", "--dcr-max-wait", str(INITIAL_TOKEN_TTL_S + 2)]
        argv += [*(["--dcr-fuzz-seed", str(fuzz_seed)] if fuzz_seed is not None else []), *(extra or [])]
        with open(workdir / "run.log", "w") as out:
            done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, cwd=workdir)
    finally:
        stop_server(proc)
    if not (reports / "junit.xml").exists():
        tail = (workdir / "run.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"dcr-conformance wrote no JUnit XML (exit {done.returncode}):\n{tail}")
    failed, errors, warnings = read_junit(reports / "junit.xml")
    return InteropResult(done.returncode, failed, errors, warnings, time.monotonic() - started, reports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="where the PKI, profile and reports go (default: a temporary directory)")
    parser.add_argument("-k", dest="keyword", help="only checks matching EXPR")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the whole suite run")
    parser.add_argument("--fuzz-seed", type=int, default=None, help="fix the fuzzing (Hypothesis) seed")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="after --: passed to dcr-conformance run")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="oidc-provider-interop-"))
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    result = run(workdir, args.keyword, args.timeout, args.fuzz_seed, extra)
    print(f"dcr-conformance exit {result.returncode} in {result.seconds:.0f} s; reports in {result.report_dir}")
    print("failing:", " ".join(sorted(result.failing)) or "none")
    print("warning:", " ".join(sorted(result.warnings)) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
