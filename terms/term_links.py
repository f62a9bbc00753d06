"""Links between glossary terms, stored by identity and resolved when a page is read.

In any Markdown field an editor links to another entry as ``[label](term:<id>)``, <id>
being the entry's primary key, so that the link survives a rename of its target. A
person may type ``[label](term:<slug>)``: ``store_term_links`` turns it into the id when
the text is validated (Term.clean, FAQ.clean, Category.clean: the admin forms and the
import both go through them).

Rendering keeps ``term:<id>`` hrefs in the stored HTML as placeholders (terms.markdown
allows nothing else of the scheme), and ``resolve`` turns them into links to the
target's current address when it is published, into its label alone otherwise: a reader
never learns the slug or the title of an unpublished term.

The interchange format (docs/glossary-format.md) writes links as ``term:<slug>``:
``portable`` for the export; the import converts them back (terms.services).
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .markdown import render_markdown

# A link in HTML written by nh3: attribute values are double-quoted with any `"`, `<` or
# `>` escaped, and links never nest, so neither part below can overrun its element.
_LINK = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)
_PLACEHOLDER_HREF = re.compile(r'\shref="term:([0-9]+)"')
# A link target in the Markdown source: after "](" (or "](<"), or in a raw HTML href.
_SOURCE_TARGET = re.compile(
    r"""(?:(?<=\]\()|(?<=\]\(<)|(?<=href=")|(?<=href='))term:([^\s()<>"']*)""", re.IGNORECASE
)
# A link target in raw HTML typed into the Markdown.
_HTML_TARGET = re.compile(r"""(?:(?<=href=")|(?<=href='))term:([^\s()<>"']*)""", re.IGNORECASE)
# A whole Markdown link to a term, for the export's portable form.
_SOURCE_LINK = re.compile(
    r"\[(?P<label>(?:[^\[\]\\]|\\.)*)\]\((?P<open><?)term:(?P<target>[^\s()<>\"']*)"
    r"(?P<rest>[^()]*)\)",
    re.IGNORECASE,
)


def placeholder_ids(html: str) -> list[int]:
    """The ids the placeholders in ``html`` point at, in order of first appearance."""
    if 'href="term:' not in html:
        return []
    ids = []
    for link in _LINK.finditer(html):
        found = _PLACEHOLDER_HREF.search(link[1])
        if found and int(found[1]) not in ids:
            ids.append(int(found[1]))
    return ids


def _replace_placeholders(html: str, replace: Callable[[int, str], str]) -> SafeString:
    def one(link: re.Match) -> str:
        found = _PLACEHOLDER_HREF.search(link[1])
        return replace(int(found[1]), link[2]) if found else link[0]

    return mark_safe(_LINK.sub(one, html))  # noqa: S308 - labels come sanitised by nh3


def _link(slug: str, label: str) -> str:
    url = reverse("terms:term_detail", kwargs={"slug": slug})
    return format_html('<a href="{}" class="term-link">{}</a>', url, mark_safe(label))  # noqa: S308


class LinkedTerm(NamedTuple):
    slug: str
    title: str

    def get_absolute_url(self) -> str:
        return reverse("terms:term_detail", kwargs={"slug": self.slug})


@dataclass
class Resolved:
    fragments: list[SafeString]
    links_to: list[LinkedTerm]  # published targets, once each, in order of first appearance
    linked_ids: list[int] = field(default_factory=list)  # their ids, in the same order


def resolve(fragments: Sequence[str]) -> Resolved:
    """The stored HTML ``fragments`` as readers see them: each term link to a published
    entry points at its current page, any other is its label alone.

    One query for all the fragments, none when they hold no term link.
    """
    ids = []
    for fragment in fragments:
        ids += [pk for pk in placeholder_ids(fragment) if pk not in ids]
    if not ids:
        return Resolved([mark_safe(fragment) for fragment in fragments], [])  # noqa: S308
    from .models import Term

    published = {
        pk: LinkedTerm(slug, title)
        for pk, slug, title in Term.objects.published()
        .filter(pk__in=ids)
        .values_list("pk", "slug", "title")
    }

    def replace(pk: int, label: str) -> str:
        target = published.get(pk)
        return _link(target.slug, label) if target else label

    return Resolved(
        [_replace_placeholders(fragment, replace) for fragment in fragments],
        [published[pk] for pk in ids if pk in published],
        [pk for pk in ids if pk in published],
    )


def render_for_editor(text: str) -> SafeString:
    """Markdown as the site renders it, term links resolved against every entry, for the
    admin's live preview: a published target is a link to its page, an unpublished one
    and an unknown id are marked so the editor sees what readers will not."""
    from .models import Term

    html = render_markdown(text)
    ids = placeholder_ids(html)
    if not ids:
        return html
    entries = {
        pk: (slug, status)
        for pk, slug, status in Term.objects.entries()
        .filter(pk__in=ids)
        .values_list("pk", "slug", "status")
    }

    def replace(pk: int, label: str) -> str:
        if pk not in entries:
            return format_html(
                '<span class="term-link term-link-missing" title="{}">{}</span>',
                _("No such term"),
                mark_safe(label),  # noqa: S308 - sanitised by nh3
            )
        slug, status = entries[pk]
        if status != Term.Status.PUBLISHED:
            return format_html(
                '<span class="term-link term-link-unpublished" title="{}">{}</span>',
                _("Not published: readers see plain text"),
                mark_safe(label),  # noqa: S308 - sanitised by nh3
            )
        return _link(slug, label)

    return _replace_placeholders(html, replace)


# Validation ----------------------------------------------------------------------------


def store_term_links(instance, field_names: Iterable[str], *, itself: Iterable[int] = ()) -> dict:
    """Check the term links in ``instance``'s Markdown fields, writing ``term:<slug>`` as
    ``term:<id>``; return the errors by field name (empty when all is well).

    A link must point at a glossary entry (not a working copy) other than ``itself``.
    The import, which reads links by slug and may meet a term before the one it links
    to, sets ``term_links_checked_later`` on what it saves before all terms are written.
    """
    from .models import Term

    if getattr(instance, "term_links_checked_later", False):
        return {}

    texts = {name: getattr(instance, name) or "" for name in field_names}
    targets = {name: _SOURCE_TARGET.findall(text) for name, text in texts.items()}
    wanted = {target for found in targets.values() for target in found}
    if not wanted:
        return {}
    ids = {int(target) for target in wanted if _is_id(target)}
    slugs = {target for target in wanted if not _is_id(target)}
    condition = Q(pk__in=ids)
    if slugs:
        condition |= Q(slug__in=slugs, draft_of__isnull=True)
    found = Term.objects.filter(condition).values_list("pk", "slug", "draft_of")
    entry_ids, copy_ids, id_for_slug = set(), set(), {}
    for pk, slug, draft_of in found:
        if draft_of is None:
            entry_ids.add(pk)
            if slug in slugs:
                id_for_slug[slug] = pk
        else:
            copy_ids.add(pk)
    itself = {pk for pk in itself if pk}
    dangling_before = _dangling_before(instance, field_names, ids - entry_ids - copy_ids)

    errors = {}
    for name, text in texts.items():
        missing, copies, to_itself = [], [], False
        for target in targets[name]:
            pk = int(target) if _is_id(target) else id_for_slug.get(target)
            if pk in itself:
                to_itself = True
            elif pk in copy_ids:
                copies.append(target)
            elif pk not in entry_ids and pk not in dangling_before:
                missing.append(target or "(empty)")
        messages = []
        if missing:
            messages.append(
                ValidationError(
                    _("Links to terms that do not exist: %(targets)s."),
                    code="term_link_missing",
                    params={"targets": ", ".join(dict.fromkeys(missing))},
                )
            )
        if copies:
            messages.append(
                ValidationError(
                    _(
                        "Links to working copies, not to glossary entries: %(targets)s. "
                        "Link to the entry itself."
                    ),
                    code="term_link_working_copy",
                    params={"targets": ", ".join(dict.fromkeys(copies))},
                )
            )
        if to_itself:
            messages.append(
                ValidationError(_("A term cannot link to itself."), code="term_link_itself")
            )
        if messages:
            errors[name] = messages
        else:
            setattr(instance, name, _retarget(text, lambda t: str(id_for_slug.get(t, t))))
    return errors


def _is_id(target: str) -> bool:
    """An id, as the stored HTML keeps it (terms.markdown): at most 18 ASCII digits."""
    return target.isascii() and target.isdigit() and len(target) <= 18


def _dangling_before(instance, field_names, missing_ids: set[int]) -> set[int]:
    """Those of ``missing_ids`` the stored text (of the instance, or of the entry a
    working copy is of) already linked to: their target was deleted since. Readers see
    the label alone; refusing them would stop every save of the text, the scheduled
    publishing included, for a change made elsewhere."""
    owners = [pk for pk in (instance.pk, getattr(instance, "draft_of_id", None)) if pk]
    if not missing_ids or not owners:
        return set()
    stored = type(instance)._default_manager.filter(pk__in=owners).values_list(*field_names)
    linked_before = {
        int(target)
        for texts in stored
        for text in texts
        for target in _SOURCE_TARGET.findall(text or "")
        if _is_id(target)
    }
    return missing_ids & linked_before


def _retarget(text: str, new_target: Callable[[str], str]) -> str:
    """``text`` with each term link's target replaced by ``new_target(target)``."""
    return _SOURCE_TARGET.sub(lambda found: f"term:{new_target(found[1])}", text)


# The interchange format -----------------------------------------------------------------


def portable(text: str, slug_for_id: dict[int, str]) -> str:
    """``text`` with its term links written by slug, for a glossary file. A link to a term
    that no longer exists is left as its label: no file could say what it pointed at."""
    if "term:" not in text.lower():
        return text

    def markdown_link(found: re.Match) -> str:
        target = found["target"]
        slug = slug_for_id.get(int(target)) if _is_id(target) else None
        if slug is None:
            return found["label"]
        return f"[{found['label']}]({found['open']}term:{slug}{found['rest']})"

    def html_href(found: re.Match) -> str:
        target = found[1]
        return f"term:{slug_for_id.get(int(target), target) if _is_id(target) else target}"

    return _HTML_TARGET.sub(html_href, _SOURCE_LINK.sub(markdown_link, text))


def linked_slugs(text: str) -> list[str]:
    """The targets of the term links in a glossary file's text: slugs, whatever they look
    like (a slug may be all digits)."""
    return list(dict.fromkeys(_SOURCE_TARGET.findall(text or "")))


def with_ids(text: str, id_for_slug: dict[str, int]) -> str:
    """A glossary file's ``text`` with its term links written by id (every slug known)."""
    return _retarget(text, lambda slug: str(id_for_slug[slug]))
