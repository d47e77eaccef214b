"""The console table: one row per check, one column per main client; once-per-profile checks marked."""

from __future__ import annotations

from conformance.harness.console import write_table
from conformance.harness.outcomes import Outcome


class Terminal:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def section(self, title: str, sep: str = "=", **_) -> None:
        self.lines.append(f"{sep * 3} {title} {sep * 3}")

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def test_per_client_and_once_per_profile_rows():
    outcomes = {
        ("DCR-A-001", "p", "basic"): Outcome("DCR-A-001", "per client", "MUST", "p", "basic"),
        ("DCR-A-001", "p", "mtls"): Outcome("DCR-A-001", "per client", "MUST", "p", "mtls", "failed"),
        ("DCR-B-001", "p", "basic"): Outcome("DCR-B-001", "once", "MUST", "p", "basic", per_profile=True),
    }
    tr = Terminal()
    write_table(tr, outcomes)
    assert tr.lines[1].split()[-2:] == ["basic", "mtls"]
    assert tr.lines[2].split()[-2:] == ["pass", "FAIL"]
    assert tr.lines[3].split()[-2:] == ["pass", "-"]
    assert tr.lines[-1].startswith("(-: a check run once per profile")


def test_no_legend_without_once_per_profile_checks():
    tr = Terminal()
    write_table(tr, {("DCR-A-001", "p", "basic"): Outcome("DCR-A-001", "t", "MUST", "p", "basic")})
    assert not any(line.startswith("(-:") for line in tr.lines)


def test_not_applicable_is_shown_apart_from_not_claimed():
    """A skip whose reason starts "not applicable: " is its own verdict (n/a), never "not claimed"."""
    from types import SimpleNamespace

    from conformance.harness.console import write_terminal_summary
    from conformance.harness.outcomes import record_report

    def report(reason: str, client: str):
        props = [("dcr_check", "DCR-A-001"), ("dcr_profile", "p"), ("dcr_client", client), ("dcr_title", "t"),
                 ("dcr_level", "MUST")]
        return SimpleNamespace(nodeid=f"DCR-A-001[p-{client}]", user_properties=props, skipped=True, failed=False,
                               passed=False, when="call", longrepr=("f", 1, f"Skipped: {reason}"))

    outcomes: dict = {}
    record_report(outcomes, report("not applicable: no mTLS method is advertised", "basic"), str)
    record_report(outcomes, report("not claimed by profile: no introspector", "mtls"), str)
    assert [o.verdict for o in outcomes.values()] == ["not applicable", "not claimed"]
    assert outcomes[("DCR-A-001", "p", "basic")].detail == "not applicable: no mTLS method is advertised"
    tr = Terminal()
    write_terminal_summary(tr, outcomes, [])
    assert tr.lines[2].split()[-2:] == ["n/a", "n/c"]
    totals = next(line for line in tr.lines if line.startswith("dcr-conformance: "))
    assert "1 not claimed," in totals and totals.endswith(", 1 not applicable")
