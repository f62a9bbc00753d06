"""System checks for the webhook settings (manage.py check --deploy)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def private_addresses_refused(app_configs, **kwargs):
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return []
    return [
        checks.Warning(
            "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on: anyone who may add a webhook endpoint "
            "can make this server send requests to its own network (the database, the "
            "cloud's metadata service).",
            hint="Leave WEBHOOKS_ALLOW_PRIVATE_ADDRESSES unset in production.",
            id="webhooks.W001",
        )
    ]
