"""The audit log: every change of content state, who made it, when and from where."""

from .models import AuditEntry


def audit_record(
    action: str,
    *,
    source: str,
    target=None,
    user=None,
    actor_name: str = "",
    detail: str = "",
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
) -> AuditEntry:
    """Write one audit entry. ``user`` for a person; ``actor_name`` for a command or an
    API key ("manage.py import_glossary", "API key: marketing site"). ``target`` is the
    object changed, if there is one (a term, category, site settings...); a working copy's
    entries name its live entry, so one entry's history reads as one story."""
    if target is not None:
        entry_id = getattr(target, "entry_id", None)
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(entry_id or target.pk or "")
        target_repr = target_repr or str(target)[:300]
    if user is not None and user.is_authenticated:
        actor_name = actor_name or user.get_username()
    else:
        user = None
    return AuditEntry.objects.create(
        action=action,
        source=source,
        actor=user,
        actor_name=actor_name or "unknown",
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        detail=detail,
    )
