"""Reporting hooks of the pytest plugin (Allure, summary files): a pytest11 entry point of its own.

The reports are the top layer: the harness hands them the run state through its hook
``pytest_dcr_run_state`` (:mod:`conformance.harness.hookspecs`) and imports nothing from here.

* Allure (``--alluredir``): :mod:`conformance.reporting.allure_results` decorates each check's
  result; ``categories.json`` and ``executor.json`` are written at the start, the merged
  ``environment.properties`` at the end (xdist workers send theirs to the controller).
* JUnit (``--junitxml``): the check id, level, requirements, profile and main client are test-case
  properties already (``conformance.harness.plugin``); a SHOULD finding is added as ``dcr_warning``
  to the test case too, so the JUnit file tells warnings from passes.
* Certification summary (``--dcr-report-dir``): ``summary.json`` / ``summary.md`` on the process
  that holds the outcomes (the only one, or the xdist controller), after the run's cleanup.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.harness.options import option
from conformance.harness.runstate import RunState
from conformance.harness.targets import EXIT_UNREACHABLE

_PLUGIN = pytest.StashKey["ReportingPlugin"]()


@pytest.hookimpl(optionalhook=True)  # optional: the harness's plugin may be disabled (-p no:...)
def pytest_dcr_run_state(config: pytest.Config, state: RunState) -> None:
    plugin = ReportingPlugin(config, state)
    config.stash[_PLUGIN] = plugin
    config.pluginmanager.register(plugin, "dcr_reporting_run")


class ReportingPlugin:
    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.config = config
        self.state = state
        self.alluredir: str | None = getattr(config.option, "allure_report_dir", None)
        self.report_dir: str | None = config.getoption("--dcr-report-dir")
        self.is_worker = hasattr(config, "workerinput")
        self.decorator = None
        if self.alluredir:
            from conformance.reporting.allure_results import AllureDecorator

            self.decorator = AllureDecorator(config, self.state)
        self.cases = None
        self.check_requirements: dict[str, tuple[str, ...]] = {}
        if not self.is_worker:
            from conformance.reporting.summary import CaseTally

            self.cases = CaseTally()
        self._item = None
        self._worker_envs: list[dict[str, str]] = []
        self._interruption: str | None = None
        self._exitstatus: int | None = None  # the process's (RunState.process_status)
        self._pytest_status: int | None = None
        self._written: tuple[Path, Path] | None = None
        self._summary: dict | None = None
        self._allure_started = False

    # ------------------------------------------------------------------ start

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.state.requested:
            self._start_allure()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.state.checks_collected:  # the suite runs, although no --dcr-* option asked for it
            self._start_allure()

    def _active(self) -> bool:
        """Whether this run is a conformance run: else nothing of it is written (another project's run)."""
        return self.state.requested or self.state.checks_collected or bool(self.state.outcomes)

    def _start_allure(self) -> None:
        """The redacting writer, ``categories.json`` and ``executor.json`` (once)."""
        if not self.alluredir or self._allure_started:
            return
        self._allure_started = True
        from conformance.reporting import allure_results

        allure_results.install_redacting_writer(self.config, self.state.redact)
        if not self.is_worker:
            allure_results.write_categories(Path(self.alluredir))
            allure_results.write_executor(Path(self.alluredir), ", ".join(self._profile_names()))

    # ------------------------------------------------------------------ per test

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        self._item = item
        if self.decorator is not None:
            self.decorator.mark("setup")
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item):
        if self.decorator is not None:
            self.decorator.mark("call")
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if self.decorator is not None:
            self.decorator.record_exception(call.when, call.excinfo)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = report.user_properties
        if self.cases is not None:
            self.cases.add(report)
            for key, value in props:
                if key == "dcr_check" and value not in self.check_requirements:
                    self.check_requirements[value] = tuple(dict(props).get("dcr_requirements", "").split())
        item = self._item
        if item is None or item.nodeid != report.nodeid:
            return  # the xdist controller: the worker did the per-item work
        if report.when == "call":
            warning = next((v for k, v in props if k == "dcr_warning"), None)
            if warning is not None and not any(k == "dcr_warning" for k, _ in item.user_properties):
                item.user_properties.append(("dcr_warning", warning))  # JUnit: from the teardown report
        if self.decorator is not None:
            self.decorator.on_report(item, report)

    # ------------------------------------------------------------------ end

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        # Also called for pytest.exit(), e.g. the target unreachable (exit status 3).
        self._interruption = self.state.redact(str(excinfo.value) or excinfo.typename)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # A plain implementation: xdist's wrapper sends the workeroutput after it. The files are
        # written later (terminal summary, else unconfigure), once the client cleanup has run.
        self._pytest_status = int(exitstatus)
        self._exitstatus = self.state.process_status(session.exitstatus)
        if self.is_worker and self.alluredir:
            from conformance.reporting.allure_results import environment

            self.config.workeroutput["dcr_allure_env"] = json.dumps(environment(self.config, self.state))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        env = getattr(node, "workeroutput", {}).get("dcr_allure_env")
        if env:
            self._worker_envs.append(json.loads(env))

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config: pytest.Config) -> None:
        if self.is_worker:
            return
        self._pytest_status = int(exitstatus)
        self._exitstatus = self.state.process_status(exitstatus)
        self._finish()
        if self._written and self._summary:
            summary = self._summary
            partial = summary["selection"].get("partial")
            terminalreporter.write_line(
                f"dcr-conformance: certification summary {self._written[1]}: verdict {summary['verdict'].upper()}"
                + (" (partial run)" if partial else "") + f", results SHA-256 {summary['digest']['value']}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if not self.is_worker:  # without a terminal (-p no:terminal) this is the first chance
            self._finish()

    def _finish(self) -> None:
        if self._written is not None or self._summary is not None or self.config.option.collectonly:
            return
        if not self._active():
            return
        if self.state.not_started(self._pytest_status or 0) is not None:
            self._summary = {}  # no check ran: no verdict, and no stale one left behind
            for name in ("summary.json", "summary.md"):
                if self.report_dir:
                    (Path(self.report_dir) / name).unlink(missing_ok=True)
            return
        self._summary = {}  # once, even if writing fails below
        try:
            if self.alluredir:
                self._finish_allure()
            if self.report_dir:
                self._write_summary()
        except OSError as exc:  # a full disk or a read-only directory: say so, keep the run's result
            import sys

            print(f"dcr-conformance: cannot write the reports: {exc}", file=sys.stderr)

    def _finish_allure(self) -> None:
        from conformance.reporting import allure_results

        directory = Path(self.alluredir)
        self._start_allure()  # the xdist controller of a run no --dcr-* option asked for
        # Again at the end: xdist workers start after the controller and --clean-alluredir empties
        # the directory in each of them, removing what the controller wrote at the start.
        allure_results.write_categories(directory)
        allure_results.write_executor(directory, ", ".join(self._profile_names()))
        envs = [allure_results.environment(self.config, self.state), *self._worker_envs]
        allure_results.write_environment(directory, allure_results.merge_environments(envs))
        if self._exitstatus == EXIT_UNREACHABLE and self._interruption and not self.state.outcomes:
            allure_results.write_unreachable_result(self._interruption, self.state.redact)
        elif self._pytest_status == pytest.ExitCode.USAGE_ERROR and self._interruption and not self.state.outcomes:
            # pytest.exit() of a target that answers but cannot be discovered (harness.targets)
            allure_results.write_unreachable_result(self._interruption, self.state.redact, allure_results.UNUSABLE)
        elif self._pytest_status == pytest.ExitCode.INTERRUPTED:
            allure_results.write_interrupted_result(self._interruption or "interrupted", self.state.redact)

    def _write_summary(self) -> None:
        from conformance.reporting.summary import build_summary, write_summary

        state = self.state
        interruption = None
        incomplete = state.incomplete_reason()
        if self._exitstatus == EXIT_UNREACHABLE:  # also pytest's INTERNAL_ERROR: pytest.exit() tells them apart
            interruption = (f"target unreachable: {self._interruption}" if self._interruption
                            else "internal error (exit status 3)")
        elif incomplete is None and self._pytest_status == pytest.ExitCode.INTERRUPTED:
            incomplete = f"run interrupted: {self._interruption or 'exit status 2'}"
        options = {
            "strict": state.strict,
            "defect": state.defect,
            "expected_failures": state.expected_failures_path,
            "keyword": option(self.config, "keyword") or None,
            "marker": option(self.config, "markexpr") or None,
            "workers": option(self.config, "numprocesses"),
            "max_response_bytes": state.max_response_bytes,
            "unresponsive_after": state.watch.after,
            "max_run_time_s": state.max_run_time_s,
        }
        summary = build_summary(
            state.outcomes.values(), self.check_requirements,
            cases=self.cases.as_dict() if self.cases else {},
            profiles=self._profile_names(), exit_status=self._exitstatus or 0,
            target=("profiles: " + ", ".join(map(str, state.profile_paths))) if state.profile_paths
            else "embedded reference server" + (f" (defect {state.defect})" if state.defect else ""),
            options=options, leftovers=state.leftovers, interruption=interruption, incomplete=incomplete,
            unresponsive=state.unresponsive_endpoints(), redact=state.redact, selection=state.selection(),
        )
        self._written = write_summary(summary, Path(self.report_dir), state.redact)
        self._summary = summary

    def _profile_names(self) -> list[str]:
        names = list(self.state.sessions())
        if not names:
            names = [p.name for p in getattr(self.state, "loaded_profiles", [])]
        names += [o.profile for o in self.state.outcomes.values() if o.profile not in names]
        return list(dict.fromkeys(names))
