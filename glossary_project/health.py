"""Liveness and readiness for load balancers and orchestrators.

``GET /health/live``: the process answers. ``GET /health/ready``: it can do its work:
PostgreSQL (or SQLite) answers and every migration is applied. Redis and the worker are
reported, as "degraded" when they fail, without failing readiness: the site works without
them (README "When things fail"). JSON, never cached, no addresses or secrets, with the
headers every response has. Answered before anything reads the Host header, and exempt
from the HTTPS redirect (SECURE_REDIRECT_EXEMPT), so probes may come by plain HTTP and by
IP address.
"""

import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone

from .httpcache import shared
from .httpcache.backends import ResilientRedisCache, SharedCacheUnavailable
from .worker.selectors import workers_status

LIVE = {"/health/live", "/health/live/"}
READY = {"/health/ready", "/health/ready/"}

_migrated = False  # once every migration is applied, it stays so for this process


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in LIVE or request.path in READY:
            if request.method not in ("GET", "HEAD"):
                response = JsonResponse({"detail": "Use GET."}, status=405)
                response["Allow"] = "GET, HEAD"
            elif request.path in LIVE:
                response = JsonResponse({"status": "ok"})
            else:
                response = readiness()
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


def readiness() -> JsonResponse:
    checks = {"database": database_check()}
    if checks["database"]["status"] == "ok":
        checks["migrations"] = migrations_check()
        checks["worker"] = worker_check()
        checks["notifications"] = notifications_check()
    checks["cache"] = cache_check()
    essential = [checks["database"], checks.get("migrations", {"status": "unavailable"})]
    if any(check["status"] != "ok" for check in essential):
        status, code = "unavailable", 503
    elif any(check["status"] != "ok" for check in checks.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)


def database_check() -> dict:
    connection = connections[DEFAULT_DB_ALIAS]
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        if not connection.in_atomic_block:
            connection.close()
        return {"status": "unavailable", "error": type(error).__name__}
    return {"status": "ok", "milliseconds": round((time.perf_counter() - started) * 1000, 1)}


def migrations_check() -> dict:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if unapplied:
            return {"status": "unavailable", "unapplied": len(unapplied)}
        _migrated = True
    return {"status": "ok"}


def cache_check() -> dict:
    if not isinstance(shared.backend(), ResilientRedisCache):
        return {"status": "ok", "backend": "local memory"}
    try:
        shared.read()
    except SharedCacheUnavailable:
        since = shared.backend().breaker.down_since
        report = {"status": "degraded", "backend": "redis", "detail": "unreachable"}
        if since:
            report["down_seconds"] = round(time.time() - since)
        return report
    return {"status": "ok", "backend": "redis"}


def worker_check() -> dict:
    status = workers_status()
    report = {"status": "ok" if status.alive else "degraded", "alive": status.alive}
    if status.last_seen_at is not None:
        report["last_seen_seconds"] = round((timezone.now() - status.last_seen_at).total_seconds())
    return report


def notifications_check() -> dict:
    from advisory.selectors import notifications_waiting

    waiting = notifications_waiting()
    report = {"status": "ok", "waiting": waiting.count}
    if waiting.oldest is not None:
        age = round((timezone.now() - waiting.oldest).total_seconds())
        report["oldest_waiting_seconds"] = age
        if waiting.overdue:
            report["status"] = "degraded"
            report["overdue"] = waiting.overdue
    return report
