"""The run's summary on the console: first what made the run incomplete or slow (a signal,
--max-run-time, unresponsive endpoints), then one row per check, one column per main client, the
counts, the SHOULD findings, the blocked checks and the clients the suite could not delete.

The table fits the terminal: check ids and the verdict columns are never cut; titles are shortened
(with an ellipsis) only when the line would be wider than the terminal.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.harness.outcomes import NOT_RUN, Outcome, count_verdicts
from conformance.requirements import SHOULD

_SYMBOL = {"passed": "pass", "not applicable": "n/a", "not claimed": "n/c", "expected failure": "xfail",
           "warning": "WARN", "blocked": "BLOCK", NOT_RUN: "-run-", "unexpectedly passed": "XPASS",
           "failed": "FAIL", "error": "ERROR"}
#: Narrowest title column worth showing; below it the titles are left out.
_MIN_TITLE = 12


def write_terminal_summary(tr, outcomes: dict[tuple[str, str, str], Outcome], leftovers: list[dict], *,
                           selection: tuple[int, int] | None = None, incomplete: str | None = None,
                           unresponsive: list[dict] = (), redact: Callable[[str], str] = lambda s: s) -> None:
    """``tr``: pytest's terminal reporter (``section``, ``write_line``). ``selection``: (checks
    selected, checks in the catalogue) when -k / -m narrowed the run; ``incomplete``: why the run
    stopped early; ``unresponsive``: endpoints that stopped answering."""
    write_headline(tr, outcomes, incomplete, unresponsive, redact)
    if outcomes:
        write_table(tr, outcomes, _width(tr))
        counts = count_verdicts(outcomes)
        broken = [o for o in outcomes.values() if o.verdict in ("failed", "error")]
        should_failed = sum(1 for o in broken if o.level == SHOULD)
        tr.write_line(
            f"dcr-conformance: {len(outcomes)} results (one per check and main client): "
            f"{counts['passed']} passed, {len(broken) - should_failed} failed (MUST), "
            + (f"{should_failed} failed (SHOULD, strict mode), " if should_failed else "")
            + f"{counts['blocked']} blocked, "
            + (f"{counts[NOT_RUN]} not run, " if counts[NOT_RUN] else "")
            + f"{counts['warning']} warnings (SHOULD), {counts['not claimed']} not claimed, "
            f"{counts['expected failure']} expected failures, {counts['unexpectedly passed']} expected "
            f"failures that now pass, {counts['not applicable']} not applicable")
        tr.write_line("(pytest's own count below is of test cases: a result may fold several of them)")
        if selection is not None:
            tr.write_line(f"dcr-conformance: partial run ({selection[0]} of {selection[1]} checks selected); "
                          "the results cover only these checks")
    warned = [o for o in outcomes.values() if o.verdict == "warning"]
    if warned:
        tr.section("SHOULD-level findings (warnings; they fail the run in strict mode)", sep="-", yellow=True)
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


def write_headline(tr, outcomes: dict[tuple[str, str, str], Outcome], incomplete: str | None,
                   unresponsive: list[dict], redact: Callable[[str], str]) -> None:
    """What the reader must know before the table: the run is incomplete, endpoints did not answer."""
    if not incomplete and not unresponsive:
        return
    tr.section("dcr-conformance: read this first", sep="=", red=True, bold=True)
    if incomplete:
        not_run = count_verdicts(outcomes)[NOT_RUN]
        tr.write_line(f"RUN INCOMPLETE: {redact(incomplete)}; {not_run} result(s) not run (a check that did not "
                      "finish is never counted as passed)", red=True, bold=True)
    for entry in unresponsive:
        tr.write_line(f"ENDPOINT UNRESPONSIVE: {redact(entry['endpoint'])} since {entry['since']} "
                      f"({entry['failures']} consecutive timeouts or connection failures; last: "
                      f"{redact(entry['last_error'])}); later requests to it failed at once", red=True)


def write_not_started(tr, reason: str, hint: str) -> None:
    """A run in which no check ran (a usage error, everything deselected): why, and no verdict."""
    tr.write_line(f"dcr-conformance: no check ran, so there is no verdict: {reason}")
    if hint:
        tr.write_line(f"  hint: {hint}")


def _width(tr) -> int:
    writer = getattr(tr, "_tw", None)
    return int(getattr(writer, "fullwidth", 0) or 80)


def write_table(tr, outcomes: dict[tuple[str, str, str], Outcome], width: int = 80) -> None:
    """The per-check table; ``-`` where a check run once per profile did not use that main client."""
    columns = sorted({(o.profile, o.client) for o in outcomes.values()})
    tr.section("dcr-conformance summary", sep="=")
    headers = [c if p == columns[0][0] else f"{p}/{c}" for p, c in columns]
    widths = [max(5, len(h)) for h in headers]
    check_ids = sorted({o.check_id for o in outcomes.values()})
    id_width = max(len("check"), *(len(c) for c in check_ids))
    titles = {o.check_id: o.title for o in outcomes.values()}
    fixed = id_width + 1 + sum(w + 1 for w in widths)
    title_width = min(max(len(t) for t in titles.values()), width - 1 - fixed - 1)
    if title_width < _MIN_TITLE:
        title_width = 0

    def line(check: str, title: str, cells: list[str]) -> str:
        head = f"{check:<{id_width}} " + (f"{_shorten(title, title_width):<{title_width}} " if title_width else "")
        return (head + " ".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()

    tr.write_line(line("check", "title", headers))
    for check_id in check_ids:
        rows = {(o.profile, o.client): o for o in outcomes.values() if o.check_id == check_id}
        once = {p for (p, _), o in rows.items() if o.per_profile and len([k for k in rows if k[0] == p]) == 1}
        cells = []
        for profile, client in columns:
            outcome = rows.get((profile, client)) or rows.get((profile, "-"))
            cells.append(_SYMBOL[outcome.verdict] if outcome else ("-" if profile in once else ""))
        tr.write_line(line(check_id, titles[check_id], cells))
    if any(o.per_profile for o in outcomes.values()):
        tr.write_line("(-: a check run once per profile, with the main client whose column shows its verdict)")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
