"""Helpers of the suite's own tests (imported by name, like tests/server/srv_kit.py)."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.server import ReferenceServer


def edited_profile(srv: ReferenceServer, name: str = "edited", **claims: bool) -> Path:
    """A copy of the server's profile (beside it, so its relative secret files resolve) with
    ``[claims]`` values replaced."""
    text = Path(srv.profile_path).read_text(encoding="utf-8")
    head, claims_table = text.split("[claims]\n", 1)
    for key, value in claims.items():
        claims_table, count = re.subn(rf"^{key} = .*$", f"{key} = {str(value).lower()}", claims_table, flags=re.M)
        assert count == 1, f"[claims] {key} not in the profile"
    path = Path(srv.profile_path).with_name(f"profile-{name}.toml")
    path.write_text(head + "[claims]\n" + claims_table, encoding="utf-8")
    return path
