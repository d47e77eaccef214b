"""The certification summary: ``summary.json`` and ``summary.md`` of one run, the one writer of
both for server runs and for DCR-SDK verdicts (:mod:`conformance.sdk.report` hands its results
over as rows; this module imports neither the suite nor the SDK).

For a server run it is built on the process that owns the outcomes (the only process, or the xdist controller), from
``RunState.outcomes`` (one verdict per check × profile × main client, the same rows as the console
table) plus what the reporting plugin tallied from the test reports (the requirements a check
cites and the JUnit-style test-case counts).

The result rows are sealed with a SHA-256 digest of their canonical JSON (keys sorted, no
whitespace, UTF-8): ``python -m conformance.reporting.summary verify summary.json`` recomputes it
and cross-checks the counts and the verdict against the rows. A digest shows that the rows were
not edited *relative to the digest*; to make it evidence, keep the digest somewhere the report's
reader trusts (the run prints it on the console, so a CI log holds it).

Every text that goes into the files passes the run's redactor once more, although the details are
already redacted when the outcomes are recorded.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.requirements import MUST, REQUIREMENTS

SCHEMA = "dcr-conformance/summary/1"
#: Verdicts of a result row, best first (the order of RunState's ranking).
VERDICTS = ("passed", "not applicable", "not claimed", "expected failure", "warning", "blocked", "not run",
            "unexpectedly passed", "failed", "error")
#: Verdicts that break a MUST requirement (the run's verdict is "fail" if a MUST row has one).
BREAKING = ("failed", "error")
#: A blocked row (a step it builds on broke another check's requirement) never lets the run pass.
BLOCKED = "blocked"
_RANK = {v: i for i, v in enumerate(VERDICTS)}
_SYMBOL = {"passed": "pass", "not applicable": "n/a", "not claimed": "n/c", "expected failure": "xfail",
           "warning": "WARN", "blocked": "BLOCK", "not run": "-run-", "unexpectedly passed": "XPASS",
           "failed": "FAIL", "error": "ERROR"}
#: Test-case counters, named as JUnit's <testsuite> attributes (plus passed and warnings).
CASE_KEYS = ("tests", "passed", "failures", "errors", "skipped", "warnings")


def canonical_json(value: Any) -> bytes:
    """The bytes the digest is taken over: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def results_digest(rows: list[dict]) -> str:
    return hashlib.sha256(canonical_json(rows)).hexdigest()


# ------------------------------------------------------------------------------------ tallies


@dataclass
class CaseTally:
    """JUnit-style counts of test cases, kept exactly as ``_pytest.junitxml`` counts them."""

    passed: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    warnings: int = 0
    double: int = 0  # a passing call with a failing teardown: one <testcase>, two counts
    _seen: set = field(default_factory=set)
    _call_failed: set = field(default_factory=set)

    def add(self, report) -> None:
        key = (report.nodeid, getattr(report, "worker_id", None), getattr(report, "item_index", None))
        if report.passed:
            if report.when == "call":
                self.passed += 1
                self._seen.add(key)
                if any(k == "dcr_warning" for k, _ in report.user_properties):
                    self.warnings += 1
        elif report.failed:
            if report.when == "teardown":
                if key not in self._call_failed and key in self._seen:
                    self.double += 1
            if report.when == "call":
                self.failures += 1
                self._call_failed.add(key)
            else:
                self.errors += 1
            self._seen.add(key)
        elif report.skipped:
            self.skipped += 1
            self._seen.add(key)

    def as_dict(self) -> dict[str, int]:
        tests = self.passed + self.failures + self.errors + self.skipped - self.double
        return {"tests": tests, "passed": self.passed, "failures": self.failures, "errors": self.errors,
                "skipped": self.skipped, "warnings": self.warnings}


# ------------------------------------------------------------------------------------ building


def build_summary(
    outcomes: Iterable[Any],
    check_requirements: Mapping[str, tuple[str, ...]],
    *,
    cases: Mapping[str, int],
    profiles: list[str],
    exit_status: int,
    target: str,
    options: Mapping[str, Any] | None = None,
    leftovers: list[dict] | None = None,
    interruption: str | None = None,
    incomplete: str | None = None,
    unresponsive: list[dict] | None = None,
    redact: Callable[[str], str] = lambda s: s,
    now: _dt.datetime | None = None,
    requirements: Mapping[str, Any] = REQUIREMENTS,
    selection: tuple[int, int] | None = None,
) -> dict:
    """The summary document (see the module docstring). ``outcomes`` have the attributes of
    RunState's ``Outcome`` (``check_id``, ``title``, ``level``, ``profile``, ``client``,
    ``verdict``, ``detail``); ``requirements`` describes the ids they cite (``level``, ``text``,
    ``url``, and ``spec`` / ``section`` where known). ``interruption``: the run could not start (the
    target unusable), a failure; ``incomplete``: it stopped early (a signal, --max-run-time), its
    verdict is at best "incomplete": a result "not run" never counts as passed. ``unresponsive``:
    endpoints whose later requests failed at once (:mod:`conformance.harness.unresponsive`).
    ``selection``: (checks selected, checks in the catalogue) when -k / -m narrowed the run: the
    summary then says it is a partial run."""
    rows = sorted((_row(o, check_requirements, redact) for o in outcomes),
                  key=lambda r: (r["check"], r["profile"], r["client"]))
    totals = {v: 0 for v in VERDICTS}
    for row in rows:
        totals[row["verdict"]] += 1
    breaking = [r for r in rows if r["level"] == MUST and r["verdict"] in BREAKING]
    verdict, reasons = "pass", []
    if breaking:
        verdict = "fail"
        reasons.append(f"{len(breaking)} MUST result(s) failed or could not be checked")
    if totals[BLOCKED]:
        verdict = "fail"
        reasons.append(f"{totals[BLOCKED]} result(s) blocked by another check's failed requirement")
    if interruption:
        verdict = "fail"
        reasons.append(redact(interruption))
    if not rows:
        verdict = "fail"
        reasons.append("no check produced a result")
    if selection is not None:
        reasons.insert(0, partial_run(selection))
    if incomplete or totals["not run"]:
        reasons.insert(0, f"{redact(incomplete or 'run incomplete')}: {totals['not run']} result(s) not run")
        verdict = "incomplete" if verdict == "pass" else verdict
    for entry in unresponsive or []:
        reasons.append(f"endpoint {redact(entry['endpoint'])} unresponsive since {entry['since']} "
                       f"({entry['failures']} timeouts or connection failures)")
    if verdict == "pass":
        reasons.append("no MUST-level check failed")
        if totals["expected failure"]:
            reasons.append(f"{totals['expected failure']} known failure(s) listed as expected")
    generated = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return {
        "schema": SCHEMA,
        "suite": "dcr-conformance",
        "suite_version": __version__,
        "generated_at": generated.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "profiles": list(profiles),
        "target": redact(target),
        "main_clients": sorted({f"{r['profile']}/{r['client']}" for r in rows}),
        "options": {k: (redact(v) if isinstance(v, str) else v) for k, v in (options or {}).items()},
        "exit_status": exit_status,
        "selection": ({"partial": True, "checks_selected": selection[0], "checks_total": selection[1]}
                      if selection is not None else {"partial": False}),
        "verdict": verdict,
        "verdict_reasons": reasons,
        "totals": totals,
        "test_cases": {k: int(cases.get(k, 0)) for k in CASE_KEYS},
        "requirements": _by_requirement(rows, requirements),
        "unresponsive_endpoints": [{k: (redact(v) if isinstance(v, str) else v) for k, v in e.items()}
                                   for e in (unresponsive or [])],
        "leftover_clients": [{k: redact(str(v)) for k, v in e.items()} for e in (leftovers or [])],
        "digest": {"algorithm": "SHA-256", "over": "canonical JSON of results (sorted keys, no whitespace, UTF-8)",
                   "value": results_digest(rows)},
        "results": rows,
    }


def partial_run(selection: tuple[int, int]) -> str:
    return f"partial run ({selection[0]} of {selection[1]} checks selected)"


def _row(outcome: Any, check_requirements: Mapping[str, tuple[str, ...]], redact: Callable[[str], str]) -> dict:
    return {
        "check": outcome.check_id,
        "title": outcome.title,
        "level": outcome.level,
        "requirements": list(check_requirements.get(outcome.check_id, ())),
        "profile": outcome.profile,
        "client": outcome.client,
        "verdict": outcome.verdict,
        "detail": redact(outcome.detail or ""),
    }


def _by_requirement(rows: list[dict], registry: Mapping[str, Any]) -> list[dict]:
    cited: dict[str, list[dict]] = {}
    for row in rows:
        for rid in row["requirements"]:
            cited.setdefault(rid, []).append(row)
    order = {rid: i for i, rid in enumerate(registry)}
    out = []
    for rid in sorted(cited, key=lambda r: (order.get(r, len(order)), r)):
        req = registry.get(rid)
        clients: dict[str, dict] = {}
        for row in cited[rid]:
            cell = clients.setdefault(f"{row['profile']}/{row['client']}", {v: 0 for v in VERDICTS})
            cell[row["verdict"]] += 1
        for cell in clients.values():
            cell["status"] = _worst(v for v in VERDICTS if cell[v])
        out.append({
            "id": rid,
            "level": req.level if req else None,
            "spec": getattr(req, "spec", None),
            "section": getattr(req, "section", None),
            "url": req.url if req else None,
            "text": req.text if req else None,
            "checks": sorted({r["check"] for r in cited[rid]}),
            "status": _worst(c["status"] for c in clients.values()),
            "clients": dict(sorted(clients.items())),
        })
    return out


def _worst(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=lambda v: _RANK[v], default="passed")


# ------------------------------------------------------------------------------------ writing


def render_markdown(summary: dict) -> str:
    """``summary.md``: the verdict first, then requirements × main clients, then the findings."""
    verdict = summary["verdict"].upper()
    lines = [
        "# dcr-conformance certification summary",
        "",
        f"**Verdict: {verdict}** ({'; '.join(summary['verdict_reasons'])})",
        "",
        *[f"**Endpoint unresponsive**: {e['endpoint']} since {e['since']} ({e['failures']} timeouts or "
          f"connection failures; last: {_md_escape(e['last_error'])}); later requests to it failed at once."
          for e in summary.get("unresponsive_endpoints", [])],
        *([""] if summary.get("unresponsive_endpoints") else []),
        f"- Suite: dcr-conformance {summary['suite_version']}",
        f"- Profiles: {', '.join(summary['profiles']) or '(none)'}",
        f"- Target: {summary['target']}",
        f"- Generated: {summary['generated_at']}",
        f"- Results digest ({summary['digest']['algorithm']} over the {summary['digest']['over']}): "
        f"`{summary['digest']['value']}`",
    ]
    options = {k: v for k, v in summary["options"].items() if v not in (None, False, "", [])}
    if options:
        lines.append("- Options: " + ", ".join(f"{k} = {v}" for k, v in options.items()))
    lines += ["", "## Totals", "", "| result | checks × main clients |", "|---|---:|"]
    lines += [f"| {v} | {n} |" for v, n in summary["totals"].items()]
    cases = summary["test_cases"]
    lines += ["", "Test cases (as in the JUnit file): " + ", ".join(f"{k} {cases[k]}" for k in CASE_KEYS)]

    columns = summary["main_clients"]
    multi = len({c.split("/", 1)[0] for c in columns}) > 1
    headers = [c if multi else c.split("/", 1)[1] for c in columns]
    lines += ["", "## Requirements × main clients", "",
              "`pass` held, `FAIL` broken, `WARN` SHOULD not met, `n/c` not claimed by the profile, "
              "`n/a` nothing to judge was observed, "
              "`xfail` known failure, `BLOCK` blocked by another check's failed requirement, "
              "`-run-` not run (the run stopped first), `ERROR` could not be checked, "
              "blank: no check for this client.", "",
              "| requirement | level | " + " | ".join(headers) + " |",
              "|---|---|" + "---|" * len(headers)]
    for req in summary["requirements"]:
        cells = [_SYMBOL[req["clients"][c]["status"]] if c in req["clients"] else "" for c in columns]
        name = f"[{req['id']}]({req['url']})" if req.get("url") else req["id"]
        lines.append(f"| {name} | {req['level'] or ''} | " + " | ".join(cells) + " |")

    lines += ["", "## Per main client", "", "| main client | " + " | ".join(VERDICTS) + " |",
              "|---|" + "---:|" * len(VERDICTS)]
    for column in columns:
        profile, client = column.split("/", 1)
        counts = {v: 0 for v in VERDICTS}
        for row in summary["results"]:
            if row["profile"] == profile and row["client"] == client:
                counts[row["verdict"]] += 1
        lines.append(f"| {column} | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")

    findings = [r for r in summary["results"] if r["verdict"] not in ("passed", "not claimed", "not applicable")]
    lines += ["", "## Findings", ""]
    if not findings:
        lines.append("None.")
    for row in findings:
        detail = " ".join(row["detail"].split())
        lines.append(f"- **{row['check']}** [{row['profile']}/{row['client']}] {row['verdict']} "
                     f"({row['level']}, {', '.join(row['requirements'])}): {_md_escape(detail)}")
    if summary["leftover_clients"]:
        lines += ["", "## Clients the suite could not delete", ""]
        lines += [f"- {e.get('profile')}: {e.get('client_id')}: {e.get('reason')}" for e in summary["leftover_clients"]]
    lines += ["", "## Verifying this summary", "",
              "`python -m conformance.reporting.summary verify summary.json` recomputes the digest of the "
              "`results` rows and checks the totals and the verdict against them.", ""]
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def write_summary(summary: dict, directory: Path, redact: Callable[[str], str] = lambda s: s) -> tuple[Path, Path]:
    """Write ``summary.json`` and ``summary.md`` into ``directory`` (atomically, each)."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "summary.json", directory / "summary.md"
    _atomic_write(json_path, redact(json.dumps(summary, indent=2, ensure_ascii=False)) + "\n")
    _atomic_write(md_path, redact(render_markdown(summary)))
    return json_path, md_path


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------------------------ verifying


def verify(summary: dict) -> list[str]:
    """Problems found in a summary document (an empty list: the rows match the digest and totals)."""
    problems = []
    rows = summary.get("results", [])
    digest = summary.get("digest", {}).get("value")
    if results_digest(rows) != digest:
        problems.append(f"digest mismatch: the results hash to {results_digest(rows)}, the file says {digest}")
    totals = {v: 0 for v in VERDICTS}
    for row in rows:
        totals[row.get("verdict")] = totals.get(row.get("verdict"), 0) + 1
    if totals != summary.get("totals"):
        problems.append(f"totals {summary.get('totals')} do not match the rows ({totals})")
    breaking = any(r.get("level") == MUST and r.get("verdict") in BREAKING for r in rows)
    if breaking and summary.get("verdict") != "fail":
        problems.append("verdict says pass although a MUST row failed")
    if totals.get(BLOCKED) and summary.get("verdict") != "fail":
        problems.append("verdict says pass although a row is blocked")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.reporting.summary",
                                     description="Verify a dcr-conformance summary.json")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("verify", help="recompute the digest and cross-check totals and verdict").add_argument("file")
    args = parser.parse_args(argv)
    try:
        summary = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{args.file}: cannot read the summary: {exc}", file=sys.stderr)
        return 2
    problems = verify(summary)
    for problem in problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.file}: OK, results digest {summary['digest']['value']}, verdict {summary['verdict']}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
