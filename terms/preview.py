"""Signed, expiring links that show an unpublished term to someone without an account."""

from django.conf import settings
from django.core import signing

PREVIEW_SALT = "terms.preview"


def preview_token(term) -> str:
    return signing.TimestampSigner(salt=PREVIEW_SALT).sign(str(term.pk))


def previewed_term_id(token: str | None) -> int | None:
    """The id of the term a valid, unexpired token shows; None for anything else."""
    if not token:
        return None
    try:
        value = signing.TimestampSigner(salt=PREVIEW_SALT).unsign(
            token, max_age=settings.PREVIEW_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def preview_url(term) -> str:
    """The absolute address of the term's page with a preview token."""
    return f"{settings.SITE_URL}{term.get_absolute_url()}?preview={preview_token(term)}"
