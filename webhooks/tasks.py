from django_tasks import task

from . import services


@task()
def deliver_webhook(delivery_id: int) -> str:
    """POST one event to one endpoint, signed (retried on failure)."""
    return services.delivery_send(delivery_id)


@task()
def notify_endpoint_disabled(endpoint_id: int) -> str:
    """Email the Editors and the endpoint's creator that it was disabled."""
    return services.endpoint_disabled_notify(endpoint_id)


@task()
def emit_content_change(change: dict) -> str:
    """Store the webhook events of one content change (terms.changes), and queue them."""
    from .receivers import change_from_json

    events = services.content_change_emit(change_from_json(change))
    return f"{len(events)} events"
