from django_tasks import task

from . import services


@task()
def deliver_notifications(inquiry_id: int) -> str:
    """Email the advisory team, then the visitor, about one inquiry (retried on failure)."""
    return services.inquiry_notify(inquiry_id)


@task()
def notify_lead_routing_change(change_id: int) -> str:
    """Email the recipients before and after a change of who is told of new inquiries."""
    return services.lead_routing_notice_send(change_id)
