from django_tasks import task

from . import services


@task()
def purge(purge_id: int) -> str:
    """Send one purge to its backend (retried with backoff on failure)."""
    return services.purge_send(purge_id)
