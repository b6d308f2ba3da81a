"""The model tables in docs/MODELS.md and README.md are the registry's, not stale copies."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import update_docs  # noqa: E402


def test_models_md_is_up_to_date():
    assert (ROOT / "docs" / "MODELS.md").read_text() == update_docs.models_markdown(), "run make docs"


def test_readme_table_is_up_to_date():
    readme = (ROOT / "README.md").read_text()
    assert readme == update_docs.readme_with_table(readme), "run make docs"
