from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from .models import WorkerHeartbeat
from .services import dead_after


@dataclass(frozen=True)
class WorkersStatus:
    alive: int
    last_seen_at: datetime | None


def workers_status() -> WorkersStatus:
    """How many workers beat a heartbeat recently, and when one was last heard from."""
    now = timezone.now()
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=now - dead_after()).count()
    last = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
    return WorkersStatus(alive=alive, last_seen_at=last)
