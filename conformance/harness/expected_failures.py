"""The expected-failures file: known failures of a deployment, per check id and main-client label."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from conformance.catalogue import SERVER_CHECKS as CHECKS


def read_expected_failures(path: Path) -> dict[str, set[str]]:
    """``{"DCR-TOK-011": ["es256", "*"]}`` as JSON, or a TOML table ``[expected_failures]``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise pytest.UsageError(f"{path}: cannot read the expected-failures file ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text).get("expected_failures", {})
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise pytest.UsageError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") from None
    result: dict[str, set[str]] = {}
    for check_id, labels in data.items():
        if check_id not in CHECKS and CHECKS:
            raise pytest.UsageError(f"{path}: {check_id!r} is not a check id (see docs/requirements.md)")
        if isinstance(labels, str):
            labels = [labels]
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise pytest.UsageError(f"{path}: {check_id} must list main-client labels or \"*\"")
        result[check_id] = set(labels)
    return result


def is_expected(expected: dict[str, set[str]], check_id: str, label: str) -> bool:
    """Whether the file lists the check for this main client (or for every one, ``"*"``)."""
    labels = expected.get(check_id, set())
    return "*" in labels or label in labels
