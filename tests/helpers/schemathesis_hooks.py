"""Schemathesis hooks: values that name what the server holds, filled in before each call
the way a front end fills them in.

A schema can say that `category` is a slug and `form_token` a string, not which
categories exist, which form tokens the server signed, or that each Idempotency-Key
must be new. Generated at random, such values would be refused (rightly) however
well-formed the rest of the request is, and the positive-data check could never pass.
So a well-formed value is replaced, just before the call, by one taken from the API
itself: a category and a published term from its lists, a fresh token from
GET /api/v1/inquiries/form/, a new UUID as the key. A value the schema already forbids
(an empty token, a number for a slug) is left as generated: it must still be refused.
Half the well-formed slugs of term and category pages become stored ones too, so that
pages are read (and their bodies checked), not only missed.

Schemathesis recomputes which parts of a request are valid after this hook, so its
checks judge the request actually sent. Imported by tests/api/test_schemathesis.py;
for the command line: SCHEMATHESIS_HOOKS=tests.helpers.schemathesis_hooks schemathesis run …
"""

import re
import uuid
import zlib
from collections.abc import MutableMapping

import schemathesis

SLUG = re.compile(r"[-a-zA-Z0-9_]+")
KEY = re.compile(r"[!-~]([ -~]*[!-~])?")
TEXT = re.compile(r"\S")
INQUIRIES = "/api/v1/inquiries/"

_lists: dict[tuple[int, str], list[str]] = {}


def _call(case, path: str, **query):
    operation = case.operation.schema[path]["GET"]
    response = operation.Case(query=query or None).call()
    assert response.status_code == 200, (path, response.status_code, response.text[:200])
    return response.json()


def _slugs(case, path: str) -> list[str]:
    """The slugs the API lists at ``path`` (read once per schema: they do not change)."""
    key = (id(case.operation.schema), path)
    if key not in _lists:
        body = _call(case, path, page_size=100) if path.endswith("terms/") else _call(case, path)
        rows = body["results"] if isinstance(body, dict) else body
        _lists[key] = sorted(row["slug"] for row in rows)
    return _lists[key]


def _one_of(slugs: list[str], generated: str) -> str:
    """A stored slug, picked by the generated one (the same input, the same pick)."""
    return slugs[zlib.crc32(generated.encode()) % len(slugs)]


# Pages whose {slug} is, for every other well-formed slug, one the API lists: the rest
# stay as generated and must be 404.
PAGES = {
    "/api/v1/terms/{slug}/": "/api/v1/terms/",
    "/api/v1/categories/{slug}/": "/api/v1/categories/",
}


@schemathesis.hook
def before_call(context, case, kwargs):
    path, method = case.operation.path, case.method.upper()
    if path in PAGES and isinstance(case.path_parameters, MutableMapping):
        slug = case.path_parameters.get("slug")
        if isinstance(slug, str) and SLUG.fullmatch(slug) and zlib.crc32(slug.encode()) % 2:
            case.path_parameters["slug"] = _one_of(_slugs(case, PAGES[path]), slug)
    if path == "/api/v1/terms/" and isinstance(case.query, MutableMapping):
        category = case.query.get("category")
        if isinstance(category, str) and SLUG.fullmatch(category):
            case.query["category"] = _one_of(_slugs(case, "/api/v1/categories/"), category)
    if path != INQUIRIES or method != "POST":
        return
    if isinstance(case.headers, MutableMapping):
        key = case.headers.get("Idempotency-Key")
        # As servers read a header: without the spaces and tabs around it.
        if isinstance(key, str) and KEY.fullmatch(key.strip(" \t")):
            case.headers["Idempotency-Key"] = str(uuid.uuid4())
    if isinstance(case.body, MutableMapping):
        token = case.body.get("form_token")
        if isinstance(token, str) and TEXT.search(token):
            case.body["form_token"] = _call(case, f"{INQUIRIES}form/")["form_token"]
        term = case.body.get("term")
        if isinstance(term, str) and SLUG.fullmatch(term):
            case.body["term"] = _one_of(_slugs(case, "/api/v1/terms/"), term)
