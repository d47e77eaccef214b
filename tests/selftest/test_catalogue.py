"""docs/catalogue.md: every server check declares the answers the specs allow and forbid, with their
words, and the committed catalogue is what the declarations render."""

from __future__ import annotations

from conformance.catalogue import ANSWERS, FAILING_LEVELS, catalogue_markdown, load_checks
from conformance.cli import main
from tests.selftest.generated_docs import DOCS_DIR

CATALOGUE = DOCS_DIR / "catalogue.md"


def test_committed_catalogue_is_up_to_date():
    assert CATALOGUE.exists() and CATALOGUE.read_text(encoding="utf-8") == catalogue_markdown(), \
        "docs/catalogue.md is stale: run dcr-conformance requirements --catalogue docs/catalogue.md"


def test_every_server_check_declares_its_answers():
    checks = load_checks()
    assert sorted(c for c in checks if c not in ANSWERS) == []
    assert sorted(c for c in ANSWERS if c not in checks) == []
    assert "## Checks without declared answers\n\n- none\n" in catalogue_markdown()


def test_every_check_allows_something_and_a_must_failure_has_a_must():
    """A MUST failure needs a quoted MUST or a rule the profile claims; every check names an allowed answer."""
    for check_id, info in load_checks().items():
        answers = ANSWERS[check_id]
        assert any(a.allowed for a in answers), check_id
        if info.level == "MUST":
            assert any(not a.allowed and a.level in FAILING_LEVELS for a in answers), check_id


def test_catalogue_stands_alone():
    text = catalogue_markdown()
    assert "://" not in text and "shared/" not in text and "protocol.md" not in text


def test_cli_writes_the_catalogue(tmp_path):
    out = tmp_path / "catalogue.md"
    assert main(["requirements", "--catalogue", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == catalogue_markdown()
