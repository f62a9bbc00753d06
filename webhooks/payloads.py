"""What each event says (its ``data``): slugs, absolute API addresses on SITE_URL and, for
term events, the term's public JSON exactly as GET /api/v1/terms/<slug>/ returns it."""

from django.conf import settings
from django.http import Http404
from django.urls import reverse

from advisory.models import Inquiry
from terms import selectors
from terms.api.serializers import term_public_json

# The inquiry fields a CRM needs (which of them are personal data: Inquiry's own list).
INQUIRY_FIELDS = (
    "name",
    "email",
    "company",
    "job_title",
    "country",
    "phone",
    "message",
    "source_url",
)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def term_url(slug: str) -> str:
    return absolute(reverse("api:term-detail", kwargs={"slug": slug}))


def category_url(slug: str) -> str:
    return absolute(reverse("api:category-detail", kwargs={"slug": slug}))


def public_term(slug: str) -> dict | None:
    """The term as an anonymous GET of its API address answers (None: not public now)."""
    try:
        return term_public_json(selectors.term_page(slug=slug))
    except Http404:
        return None


def term_data(change, *, with_term: bool) -> dict:
    """A terms.changes.TermChange as a term event's data."""
    data = {
        "slug": change.slug,
        "url": term_url(change.slug),
        "category": change.category,
        "category_url": category_url(change.category) if change.category else None,
    }
    if change.previous_slug:
        data["previous_slug"] = change.previous_slug
        data["previous_url"] = term_url(change.previous_slug)
    if with_term:
        # Read after the change was committed; None if it is no longer public by now
        # (a term.unpublished event follows).
        data["term"] = public_term(change.slug)
    return data


def category_data(change) -> dict:
    return {"slug": change.slug, "url": category_url(change.slug)}


def import_data(imported: dict) -> dict:
    def listed(slugs):
        return [{"slug": slug, "url": term_url(slug)} for slug in slugs]

    return {
        "created": listed(imported.get("created", [])),
        "updated": listed(imported.get("updated", [])),
        "unpublished": listed(imported.get("unpublished", [])),
        "unchanged": imported.get("unchanged", 0),
    }


def inquiry_data(inquiry) -> dict:
    data = {
        "reference": str(inquiry.reference),
        "admin_url": absolute(reverse("admin:advisory_inquiry_change", args=[inquiry.pk])),
        "created_at": inquiry.created_at.isoformat().replace("+00:00", "Z"),
        **{field: getattr(inquiry, field) for field in INQUIRY_FIELDS},
        "term": (
            {
                "slug": inquiry.term.slug,
                "title": inquiry.term_title,
                "url": term_url(inquiry.term.slug),
            }
            if inquiry.term
            else None
        ),
        "consent_given_at": inquiry.consent_given_at.isoformat().replace("+00:00", "Z"),
        "consent_text": inquiry.consent_text,
        "personal_data": list(Inquiry.PERSONAL_DATA_FIELDS),
    }
    return data


def ping_data(endpoint) -> dict:
    return {"message": "A test event, sent from the admin.", "endpoint": endpoint.url}
