"""A profile for a server without templates (plain RFC 7591 + 7592 with an initial access token)
runs the whole catalogue: the reference server in its template-less mode, whose profile has a
``[registration]`` body (``redirect_uris``, ``grant_types`` ...) and no ``[template]``."""

from __future__ import annotations

from conformance.catalogue import load_checks
from tests.selftest import runner

#: The checks that verify a dynamic client inherits its template's shape.
TEMPLATE_SHAPE = {"DCR-REG-003", "DCR-REG-010", "DCR-REG-011", "DCR-REG-012", "DCR-REG-013", "DCR-MGT-009"}


def test_template_shape_checks_need_a_template():
    assert {cid for cid, info in load_checks().items() if "template" in info.needs} == TEMPLATE_SHAPE


def test_whole_catalogue_against_a_server_without_templates():
    result = runner.run_against_server(None, templates=False)
    assert result.exit_code == 0 and not result.failures, result.output_tail
    assert not result.warnings and result.clients_left == 0, result.output_tail
    not_claimed = {cid for cid, outcome in result.checks.items()
                   if outcome.skipped and not outcome.functions}
    assert TEMPLATE_SHAPE <= not_claimed, sorted(not_claimed)
    for cid in TEMPLATE_SHAPE:
        assert all("no [template] software_id" in s for s in result.checks[cid].skipped), result.checks[cid].skipped
    ran = {cid for cid, outcome in result.checks.items() if outcome.ran}
    assert {"DCR-REG-001", "DCR-REG-002", "DCR-MGT-001", "DCR-USE-001", "DCR-FUZZ-001"} <= ran
