"""Rules for text editors type that ends up in a template or an email header.

A call to action is text with one placeholder, ``{term}``, replaced by the term's title:
plain replacement, never ``str.format`` (whose format specs, ``{term:>2000000}``, and
attribute lookups, ``{term.__class__}``, would make an editor's wording code). Text that
reaches an email header (the organisation name, a term's title) is one line: refused with
a line break or another control character, and made one line again where it is used, so
that a value stored before the rule can never break a send.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TERM_PLACEHOLDER = "{term}"
CTA_HEADING_MAX_LENGTH = 200
CTA_BODY_MAX_LENGTH = 1000

# The placeholder, or any other brace: the first that is not the placeholder is refused.
_BRACES = re.compile(r"\{term\}|[{}]")
_SHOWN_AT_MOST = 40
# What Python-Markdown (and its tables extension) lets a backslash escape.
_MARKDOWN_SPECIALS = re.compile(r"[\\`*_{}\[\]()#+\-.!|]")
# Control characters (C0, C1, DEL), and the line and paragraph separators.
_CONTROL_CATEGORIES = {"Cc", "Zl", "Zp"}
# Runs of anything but a letter or a digit (the underscore counts as a separator too).
_NOT_WORD = re.compile(r"[\W_]+")


def fill_term(template: str, title: str) -> str:
    """The call to action for one term: each ``{term}`` replaced by its title."""
    return template.replace(TERM_PLACEHOLDER, title)


def markdown_literal(text: str) -> str:
    """``text`` written so that Markdown shows it as it is: no emphasis, link or HTML."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIALS.sub(r"\\\g<0>", escaped)


def validate_cta_template(text: str) -> None:
    """Refuse braces other than the literal ``{term}``, naming the first one."""
    for found in _BRACES.finditer(text):
        if found.group() == TERM_PLACEHOLDER:
            continue
        start = found.start()
        if found.group() == "{":
            close = text.find("}", start)
            if close != -1 and "{" not in text[start + 1 : close]:
                shown = text[start : close + 1]
                if len(shown) > _SHOWN_AT_MOST:
                    shown = shown[: _SHOWN_AT_MOST - 2] + "…}"
                raise ValidationError(
                    _(
                        "Only {term} may be written in braces (it stands for the term's "
                        "title); “%(found)s” is not allowed."
                    ),
                    code="bad_placeholder",
                    params={"found": shown},
                )
        raise ValidationError(
            _(
                "Only {term} may be written in braces (it stands for the term's title); "
                "remove the stray “%(found)s”."
            ),
            code="stray_brace",
            params={"found": found.group()},
        )


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in text)


def validate_one_line(text: str) -> None:
    """Refuse a line break, a tab or another control character."""
    if has_control_characters(text):
        raise ValidationError(
            _("Write this on one line: line breaks, tabs and control characters are not allowed."),
            code="not_one_line",
        )


def one_line(text: str) -> str:
    """``text`` as one line for an email header: control characters and runs of white
    space become single spaces."""
    kept = "".join(
        " " if unicodedata.category(char) in _CONTROL_CATEGORIES else char for char in text
    )
    return " ".join(kept.split())


def folded_words(text: str) -> str:
    """``text`` as suggest-as-you-type compares it: accents dropped, case folded, and
    anything but letters and digits (hyphens, dots, apostrophes) a single space, so
    "Fine-Tuning", "fine tuning" and "FINE–TUNING" read the same: "fine tuning"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.split(letters)).strip()
