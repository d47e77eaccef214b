"""Reading a profile's values: each problem recorded with its dotted key and fix, never raised.

:class:`ProfileReader` holds what one load collects (problems, warnings, secrets) and reads the
typed values of the schema: ``${VAR}`` expanded from the environment (``$${`` is a literal
``${``), URLs checked to be https (RFC 6749 §3.1-3.2), paths resolved against the profile's
directory. The key, client and section readers build on it.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .model import ProfileProblem
from .schema import EXPECTED_KIND, TOP_KEYS, VAR, VAR_NAME, toml_type


class ProfileReader:
    """One profile file being read: the problems found so far and the generic value readers."""

    def __init__(self, path: Path) -> None:
        self.file = path
        self.path = path.expanduser().resolve()
        self.dir = self.path.parent
        self.problems: list[ProfileProblem] = []
        self.warnings: list[str] = []
        self.secrets: list[str] = []
        self.suggested: set[str] = set()  # dotted keys offered as "did you mean"

    def error(self, key: str | None, message: str) -> None:
        if message.startswith("missing") and key in self.suggested:
            return  # already reported as the misspelt key that was meant
        self.problems.append(ProfileProblem(self.file, key, message))

    # -- generic readers -----------------------------------------------------------------------

    def check_keys(self, table: Mapping[str, Any], prefix: str, schema: Mapping[str, Any]) -> None:
        for key in table:
            if key in schema:
                continue
            dotted = f"{prefix}.{key}" if prefix else key
            close = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.6)
            if close:
                self.error(dotted, f"unknown key; did you mean {close[0]!r}?")
                self.suggested.add(f"{prefix}.{close[0]}" if prefix else close[0])
            else:
                self.error(dotted, f"unknown key; known keys here: {', '.join(schema)}")

    def table(self, data: Mapping[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(key, f"missing; add a {TOP_KEYS[key][1]} table")
            return None
        if not isinstance(value, dict):
            self.error(key, f"expected a table ({TOP_KEYS[key][1]}), got {toml_type(value)}")
            return None
        return value

    def get(
        self, table: Mapping[str, Any], prefix: str, key: str, schema: Mapping[str, Any], *, required: bool = False
    ) -> Any:
        """A checked, ``${VAR}``-expanded value, or None (with a problem recorded when wrong)."""
        dotted = f"{prefix}.{key}" if prefix else key
        kind, example = schema[key]
        if key not in table:
            if required:
                self.error(dotted, f"missing; add {example}")
            return None
        value = table[key]
        ok = {
            "string": isinstance(value, str),
            "url": isinstance(value, str),
            "path": isinstance(value, str),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "strings": isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if not ok:
            self.error(dotted, f"expected {EXPECTED_KIND[kind]}, got {toml_type(value)}; e.g. {example}")
            return None
        if kind == "strings":
            expanded = [self.expand(v, dotted) for v in value]
            return None if any(v is None for v in expanded) else tuple(expanded)
        if kind in ("string", "url", "path"):
            value = self.expand(value, dotted)
            if value is None:
                return None
            if kind == "url":
                return self.url(value, dotted)
            if kind == "path":
                return self.file_path(value, dotted)
        return value

    def expand(self, raw: str, dotted: str) -> str | None:
        """``${VAR}`` from the environment; ``$${`` is a literal ``${``."""
        failed = False

        def sub(match: re.Match[str]) -> str:
            nonlocal failed
            if match.group(0) == "$${":
                return "${"
            name = match.group(1)
            if not match.group(0).endswith("}") or not VAR_NAME.match(name or ""):
                self.error(
                    dotted,
                    "malformed ${...} reference; "
                    "write ${NAME} (letters, digits, _), or $${ for a literal ${",
                )
                failed = True
                return ""
            if name not in os.environ:
                hint = " or use client_secret_file" if dotted.endswith(".client_secret") else ""
                self.error(dotted, f"environment variable {name} is not set; export it before the run{hint}")
                failed = True
                return ""
            return os.environ[name]

        value = VAR.sub(sub, raw)
        return None if failed else value

    def url(self, value: str, dotted: str) -> str | None:
        parts = urlsplit(value)
        if parts.scheme.lower() != "https" or not parts.netloc:
            self.error(
                dotted,
                "must be an absolute https:// URL (OAuth endpoints require TLS, RFC 6749 §3.1-3.2); "
                f"got {value!r}",
            )
            return None
        return value

    def file_path(self, value: str, dotted: str) -> Path | None:
        path = Path(value).expanduser()
        path = path if path.is_absolute() else (self.dir / path)
        if not path.is_file():
            self.error(
                dotted,
                f"file not found: {path} (relative paths start at the profile's directory {self.dir})",
            )
            return None
        return path
