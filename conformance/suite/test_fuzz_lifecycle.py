"""DCR-FUZZ-003: the client lifecycle as a Hypothesis state machine (conformance.fuzz.lifecycle)."""

from __future__ import annotations

import pytest

from conformance.fuzz.budget import Budget
from conformance.fuzz.lifecycle import LifecycleContext, bind
from conformance.fuzz.pool import TokenPool
from conformance.fuzz.run import run_machine
from conformance.suite.check import check
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no


# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-FUZZ-003": (
        ok("any order of registrations, reads, updates, deletes answered as RFC 7591 / RFC 7592 allow",
           "RFC 7592 §2.1", "MAY", "Some values in the response ... MAY be different from those in the initial "
           "registration response."),
        no("two clients from one initial token; a deleted client working again or taking another with it; a scope "
           "outside the template", "[claims] registration_management", "claim",
           "CURITY-DCR-ONCE, CURITY-DCR-REVOKE, the template's bounds"),
        no("a deleted client readable", "RFC 7592 §2.1", "MUST", "If the client does not exist on this server, the "
           "server MUST respond with HTTP 401 Unauthorized"),
    ),
})


@check("DCR-FUZZ-003", "CURITY-DCR-ONCE", "RFC7592-2.1", "RFC7592-2.2", "RFC7592-2.3", "CURITY-DCR-REVOKE",
       "RFC6749-3.3", "CURITY-DCRM-MANAGER", step="manage", per_profile=True, claims=("registration_management",))
@pytest.mark.fuzz
def test_client_lifecycle_state_machine(dcr_session, profile, target, request):
    """Generated lifecycles keep the invariants: one client per initial token, a deleted client never works again and never takes another with it, no scope outside the template."""
    budget = Budget.from_config(request.config)
    with TokenPool(dcr_session, target.label, depth=4) as pool:
        context = LifecycleContext(dcr_session, profile, pool, race_width=budget.race_width)
        run_machine(budget, bind(context))
    stats = context.stats
    request.node.user_properties.append(("dcr_fuzz", f"{budget.machine_runs} programs, {stats.get('steps', 0)} steps, "
                                                     f"{stats.get('clients', 0)} clients created and deleted; "
                                                     f"race width {budget.race_width}; {budget.describe()}"))
