"""Members set or removed: the one merge the request builders share.

A builder starts from the conformant request (the template's registration body, RFC 7591 §3.1;
the full client metadata of an RFC 7592 §2.2 update; a client assertion's header and claims,
RFC 7523 §3) and applies a check's changes: a value sets a member, :data:`OMIT` removes it.
"""

from __future__ import annotations

from typing import Any, Mapping


class _Omit:
    """Sentinel: remove this member (a JSON member, a claim or a header field)."""

    def __repr__(self) -> str:
        return "OMIT"

    def __reduce__(self) -> str:  # pickled by name: a copy is still ``OMIT`` (``is`` tests it)
        return "OMIT"


#: Pass as a value to remove the member, e.g. ``client_assertion(..., jti=OMIT)``.
OMIT: Any = _Omit()


def merged(base: Mapping[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``base`` with ``changes`` applied (a value of :data:`OMIT` removes the member)."""
    out = dict(base)
    for name, value in (changes or {}).items():
        if value is OMIT:
            out.pop(name, None)
        else:
            out[name] = value
    return out
