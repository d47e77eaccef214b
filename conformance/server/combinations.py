"""Which conformant variants a defect can be combined with (the self-test's defect x variant column).

A defect is still caught under every variant it can be combined with. It cannot be combined with
a variant when both change the same answer: the variant's answer takes the place of the one the
defect breaks, so there is nothing left to catch (or the defect's branch takes the variant's
place). Such pairs are declared with the reason, on either side:

* per variant, :data:`conformance.server.variants.DEFECT_CONFLICTS`: variant -> {defect: reason};
* per defect, :data:`conformance.server.defects.VARIANT_CONFLICTS`: defect -> {variant: reason}.

A new defect or variant needs nothing here: it combines with everything it does not declare.
"""

from __future__ import annotations

from .defects import DEFECTS, VARIANT_CONFLICTS
from .variants import DEFECT_CONFLICTS, VARIANTS, compatible_groups

__all__ = ["conflicts", "combinable", "variant_groups", "declaration_problems"]


def conflicts() -> dict[tuple[str, str], str]:
    """``{(defect, variant): reason}`` from both declarations."""
    pairs: dict[tuple[str, str], str] = {}
    for variant, defects in DEFECT_CONFLICTS.items():
        for defect, reason in defects.items():
            pairs[(defect, variant)] = reason
    for defect, variants in VARIANT_CONFLICTS.items():
        for variant, reason in variants.items():
            pairs.setdefault((defect, variant), reason)
    return pairs


def combinable(defect: str) -> tuple[str, ...]:
    """The variants ``defect`` can be combined with, in the order of :data:`VARIANTS`."""
    excluded = {variant for (d, variant) in conflicts() if d == defect}
    return tuple(name for name in VARIANTS if name not in excluded)


def variant_groups(defect: str) -> list[tuple[str, ...]]:
    """Groups of mutually compatible variants, each combinable with ``defect``, covering all of them
    (the first: all at once but the second member of each incompatible pair)."""
    return compatible_groups(combinable(defect))


def declaration_problems() -> list[str]:
    """Conflict declarations naming an unknown defect or variant, or giving no reason."""
    problems = []
    for (defect, variant), reason in sorted(conflicts().items()):
        if defect not in DEFECTS:
            problems.append(f"unknown defect {defect!r} (declared with variant {variant!r})")
        if variant not in VARIANTS:
            problems.append(f"unknown variant {variant!r} (declared with defect {defect!r})")
        if not reason.strip():
            problems.append(f"{defect} x {variant}: no reason given")
    for name in set(DEFECT_CONFLICTS) - set(VARIANTS):
        problems.append(f"DEFECT_CONFLICTS names unknown variant {name!r}")
    for name in set(VARIANT_CONFLICTS) - set(DEFECTS):
        problems.append(f"VARIANT_CONFLICTS names unknown defect {name!r}")
    return problems
