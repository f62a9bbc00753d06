"""Errors a front-end developer can act on: JSON, naming the parameter, never a 500."""

import pytest

from ..factories import TermFactory

pytestmark = pytest.mark.django_db

TERMS = "/api/v1/terms/"
LIST_PARAMETERS = (
    "category, fields, format, letter, ordering, page, page_size, search, search_exact, "
    "updated_since"
)
WHOLE_NUMBER = ["Must be a whole number, 1 or more."]
NOT_EMPTY = "Must not be empty: leave the parameter out instead."


@pytest.fixture(autouse=True)
def term():
    return TermFactory(title="Attention", slug="attention")


def bad_request(client, path: str, query: str) -> dict:
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


# 400: the parameter at fault, by name --------------------------------------------------


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "colour=red",
            {"colour": [f"Unknown query parameter. This endpoint accepts: {LIST_PARAMETERS}."]},
        ),
        (
            "letter=Q1",
            {"letter": ["Select a valid choice. Q1 is not one of the available choices."]},
        ),
        (
            "category=nowhere",
            {
                "category": [
                    "Select a valid choice. That choice is not one of the available choices."
                ]
            },
        ),
        ("updated_since=yesterday", {"updated_since": ["Enter a valid date/time."]}),
        ("updated_since=2025-02-30T10:00:00Z", {"updated_since": ["Enter a valid date/time."]}),
        ("page=abc", {"page": WHOLE_NUMBER}),
        ("page=0", {"page": WHOLE_NUMBER}),
        ("page=-1", {"page": WHOLE_NUMBER}),
        ("page_size=0", {"page_size": WHOLE_NUMBER}),
        ("page_size=101", {"page_size": ["At most 100 items a page."]}),
        (
            "ordering=bogus",
            {"ordering": ["Select a valid choice. bogus is not one of the available choices."]},
        ),
        ("updated_since=", {"updated_since": [NOT_EMPTY]}),
        ("letter=", {"letter": [NOT_EMPTY]}),
        ("category=", {"category": [NOT_EMPTY]}),
        ("ordering=", {"ordering": [NOT_EMPTY]}),
        ("letter=A&letter=", {"letter": [NOT_EMPTY]}),
        (
            "search=" + "x" * 201,
            {"search": ["Ensure this value has at most 200 characters (it has 201)."]},
        ),
        ("search=a%00b", {"search": ["Null characters are not allowed."]}),
        ("category=%00", {"category": ["Null characters are not allowed."]}),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else None,
)
def test_a_bad_list_parameter_is_a_400_naming_it(client, query, errors):
    assert bad_request(client, TERMS, query) == errors


@pytest.mark.parametrize("search", ["", "+++"], ids=["no search", "only spaces"])
def test_ordering_by_relevance_without_a_search_lists_terms_by_title(client, search):
    TermFactory(title="Zero-shot learning", slug="zero-shot")
    TermFactory(title="Bias", slug="bias")

    response = client.get(f"{TERMS}?ordering=relevance&search={search}")

    assert response.status_code == 200
    titles = [term["title"] for term in response.json()["results"]]
    assert titles == ["Attention", "Bias", "Zero-shot learning"]


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-14:00"],
    ids=["before the year 1 in UTC", "after 9999 in UTC"],
)
def test_updated_since_beyond_the_first_or_last_moment_means_every_term_or_none(client, moment):
    response = client.get(f"{TERMS}?updated_since={moment}")

    assert response.status_code == 200
    expected = 1 if moment.startswith("0001") else 0
    assert response.json()["count"] == expected


def test_every_unknown_parameter_is_named_at_once(client):
    errors = bad_request(client, TERMS, "colour=red&pge=2&letter=A")
    assert sorted(errors) == ["colour", "pge"]


@pytest.mark.parametrize(
    "path", [f"{TERMS}attention/", "/api/v1/categories/", "/api/v1/letters/"], ids=str
)
def test_an_unknown_parameter_on_the_other_endpoints_is_a_400_naming_it(client, path):
    errors = bad_request(client, path, "colour=red")
    assert list(errors) == ["colour"]
    assert errors["colour"][0].startswith("Unknown query parameter. This endpoint accepts: ")


def test_an_unknown_parameter_on_a_category_page_is_a_400_naming_it(client, term):
    errors = bad_request(client, f"/api/v1/categories/{term.category.slug}/", "search=x")
    assert errors == {"search": ["Unknown query parameter. This endpoint accepts: fields, format."]}


def test_pagination_parameters_on_a_term_page_are_unknown_parameters(client):
    errors = bad_request(client, f"{TERMS}attention/", "page=abc")
    assert list(errors) == ["page"]


def test_an_unsupported_format_is_a_400_naming_it(client):
    assert list(bad_request(client, "/api/v1/letters/", "format=xml")) == ["format"]


# 404 -----------------------------------------------------------------------------------


def test_a_page_past_the_end_is_a_404_saying_where_the_end_is(client):
    response = client.get(TERMS, {"page": 3})
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no page 3; the last page is 1."}


def test_an_unknown_slug_is_a_404(client):
    response = client.get(f"{TERMS}nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Term matches the given query."}


def test_a_write_to_a_read_only_address_is_refused_with_a_405(client):
    response = client.post("/api/v1/letters/", {}, content_type="application/json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_a_content_write_without_an_api_key_is_a_401(client):
    response = client.post(TERMS, {}, content_type="application/json")
    assert response.status_code == 401  # terms are written with a key (tests/api/writes)


@pytest.mark.parametrize("path", [TERMS, f"{TERMS}attention/", "/api/v1/letters/"])
def test_a_method_an_address_does_not_have_is_a_405_with_allow_whatever_the_query(client, path):
    response = client.generic("TRACE", f"{path}?preview=&colour=red")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "TRACE" not allowed.'}
    assert "GET" in response["Allow"]


# No query string, however odd, gives a 500 --------------------------------------------

ODD_QUERIES = [
    "search=%F0%9F%A4%96",  # an emoji
    "search=caf%C3%A9%20%E2%80%94%20na%C3%AFve",
    "search=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD",
    "search=%E2%80%AE%E2%80%8B",  # right-to-left override, zero-width space
    "search=%C3%28%FF%FE",  # not UTF-8
    "search=%",
    "search=%25%25_%5C",
    "search='",
    'search="unterminated',
    "search=;--",
    "search=x'%20OR%201=1;--",
    "search=<script>alert(1)</script>",
    "search=!!!%20%26%20|%20:*",
    "search=-",
    "search=the",
    "search=" + "x" * 200,
    "search=" + "x" * 10_000,
    "search=" + "%F0%9F%98%80" * 300,
    "search=a&search=b",
    "search=",
    "search",
    "letter=%C3%89",
    "letter=A&letter=B",
    "letter=",
    "category=" + "x" * 10_000,
    "category=%27;DROP%20TABLE%20terms_term;--",
    "category=",
    "updated_since=0000-00-00",
    "updated_since=99999-01-01",
    "updated_since=2025-01-01T00:00:00%2B99:00",
    "updated_since=1e100",
    "updated_since=",
    "ordering=-relevance",
    "ordering=title;--",
    "ordering=title&ordering=-updated_at",
    "page=" + "9" * 50,
    "page=%EF%BC%91",  # a full-width digit one
    "page=1.5",
    "page=1&page=2",
    "page_size=" + "9" * 50,
    "page_size=1e2",
    "format=json&format=api",
    "%00=x",
    "=x",
    "&&&",
    "a=" + "b" * 10_000,
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=lambda query: query[:40])
@pytest.mark.parametrize(
    "path", [TERMS, f"{TERMS}attention/", "/api/v1/categories/", "/api/v1/letters/"]
)
def test_an_odd_query_string_is_never_a_server_error(client, path, query):
    client.raise_request_exception = False
    response = client.get(f"{path}?{query}")
    assert response.status_code in {200, 400, 404}, response.content[:300]
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        f"{TERMS}%F0%9F%98%80/",
        f"{TERMS}{'a' * 5000}/",
        f"{TERMS}..%2F..%2Fetc%2Fpasswd/",
        "/api/v1/categories/%27%20OR%201=1/",
    ],
    ids=lambda path: path[:40],
)
def test_an_odd_slug_is_a_404_not_a_server_error(client, path):
    client.raise_request_exception = False
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"{TERMS}attention%00/", "/api/v1/categories/a%00b/"], ids=str)
def test_a_nul_character_in_a_slug_is_a_404(client, path):
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_updated_since_with_an_offset_postgresql_cannot_store_still_works(client):
    response = client.get("/api/v1/terms/", {"updated_since": "1422-10-03T17:58:05.4+17:49"})
    assert response.status_code == 200
