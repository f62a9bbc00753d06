"""Glossary files (the glossary/1 format) for the import and export tests."""

import pytest

from terms.services import GlossaryImportError, glossary_import


def term_record(slug, title, **fields):
    """A draft term in the "safety" category; ``fields`` add to or replace its fields."""
    return {"slug": slug, "title": title, "category": "safety", **fields}


def glossary_file(*terms, **sections):
    """A minimal valid file: one category, one reference, and the given terms."""
    return {
        "format": "glossary/1",
        "categories": [{"slug": "safety", "name": "AI Safety"}],
        "references": [
            {
                "key": "nist-ai-rmf",
                "title": "AI Risk Management Framework",
                "publisher": "NIST",
                "year": 2023,
                "url": "https://www.nist.gov/itl/ai-risk-management-framework",
            }
        ],
        "terms": list(terms) or [term_record("red-teaming", "Red Teaming")],
        **sections,
    }


def import_problems(data):
    """Import a file that must be refused; its problems by (kind, identity, field)."""
    with pytest.raises(GlossaryImportError) as refused:
        glossary_import(data=data)
    problems = {}
    for error in refused.value.report.errors:
        problems.setdefault((error.kind, error.identity, error.field), []).append(error.message)
    return problems
