"""What the observer and the in-process kit share: a scenario engine, its recordings, grading."""

from __future__ import annotations

from typing import Any

from .checks import Result, grade
from .recording import Recording
from .scenarios import Scenario, ScenarioEngine


class ScenarioDriven:
    """Mixin for a server stand-in that plays scenarios through ``self.engine``."""

    engine: ScenarioEngine

    @property
    def scenario(self) -> Scenario:
        return self.engine.scenario

    def use_scenario(self, scenario: str | Scenario, **options: Any) -> Scenario:
        """Switch scenario (grading options as keywords); the recording starts again."""
        return self.engine.use_scenario(scenario, **options)

    def launch(self, installation: str | None = None) -> None:
        """Mark the start of a launch (when the app does not call the attestation stand-in)."""
        self.engine.launch(installation)

    @property
    def recording(self) -> Recording:
        return self.engine.recording

    def recording_of(self, scenario: str | None = None) -> Recording:
        return self.engine.recording_of(scenario)

    def grade(self, scenario: str | None = None, *, installation: str | None = None) -> list[Result]:
        """Grade the recording of ``scenario`` (default: the active one) against the DCR-SDK checks."""
        name = scenario or self.scenario.name
        return grade(name, self.recording_of(name), installation=installation)
