"""Driving the term admin from a test: its URLs, POST data for its change form, and what
it shows back (field errors, messages)."""

from django.contrib.messages import get_messages
from django.urls import reverse

ADD_TERM = reverse("admin:terms_term_add")
CHANGELIST = reverse("admin:terms_term_changelist")
PUBLISH_REFUSED = "Publishing needs the publish permission; submit the term for review instead."


def change_url(term) -> str:
    return reverse("admin:terms_term_change", args=[term.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """POST data for one admin inline: its management form and its rows."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def term_form(category, *, considerations=(), faqs=(), references=(), **fields) -> dict:
    data = {
        "title": "Mechanistic Interpretability",
        "slug": "mechanistic-interpretability",
        "aliases": "mech interp",
        "category": str(category.pk),
        "status": "draft",
        "summary": "Reverse-engineering what a neural network computes.",
        "definition": "The study of the **internal mechanisms** of neural networks.",
        "why_it_matters": "It lets a business explain and audit model behaviour.",
        "cta_heading": "",
        "cta_body": "",
        **fields,
    }
    data |= inline(
        "key_considerations", [{"text": text, "position": ""} for text in considerations]
    )
    data |= inline("faqs", [{"question": q, "answer": a, "position": ""} for q, a in faqs])
    data |= inline("citations", [{"reference": str(ref.pk), "position": ""} for ref in references])
    return data


def stored_rows(term) -> dict[str, list[dict]]:
    """The inline rows of a stored term as its change form posts them back, by prefix."""
    return {
        "key_considerations": [
            {"id": str(row.pk), "term": str(term.pk), "text": row.text, "position": row.position}
            for row in term.key_considerations.order_by("position", "pk")
        ],
        "faqs": [
            {
                "id": str(row.pk),
                "term": str(term.pk),
                "question": row.question,
                "answer": row.answer,
                "position": row.position,
            }
            for row in term.faqs.order_by("position", "pk")
        ],
        "citations": [
            {
                "id": str(row.pk),
                "term": str(term.pk),
                "reference": str(row.reference_id),
                "position": row.position,
            }
            for row in term.citations.order_by("position", "pk")
        ],
    }


def stored_term_form(term, rows: dict[str, list[dict]] | None = None, **fields) -> dict:
    """POST data for a stored term's change form: what it holds, with ``fields`` changed
    and the inline ``rows`` (stored_rows, edited: a row without "id" is new, one with
    "DELETE": "on" is removed)."""
    values = {
        "title": term.title,
        "slug": term.slug,
        "aliases": term.aliases,
        "category": str(term.category_id),
        "status": term.status,
        "summary": term.summary,
        "definition": term.definition,
        "why_it_matters": term.why_it_matters,
        "cta_heading": term.cta_heading,
        "cta_body": term.cta_body,
        "related": [str(pk) for pk in term.related.values_list("pk", flat=True)],
    }
    if term.in_development:
        values["in_development"] = "on"
    data = {**values, **fields}
    for prefix, prefix_rows in (rows or stored_rows(term)).items():
        initial = sum(1 for row in prefix_rows if "id" in row)
        data |= inline(prefix, prefix_rows, initial=initial)
    return data


def field_errors(response, field: str, formset: str | None = None) -> list[str]:
    """The messages shown next to a field of the main form, or of an inline row."""
    if formset is None:
        return list(response.context["adminform"].form.errors.get(field, []))
    for inline_formset in response.context["inline_admin_formsets"]:
        if inline_formset.formset.prefix == formset:
            return [
                message
                for form in inline_formset.formset.forms
                for message in form.errors.get(field, [])
            ]
    raise AssertionError(f"no inline {formset}")
