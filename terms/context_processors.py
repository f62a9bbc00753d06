from django.utils.functional import SimpleLazyObject

from . import selectors


def site(request) -> dict:
    """The site settings for every page's footer; read only by templates that use them."""
    return {"site": SimpleLazyObject(selectors.site_settings)}
