from django.db import models


class WorkerHeartbeat(models.Model):
    """A running worker process, as last heard from."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    # When this process started: a task claimed before it was claimed by an earlier
    # process with the same worker id, which is gone.
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "worker heartbeat"

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}, pid {self.pid})"
