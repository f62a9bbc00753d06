from django_tasks import task

from . import services


@task()
def deliver_notifications(inquiry_id: int) -> str:
    """Email the advisory team, then the visitor, about one inquiry (retried on failure)."""
    return services.inquiry_notify(inquiry_id)
