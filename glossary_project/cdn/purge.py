"""Which cache tags a content change makes stale (``plan_for``).

A term's own tag covers its page and every page showing its title (related terms,
links); its category's tag covers the pages showing the category; any change of a
published term changes the lists (every list, search and suggestion, the A–Z counts, the
categories' counts). A category change (its name, description or shared questions)
purges the category, the pages of its terms (tagged with it) and the lists. A change of
the site's settings, or one of more than CDN_PURGE_EVERYTHING_ABOVE terms (an import),
purges everything.
"""

from dataclasses import dataclass

from django.conf import settings

from . import tags

IMPORTED_KINDS = ("created", "updated", "unpublished")
LISTS = (tags.TERMS_LIST, tags.LETTERS, tags.CATEGORIES_LIST, tags.SEARCH)


@dataclass(frozen=True)
class PurgePlan:
    tags: tuple[str, ...] = ()
    everything: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.tags and not self.everything


EVERYTHING = PurgePlan(everything=True)


def plan_for(change) -> PurgePlan:
    """The tags to purge for a ``terms.changes.ContentChange``."""
    if change.settings_changed:
        return EVERYTHING
    terms = [*change.published, *change.updated, *change.unpublished]
    imported = change.imported or {}
    changed_by_import = sum(len(imported.get(kind, ())) for kind in IMPORTED_KINDS)
    if max(len(terms), changed_by_import) > settings.CDN_PURGE_EVERYTHING_ABOVE:
        return EVERYTHING
    names: set[str] = set()
    for term in terms:
        names.add(tags.term(term.id))
        if term.category_id:
            names.add(tags.category(term.category_id))
    for category in change.categories:
        names.add(tags.category(category.id))
    if names:
        names.update(LISTS)
    return PurgePlan(tags=tuple(sorted(names)))
