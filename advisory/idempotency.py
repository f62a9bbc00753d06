"""Recognising a submission that came before: by an API client's Idempotency-Key, or by
its form token (each token makes one inquiry). Only keyed hashes are compared and kept."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .forms import InquiryForm
from .models import IdempotencyRecord

KEY_MAX_LENGTH = 255
PRINTABLE_ASCII = re.compile(r"[ -~]+")
Scope = IdempotencyRecord.Scope


class IdempotencyKeyInvalid(Exception):
    """The Idempotency-Key header is empty, too long or has characters it may not have."""


def clean_key(key: str) -> str:
    """The key as compared: 1 to 255 printable ASCII characters, outer spaces dropped."""
    key = key.strip()
    if not key:
        raise IdempotencyKeyInvalid("Must not be empty: send a new random value (a UUID).")
    if len(key) > KEY_MAX_LENGTH:
        raise IdempotencyKeyInvalid(
            f"Must be at most {KEY_MAX_LENGTH} characters (it has {len(key)})."
        )
    if not PRINTABLE_ASCII.fullmatch(key):
        raise IdempotencyKeyInvalid("Must be printable ASCII characters only (a UUID is ideal).")
    return key


def keyed_hash(namespace: str, value: str) -> str:
    return salted_hmac(f"advisory.{namespace}", value, algorithm="sha256").hexdigest()


def content_fingerprint(data: Mapping, *, with_token: bool) -> str:
    """A keyed hash of what was sent, read the way the form reads it: the same inquiry sent
    as a form post or as JSON (consent "on" or true, a field null or "") hashes the same."""
    values = {}
    for name, field in InquiryForm.base_fields.items():
        if name == "form_token" and not with_token:
            continue
        raw = field.widget.value_from_datadict(data, {}, name)
        values[name] = raw if isinstance(raw, bool) else ("" if raw is None else str(raw).strip())
    return keyed_hash("submission-content", json.dumps(values, sort_keys=True))


@dataclass(frozen=True)
class SubmissionKey:
    """One key a submission came with, and the content it must come with again."""

    scope: str
    key_hash: str
    fingerprint: str


def submission_keys(data: Mapping, *, idempotency_key: str | None) -> list[SubmissionKey]:
    """The Idempotency-Key (covering the whole body) first, then the form token (covering
    what the visitor typed, not the token itself)."""
    keys = []
    if idempotency_key is not None:
        keys.append(
            SubmissionKey(
                Scope.IDEMPOTENCY_KEY,
                keyed_hash("idempotency-key", idempotency_key),
                content_fingerprint(data, with_token=True),
            )
        )
    token = data.get("form_token")
    token = "" if token is None else str(token).strip()
    if token:
        keys.append(
            SubmissionKey(
                Scope.FORM_TOKEN,
                keyed_hash("form-token", token),
                content_fingerprint(data, with_token=False),
            )
        )
    return keys


def retention() -> timedelta:
    """How long a used key is remembered: a day at least, and as long as a form token is
    valid (so a token can never be used twice)."""
    return timedelta(seconds=max(24 * 3600, settings.ADVISORY_FORM_MAX_AGE))


def remembered_since() -> datetime:
    return timezone.now() - retention()


def earlier_use(key: SubmissionKey) -> IdempotencyRecord | None:
    return (
        IdempotencyRecord.objects.select_related("inquiry")
        .filter(scope=key.scope, key_hash=key.key_hash, created_at__gte=remembered_since())
        .first()
    )


def records_purge() -> int:
    """Forget keys older than the retention (one indexed DELETE, usually of nothing)."""
    deleted, _per_model = IdempotencyRecord.objects.filter(
        created_at__lt=remembered_since()
    ).delete()
    return deleted
