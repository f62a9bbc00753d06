from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .backends import backend_from_name


@register()
def purge_backends_check(app_configs, **kwargs):
    """A misspelt CDN_PURGE_BACKENDS, or a CDN without its credential, is found at start,
    not at the first publish."""
    errors = []
    for name in settings.CDN_PURGE_BACKENDS:
        try:
            backend = backend_from_name(name)
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), id="cdn.E001"))
            continue
        kind = name.partition(":")[0].strip().lower()
        if kind == "cloudflare" and not settings.CDN_CLOUDFLARE_API_TOKEN:
            errors.append(Error(f"{backend.name} needs CDN_CLOUDFLARE_API_TOKEN.", id="cdn.E002"))
        if kind == "fastly" and not settings.CDN_FASTLY_API_KEY:
            errors.append(Error(f"{backend.name} needs CDN_FASTLY_API_KEY.", id="cdn.E003"))
    return errors
