"""Revisions of terms, kept by django-reversion: every save of an entry or its working
copy records the whole entry (fields, related terms, and through ``follow`` its key
considerations, own FAQs and citations), who made it, when, why and from where."""

import reversion

from . import changes
from .models import FAQ, KeyConsideration, Term, TermReference, TermRevision

# What a revision leaves out: derived from what it keeps, or bookkeeping of the row.
TERM_FIELDS_NOT_KEPT = ["letter", "definition_html", "why_it_matters_html"]


def register_models() -> None:
    """Called once, from the app's ready()."""
    reversion.register(
        Term, follow=["key_considerations", "faqs", "citations"], exclude=TERM_FIELDS_NOT_KEPT
    )
    reversion.register(KeyConsideration, exclude=["normalized_text"])
    reversion.register(FAQ, exclude=["answer_html"])
    reversion.register(TermReference)


def record_revision(term: Term, *, user=None, source: str, comment: str = "") -> None:
    """Record the term as it is now as a revision of its entry (in its own transaction,
    or in the caller's: a change and its revision commit together)."""
    changes.attribute(source)
    with reversion.create_revision(manage_manually=True):
        reversion.add_to_revision(term)
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(comment)
        reversion.add_meta(
            TermRevision,
            entry_id=term.entry_id,
            of_working_copy=term.is_working_copy,
            source=source,
        )
