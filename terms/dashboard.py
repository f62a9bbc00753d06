"""Which entries the editors' dashboard (the admin index) counts, one definition per panel:
the term list's filter for a panel and the panel's count both call the function here on
the term list's queryset (TermAdmin.get_queryset), so a count is the length of the list
it links to.

"Mine" and "last changed" come from the audit log, where a working copy's entries name
its live entry (terms.audit).
"""

from django.db.models import CharField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce

from .models import AuditEntry, Term, TermRevision

# What writes an entry's content: who did the last of these is the author of a draft.
# Review steps are not among them, so a draft sent back by a publisher stays its editor's.
AUTHORING_ACTIONS = [
    AuditEntry.Action.CREATE,
    AuditEntry.Action.EDIT,
    AuditEntry.Action.RESTORE,
    AuditEntry.Action.IMPORT,
]
RECENT_LIMIT = 8


def unpublished_changes():
    """Whether the entry's working copy has been saved since it was made: each save of a
    copy records a revision of it (a copy only opened has none, and no changes)."""
    return Exists(
        TermRevision.objects.filter(
            entry=OuterRef("pk"),
            of_working_copy=True,
            revision__date_created__gt=OuterRef("working_copy__created_at"),
        )
    )


def _audit_entries_of_entry():
    """The audit entries of the outer entry (or its working copy), newest first."""
    return AuditEntry.objects.filter(
        target_type=Term._meta.model_name,
        target_id=Cast(OuterRef("pk"), output_field=CharField()),
    ).order_by("-created_at", "-pk")


def annotate_last_change(queryset):
    """``last_changed_at``: the newest audit entry of the entry, or its own last save when
    the log has none (terms loaded before the log, or by a fixture); ``last_changed_by``:
    who made that audit entry."""
    latest = _audit_entries_of_entry()
    return queryset.annotate(
        last_changed_at=Coalesce(Subquery(latest.values("created_at")[:1]), "updated_at"),
        last_changed_by=Subquery(latest.values("actor_name")[:1]),
    )


def drafts_of(queryset, user):
    """Drafts (new terms, and live entries whose working copy holds saved changes) whose
    content ``user`` wrote last (AUTHORING_ACTIONS)."""
    last_author = Subquery(
        _audit_entries_of_entry().filter(action__in=AUTHORING_ACTIONS).values("actor")[:1]
    )
    drafts = Q(status=Term.Status.DRAFT) | (
        Q(working_copy__status=Term.Status.DRAFT) & Q(unpublished_changes())
    )
    return queryset.annotate(last_author_id=last_author).filter(drafts, last_author_id=user.pk)


def in_development(queryset):
    return queryset.filter(in_development=True)


def recently_changed(queryset):
    """The first rows of the term list ordered by "last changed", newest first."""
    return queryset.order_by("-last_changed_at", "-pk")[:RECENT_LIMIT]
