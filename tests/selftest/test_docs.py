"""The generated documents (docs/defect-matrix.md, docs/requirements.md) match the code."""

from __future__ import annotations

import re


from conformance.catalogue import load_checks
from conformance.server import DEFECTS
from tests.selftest import defect_matrix, generated_docs

def test_committed_docs_are_up_to_date():
    stale = generated_docs.stale_docs()
    assert stale == [], f"stale generated docs {[p.name for p in stale]}: run python -m tests.selftest.defect_matrix --write-docs"


def test_cli_writes_and_checks_the_docs(tmp_path, capsys):
    assert defect_matrix.main(["--check-docs", "--docs-dir", str(tmp_path)]) == 1  # nothing written yet
    assert defect_matrix.main(["--write-docs", "--docs-dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage.md", "defect-matrix.md", "requirements.md"]
    assert defect_matrix.main(["--check-docs", "--docs-dir", str(tmp_path)]) == 0
    assert "stale" in capsys.readouterr().out


def test_defect_matrix_lists_every_defect_and_check():
    text = generated_docs.defect_matrix_markdown()
    for name, defect in DEFECTS.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, name
        assert defect.requirement in row and all(c in row for c in defect.breaks)
    for check_id in load_checks():
        assert re.search(rf"^\| {check_id} \|", text, re.M), check_id


def test_every_catalogue_check_is_implemented():
    """Every server-side check of docs/catalogue.md is in the suite (the generated matrix lists none missing)."""
    assert [c for c in generated_docs.CATALOGUE_IDS if c not in load_checks()] == []
    assert "## Catalogue checks not in the suite" in generated_docs.defect_matrix_markdown()
