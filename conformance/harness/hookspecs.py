"""Hooks the harness calls for the plugins above it (the reports), so it never imports them."""

from __future__ import annotations

import pytest


@pytest.hookspec(historic=True)
def pytest_dcr_run_state(config: pytest.Config, state) -> None:
    """The run state (a :class:`~conformance.harness.runstate.RunState`) is ready: its options and
    profiles are read; the targets are not reached yet. Called once per process, in the harness's
    ``pytest_configure``."""
