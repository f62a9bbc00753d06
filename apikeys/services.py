"""Everything that writes API keys and their uses."""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from advisory.services import network_hash

from .models import KEY_PREFIX, ApiKey, ApiKeyUse, secret_hash

logger = logging.getLogger(__name__)

# last_used_at is written at most this often per key, to spare a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The worker's sweeps run every heartbeat; the purge of old uses only this often.
PURGE_EVERY_SECONDS = 3600


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    text: str  # the whole key: shown once, never stored


def api_key_create(
    *, name: str, scopes: list[str], created_by, description: str = "", expires_at=None
) -> CreatedKey:
    """A new key with these scopes; its text is returned once and only its hash kept."""
    key = ApiKey(
        name=name,
        description=description,
        scopes=" ".join(sorted(set(scopes))),
        created_by=created_by,
        expires_at=expires_at,
    )
    return CreatedKey(key=key, text=api_key_issue(key=key))


def api_key_issue(*, key: ApiKey) -> str:
    """Save the unsaved ``key`` (name, scopes… set) with a new random secret; the key's
    text, which only the caller ever sees (the admin's form saves through here too)."""
    key.scopes = " ".join(sorted(set(key.scope_list)))
    key.full_clean(exclude=["prefix", "secret_hash"])
    for _attempt in range(5):
        key.prefix = secrets.token_hex(4)
        text = f"{KEY_PREFIX}{key.prefix}_{secrets.token_urlsafe(32)}"
        key.secret_hash = secret_hash(text)
        try:
            with transaction.atomic():
                key.save()
        except IntegrityError:  # the prefix was taken: 1 in 4 billion
            continue
        return text
    raise RuntimeError("Could not find a free key prefix.")


def api_key_revoke(*, key: ApiKey, by) -> bool:
    """Revoke ``key`` now (False if it already was): every later request with it is a 401."""
    changed = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    key.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return bool(changed)


def api_key_mark_used(key: ApiKey) -> None:
    """Record that ``key`` was used now, at most once a LAST_USED_RESOLUTION."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def api_key_use_record(
    *, key: ApiKey, method: str, path: str, status_code: int, client_address: str
) -> None:
    """The audit row of one request made with ``key``. A failure to store it is logged,
    not shown to the client: the answer was already made."""
    on_its_own = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql" and on_its_own:
                # Not waiting for the disk: the answer is already made, and a crash of the
                # database loses at most its last fraction of a second of uses (measured:
                # the wait was most of a keyed request's extra cost, bench/apikeys.py).
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            ApiKeyUse.objects.create(
                key=key,
                method=method[:10],
                path=path[:500],
                status_code=status_code,
                network=network_hash(client_address),
            )
    except DatabaseError:
        logger.exception("Could not record a use of API key %s.", key.display_key)


def api_key_uses_purge(*, older_than_days: int | None = None, dry_run: bool = False) -> int:
    """Delete the uses older than ``older_than_days`` (API_KEY_USE_RETENTION_DAYS unless
    given); the number deleted (or that would be, with ``dry_run``)."""
    days = settings.API_KEY_USE_RETENTION_DAYS if older_than_days is None else older_than_days
    old = ApiKeyUse.objects.filter(at__lt=timezone.now() - timedelta(days=days))
    if dry_run:
        return old.count()
    deleted, _by_model = old.delete()
    return deleted


_last_sweep = 0.0


def api_key_uses_sweep() -> None:
    """WORKER_SWEEPS entry: the purge, once an hour per worker (sweeps run each beat)."""
    global _last_sweep
    now = time.monotonic()
    if _last_sweep and now - _last_sweep < PURGE_EVERY_SECONDS:
        return
    _last_sweep = now
    deleted = api_key_uses_purge()
    if deleted:
        logger.info("Deleted %d API key uses older than the retention.", deleted)
