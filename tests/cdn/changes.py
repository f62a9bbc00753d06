"""Content changes as the change feed (terms.changes) announces them, for tests."""

from django.utils import timezone

from terms.changes import CategoryChange, ContentChange, TermChange


def term_change(pk: int, *, category_id: int | None = 7, previous_slug=None) -> TermChange:
    return TermChange(
        id=pk,
        slug=f"term-{pk}",
        category="governance" if category_id else None,
        category_id=category_id,
        previous_slug=previous_slug,
    )


def content_change(pk: int = 1, **parts) -> ContentChange:
    values = {
        "published": (),
        "updated": (),
        "unpublished": (),
        "categories": (),
        "imported": None,
        "settings_changed": False,
        **parts,
    }
    for kind in ("published", "updated", "unpublished", "categories"):
        values[kind] = tuple(values[kind])
    return ContentChange(id=pk, occurred_at=timezone.now(), source="admin", **values)


def category_change(pk: int) -> CategoryChange:
    return CategoryChange(id=pk, slug=f"category-{pk}")
