"""Cache tags: what a public response shows, by names that survive renames.

A view tags its response (``tag``, or the ``tagged`` decorator) with what it shows: a
term by id, a category by id, and the lists (every list of terms, the A–Z index, the
categories). ``middleware.EdgeCacheMiddleware`` turns the tags of a response shared
caches may keep into headers; ``purge.plan_for`` names the tags a content change makes
stale. Every tagged response also carries ``ALL``, so purging it purges the whole site.
"""

import functools
from collections.abc import Iterable

ALL = "glossary"
TERMS_LIST = "terms-list"  # anything listing terms: lists, search, suggest, the index, sitemap
LETTERS = "letters"
CATEGORIES_LIST = "categories-list"
SEARCH = "search"
SITE = "site"  # what shows no content but the site's settings (robots.txt)

ATTRIBUTE = "edge_cache_tags"


def term(pk: int) -> str:
    return f"term-{pk}"


def category(pk: int) -> str:
    return f"category-{pk}"


def tag(response, *tags: str):
    """Add ``tags`` to ``response`` (and return it). Only a response with tags may be
    kept by shared caches."""
    setattr(response, ATTRIBUTE, tags_of(response) | {name for name in tags if name})
    return response


def tags_of(response) -> frozenset[str]:
    return frozenset(getattr(response, ATTRIBUTE, ()))


def is_tagged(response) -> bool:
    return hasattr(response, ATTRIBUTE)


def tagged(*tags: str):
    """A view decorator: tag each of the view's responses with ``tags``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            return tag(view(request, *args, **kwargs), *tags)

        return wrapped

    return decorator


def term_page_tags(*, term_id: int, category_id: int | None, shown: Iterable[int]) -> list[str]:
    """A term's page: the term, its category (name, shared questions) and every other
    term whose title or address it shows (related terms, terms its text links to)."""
    return [
        term(term_id),
        category(category_id) if category_id else "",
        *(term(pk) for pk in shown if pk is not None),
    ]


def header_values(tags: Iterable[str]) -> tuple[str, str]:
    """(Cache-Tag, Surrogate-Key): Cloudflare's comma-separated list, and the
    space-separated one Fastly and Varnish (xkey) read."""
    names = [ALL, *sorted(set(tags) - {ALL})]
    return ",".join(names), " ".join(names)
