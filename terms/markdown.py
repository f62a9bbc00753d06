"""Markdown written by editors, rendered to HTML that is safe to show to anyone."""

import html as html_lib
import re
import threading

import markdown as markdown_lib
import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
    "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
# A link to another glossary entry, kept as a placeholder that terms.term_links resolves
# when the page is read; nothing else of the scheme survives.
_TERM_HREF = re.compile(r"term:0*([1-9][0-9]{0,17})", re.IGNORECASE)


def _keep_only_term_ids(element: str, attribute: str, value: str) -> str | None:
    if element == "a" and attribute == "href" and value.strip()[:5].lower() == "term:":
        found = _TERM_HREF.fullmatch(value.strip())
        return f"term:{found[1]}" if found else None
    return value


_converters = threading.local()


def _converter() -> markdown_lib.Markdown:
    """This thread's Markdown converter, reset before each use: building one (its parser
    and extensions) costs more than converting a paragraph."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = markdown_lib.Markdown(
            extensions=["tables", "sane_lists"]
        )
    return converter.reset()


def render_markdown(text: str) -> SafeString:
    """Render Markdown, then keep only harmless tags, attributes and http(s)/mailto links,
    and links to terms as ``href="term:<id>"`` placeholders (terms.term_links.resolve).

    Raw HTML in the source is escaped by the sanitiser rather than trusted, and every
    link gets rel="noopener noreferrer".
    """
    html = _converter().convert(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "term"},
        attribute_filter=_keep_only_term_ids,
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above


def plain_text(html: str) -> str:
    """What rendered HTML reads as, for a meta description or schema.org text."""
    return " ".join(html_lib.unescape(strip_tags(html)).split())
