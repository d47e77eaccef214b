"""The run's summary on the console: one row per check, one column per main client, then the
counts, the SHOULD findings, the blocked checks and the clients the suite could not delete."""

from __future__ import annotations

from conformance.harness.outcomes import Outcome, count_verdicts

_SYMBOL = {"passed": "pass", "not applicable": "n/a", "not claimed": "n/c", "expected failure": "xfail", "warning": "WARN",
           "blocked": "BLOCK", "unexpectedly passed": "XPASS", "failed": "FAIL", "error": "ERROR"}


def write_terminal_summary(tr, outcomes: dict[tuple[str, str, str], Outcome], leftovers: list[dict]) -> None:
    """``tr``: pytest's terminal reporter (``section``, ``write_line``)."""
    if outcomes:
        write_table(tr, outcomes)
        counts = count_verdicts(outcomes)
        tr.write_line(
            f"dcr-conformance: {counts['passed']} passed, {counts['failed'] + counts['error']} failed (MUST), "
            f"{counts['blocked']} blocked, {counts['warning']} warnings (SHOULD), {counts['not claimed']} not claimed, "
            f"{counts['expected failure']} expected failures, {counts['unexpectedly passed']} expected "
            f"failures that now pass, {counts['not applicable']} not applicable")
    warned = [o for o in outcomes.values() if o.verdict == "warning"]
    if warned:
        tr.section("SHOULD-level findings (warnings; failures under --dcr-strict)", sep="-", yellow=True)
        for o in sorted(warned, key=lambda o: (o.check_id, o.profile, o.client)):
            tr.write_line(f"{o.check_id}[{o.profile}-{o.client}]: {o.detail}")
    blocked = [o for o in outcomes.values() if o.verdict == "blocked"]
    if blocked:
        tr.section("blocked checks (a step they build on broke another check's requirement)", sep="-", yellow=True)
        by_check: dict[str, list[Outcome]] = {}
        for o in sorted(blocked, key=lambda o: (o.check_id, o.profile, o.client)):
            by_check.setdefault(o.check_id, []).append(o)
        for check_id, cells in by_check.items():  # one line per check: its first cell's reason
            first = cells[0]
            more = f" (and {len(cells) - 1} more main clients)" if len(cells) > 1 else ""
            tr.write_line(f"{check_id}[{first.profile}-{first.client}]: {first.detail}{more}")
    if leftovers:
        tr.section("clients the suite could not delete", sep="-", yellow=True)
        for entry in leftovers:
            tr.write_line(f"{entry['profile']}: {entry['client_id']}: {entry['reason']}")


def write_table(tr, outcomes: dict[tuple[str, str, str], Outcome]) -> None:
    """The per-check table; ``-`` where a check run once per profile did not use that main client."""
    columns = sorted({(o.profile, o.client) for o in outcomes.values()})
    tr.section("dcr-conformance summary", sep="=")
    headers = [c if p == columns[0][0] else f"{p}/{c}" for p, c in columns]
    widths = [max(5, len(h)) for h in headers]
    tr.write_line(f"{'check':<13} {'title':<52} " + " ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for check_id in sorted({o.check_id for o in outcomes.values()}):
        rows = {(o.profile, o.client): o for o in outcomes.values() if o.check_id == check_id}
        title = next(iter(rows.values())).title
        title = title if len(title) <= 52 else title[:51] + "…"
        once = {p for (p, _), o in rows.items() if o.per_profile and len([k for k in rows if k[0] == p]) == 1}
        cells = []
        for (profile, client), width in zip(columns, widths):
            outcome = rows.get((profile, client)) or rows.get((profile, "-"))
            symbol = _SYMBOL[outcome.verdict] if outcome else ("-" if profile in once else "")
            cells.append(symbol.ljust(width))
        tr.write_line(f"{check_id:<13} {title:<52} " + " ".join(cells))
    if any(o.per_profile for o in outcomes.values()):
        tr.write_line("(-: a check run once per profile, with the main client whose column shows its verdict)")
