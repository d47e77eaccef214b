"""Helpers of the reporting tests: conformance runs in subprocesses, a secret scanner, JUnit counts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

HERE = Path(__file__).resolve().parent
#: Shorter values are not scanned for (they would match ordinary text); every secret of a run is longer.
MIN_NEEDLE = 16
_GRAM = 8
_CORE = re.compile(r"[A-Za-z0-9_\-]{%d,}" % MIN_NEEDLE)
#: The checks of the failing ``no-store`` run: MUST failures, SHOULD warnings, assertions, DPoP.
NO_STORE_CHECKS = ("DCR-TOK-001", "DCR-TOK-002", "DCR-TOK-009", "DCR-TOK-011", "DCR-TOK-012",
                   "DCR-USE-001", "DCR-USE-004", "DCR-USE-013")
#: The main-client secret of the profile of the ``unreachable`` run.
UNREACHABLE_SECRET = "unreachable-profile-secret-0123456789abcdef"


# ------------------------------------------------------------------------------ runs


@dataclass
class Run:
    name: str
    report_dir: Path
    secrets_dir: Path
    argv: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    _secrets: dict[str, list[str]] | None = field(default=None, repr=False)

    def start(self) -> Run:
        env = {**os.environ, "DCR_SECRET_CAPTURE_DIR": str(self.secrets_dir),
               "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               "NO_COLOR": "1"}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=env, stdin=subprocess.DEVNULL)
        return self

    def wait(self, timeout: float = 240) -> Run:
        if self.returncode is None:
            self.stdout, self.stderr = self.process.communicate(timeout=timeout)
            self.returncode = self.process.returncode
            self.seconds = time.perf_counter() - self.started
        return self

    def to_json(self) -> dict:
        return {"name": self.name, "report_dir": str(self.report_dir), "secrets_dir": str(self.secrets_dir),
                "argv": self.argv, "returncode": self.returncode, "stdout": self.stdout, "stderr": self.stderr,
                "seconds": self.seconds}

    @classmethod
    def from_json(cls, data: dict) -> Run:
        return cls(data["name"], Path(data["report_dir"]), Path(data["secrets_dir"]), data["argv"],
                   returncode=data["returncode"], stdout=data["stdout"], stderr=data["stderr"],
                   seconds=data["seconds"])

    @property
    def junit(self) -> Path:
        return self.report_dir / "junit.xml"

    @property
    def alluredir(self) -> Path:
        return self.report_dir / "allure-results"

    def summary(self) -> dict:
        return json.loads((self.report_dir / "summary.json").read_text(encoding="utf-8"))

    def secrets(self) -> dict[str, list[str]]:
        """kind -> values, merged over the run's processes (xdist workers write one file each)."""
        if self._secrets is None:
            merged: dict[str, set[str]] = {}
            for path in self.secrets_dir.glob("secrets-*.json"):
                for kind, values in json.loads(path.read_text()).items():
                    merged.setdefault(kind, set()).update(values)
            self._secrets = {k: sorted(v) for k, v in merged.items()}
        return self._secrets

    def allure_results(self) -> list[dict]:
        return [json.loads(p.read_text(encoding="utf-8")) for p in self.alluredir.glob("*-result.json")]

    def describe(self) -> str:
        return (f"run {self.name}: exit {self.returncode}\n--- stdout (tail)\n{self.stdout[-3000:]}"
                f"\n--- stderr (tail)\n{self.stderr[-3000:]}")


def cli_run(name: str, base: Path, *cli_args: str, pytest_args: tuple[str, ...] = ()) -> Run:
    """``dcr-conformance run`` in a subprocess with the secret-capture plugin loaded."""
    report_dir, secrets_dir = base / name / "reports", base / name / "captured-secrets"
    argv = [sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(report_dir), *cli_args,
            "--", "-p", "dcr_secret_capture", "-W", "ignore::pytest.PytestAssertRewriteWarning", *pytest_args]
    return Run(name, report_dir, secrets_dir, argv)


# ------------------------------------------------------------------------------ scanning


def needles_of(value: str) -> set[str]:
    """The forms under which ``value`` (or a telling part of it) could show up in a report."""
    forms = {value, quote_plus(value, safe=""), quote(value, safe=""), json.dumps(value)[1:-1]}
    stripped = value.strip()
    if "-----BEGIN" in stripped:  # a PEM: every line of its base64 body (any copy of the key holds them)
        body = [ln.strip() for ln in stripped.splitlines() if ln.strip() and not ln.startswith("-----")]
        forms = set(body)
    elif stripped.count(".") == 2 and not any(c.isspace() for c in stripped):  # a JWT: its signature too
        forms.add(stripped.rsplit(".", 1)[1])
    else:  # any long run of token characters (e.g. the random part of "secret:+%/ &=")
        forms.update(_CORE.findall(value))
    return {f for f in forms if len(f) >= MIN_NEEDLE}


class SecretScanner:
    """Finds any of many needles (>= 16 characters) in large texts quickly and exactly.

    The text is probed only at positions that are multiples of 8. A needle of length >= 2*8-1
    starting at ``s`` covers such a position ``p`` in ``s .. s+7`` together with the 8 characters
    after it, so indexing each needle's 8-grams at offsets 0..7 is enough; each candidate is then
    verified with ``str.startswith``.
    """

    def __init__(self, needles: dict[str, str]) -> None:
        self.needles = needles  # needle -> label (kind of secret)
        self._grams: dict[str, list[tuple[str, int]]] = {}
        for needle in needles:
            for offset in range(_GRAM):
                self._grams.setdefault(needle[offset:offset + _GRAM], []).append((needle, offset))

    def find(self, text: str) -> list[tuple[str, int]]:
        hits, seen = [], set()
        grams = self._grams
        for pos in range(0, max(len(text) - _GRAM + 1, 0), _GRAM):
            candidates = grams.get(text[pos:pos + _GRAM])
            if not candidates:
                continue
            for needle, offset in candidates:
                start = pos - offset
                if start >= 0 and (needle, start) not in seen and text.startswith(needle, start):
                    seen.add((needle, start))
                    hits.append((needle, start))
        return hits


def scan_run(run: Run, extra_texts: dict[str, str]) -> tuple[list[str], int, int]:
    """Every place a captured secret shows up: (findings, needles, bytes scanned)."""
    needles: dict[str, str] = {}
    for kind, values in run.secrets().items():
        for value in values:
            for form in needles_of(value):
                needles.setdefault(form, kind)
    scanner = SecretScanner(needles)
    findings, scanned = [], 0
    texts = dict(extra_texts)
    for path in sorted(p for p in run.report_dir.rglob("*") if p.is_file()):
        texts[str(path.relative_to(run.report_dir))] = path.read_bytes().decode("utf-8", errors="replace")
    for where, text in texts.items():
        scanned += len(text)
        for needle, start in scanner.find(text):
            context = text[max(0, start - 60): start + len(needle) + 20].replace("\n", "\\n")
            findings.append(f"{where}@{start}: {needles[needle]} ({len(needle)} chars) in …{context}…")
    return findings, len(needles), scanned


# ------------------------------------------------------------------------------ JUnit


def junit_cases(path: Path) -> list[dict]:
    """Each <testcase>: name, outcome (passed/failure/error/skipped) and its properties."""
    root = ET.parse(path).getroot()
    cases = []
    for case in root.iter("testcase"):
        props: dict[str, str] = {}
        for prop in case.iter("property"):
            props.setdefault(prop.get("name"), prop.get("value"))
        outcome, element = "passed", None
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = tag
                break
        cases.append({"name": case.get("name"), "outcome": outcome, "props": props,
                      "type": element.get("type") if element is not None else None,
                      "message": (element.get("message") or "") if element is not None else ""})
    return cases


def junit_totals(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    return {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")}


_RANK = ("passed", "not applicable", "not claimed", "expected failure", "warning", "blocked", "unexpectedly passed", "failed", "error")


def junit_verdicts(cases: list[dict]) -> dict[tuple[str, str, str], str]:
    """The per check × profile × client verdict the JUnit file implies (worst over its test cases)."""
    verdicts: dict[tuple[str, str, str], str] = {}
    for case in cases:
        p = case["props"]
        key = (p["dcr_check"], p["dcr_profile"], p["dcr_client"])
        outcome = case["outcome"]
        if outcome == "passed":
            verdict = "warning" if "dcr_warning" in p else "passed"
        elif outcome == "skipped":
            verdict = ("expected failure" if case["type"] == "pytest.xfail" else
                       "blocked" if "dcr_blocked" in p else
                       "not applicable" if "not applicable: " in case["message"] else "not claimed")
        elif outcome == "failure":
            verdict = "unexpectedly passed" if "XPASS" in case["message"] else "failed"
        else:
            verdict = "error"
        old = verdicts.get(key, "passed")
        verdicts[key] = verdict if _RANK.index(verdict) >= _RANK.index(old) else old
    return verdicts


def verdict_counts(verdicts: dict) -> Counter:
    return Counter(verdicts.values())
