"""The OpenAPI schema is complete and valid, and the interactive docs open."""

import re

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

CONTENT_PATHS = [
    "/api/v1/terms/",
    "/api/v1/terms/{slug}/",
    "/api/v1/categories/",
    "/api/v1/categories/{slug}/",
    "/api/v1/letters/",
    "/api/v1/suggest/",
]
# The content write API (terms/api/writes.py): API keys with content:write only.
WRITE_PATHS = [
    "/api/v1/terms/{slug}/record/",
    "/api/v1/categories/{slug}/record/",
    "/api/v1/glossary/",
]
KEYED_WRITES = [
    *((path, "post") for path in ("/api/v1/terms/", "/api/v1/categories/", "/api/v1/glossary/")),
    *(
        (path, method)
        for path in ("/api/v1/terms/{slug}/", "/api/v1/categories/{slug}/")
        for method in ("put", "patch", "delete")
    ),
    ("/api/v1/terms/{slug}/record/", "get"),
    ("/api/v1/categories/{slug}/record/", "get"),
]
INQUIRY_METHODS = {
    "/api/v1/inquiries/": {"get", "post"},
    "/api/v1/inquiries/{reference}/": {"get"},
    "/api/v1/inquiries/form/": {"get"},
}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def parameters(operation: dict) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "AI Glossary API"


def test_the_schema_documents_every_endpoint_and_content_is_written_only_with_a_key(schema):
    assert sorted(schema["paths"]) == sorted([*CONTENT_PATHS, *WRITE_PATHS, *INQUIRY_METHODS])
    for path in CONTENT_PATHS:
        assert "get" in schema["paths"][path], path
    for path, methods in INQUIRY_METHODS.items():
        assert set(schema["paths"][path]) == methods, path
    written = {(path, method) for path, method in KEYED_WRITES}
    for path, method, _operation in operations(schema):
        assert method == "get" or (path, method) in written or path in INQUIRY_METHODS


def test_the_term_list_documents_its_filters_and_pagination(schema):
    documented = parameters(schema["paths"]["/api/v1/terms/"]["get"])
    assert set(documented) == {
        "category",
        "letter",
        "search",
        "search_exact",
        "updated_since",
        "ordering",
        "page",
        "page_size",
        "fields",
    }
    assert all(parameter["in"] == "query" for parameter in documented.values())
    assert set(documented["letter"]["schema"]["enum"]) == {*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0-9"}
    assert {"title", "-updated_at", "published_at", "relevance"} <= set(
        documented["ordering"]["schema"]["enum"]
    )
    assert documented["updated_since"]["schema"]["format"] == "date-time"
    assert documented["page"]["schema"]["type"] == documented["page_size"]["schema"]["type"]


def test_the_term_list_documents_the_limits_it_enforces(schema):
    documented = parameters(schema["paths"]["/api/v1/terms/"]["get"])
    assert documented["page"]["schema"].get("minimum") == 1
    assert documented["page_size"]["schema"].get("minimum") == 1
    assert documented["page_size"]["schema"].get("maximum") == 100
    assert documented["search"]["schema"].get("maxLength") == 200


def test_the_term_list_documents_its_page_shape_and_errors(schema):
    responses = schema["paths"]["/api/v1/terms/"]["get"]["responses"]
    assert {"200", "400", "404", "429"} <= set(responses)
    page_ref = responses["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][page_ref.rsplit("/", 1)[-1]]
    assert set(page["properties"]) == {
        *("count", "next", "previous", "results"),
        *("search_corrected_to", "search_suggestions"),  # with `search` only
    }
    assert page["required"] == ["count", "results"]
    item_ref = page["properties"]["results"]["items"]["$ref"]
    assert page["properties"]["search_suggestions"]["items"]["$ref"] == item_ref
    item = schema["components"]["schemas"][item_ref.rsplit("/", 1)[-1]]
    assert set(item["properties"]) == {
        *("slug", "title", "aliases", "summary", "category", "in_development", "updated_at"),
        *("status", "reviewed_at", "url", "web_url"),
    }


def test_the_term_page_documents_every_field(schema):
    responses = schema["paths"]["/api/v1/terms/{slug}/"]["get"]["responses"]
    detail_ref = responses["200"]["content"]["application/json"]["schema"]["$ref"]
    detail = schema["components"]["schemas"][detail_ref.rsplit("/", 1)[-1]]
    assert set(detail["properties"]) == {
        *("slug", "title", "aliases", "summary", "category", "in_development", "updated_at"),
        *("reviewed_at", "url", "web_url", "definition", "definition_html", "why_it_matters"),
        *("why_it_matters_html", "key_considerations", "faqs", "references", "related"),
        *("links_to", "cta", "published_at", "json_ld", "status"),
    }
    assert "404" in responses


@pytest.mark.parametrize(
    ("path", "some_fields"),
    [
        ("/api/v1/terms/", ["slug", "web_url"]),
        ("/api/v1/terms/{slug}/", ["slug", "json_ld"]),
        ("/api/v1/categories/", ["slug", "terms_url"]),
        ("/api/v1/categories/{slug}/", ["slug", "json_ld"]),
    ],
)
def test_field_selection_is_documented_with_the_names_it_allows(schema, path, some_fields):
    documented = parameters(schema["paths"][path]["get"])["fields"]
    assert documented["in"] == "query"
    assert all(name in documented["description"] for name in some_fields)
    pattern = re.compile(documented["schema"]["pattern"])
    assert pattern.search(",".join(some_fields))
    assert pattern.search(f" {some_fields[1]} ,,{some_fields[0]}, ")
    assert not pattern.search(f"{some_fields[0]},colour")
    assert not pattern.search(f"{some_fields[0]} {some_fields[1]}")
    assert not pattern.search(" , ")


def test_the_items_fields_selects_from_say_that_their_keys_may_be_left_out(schema):
    components = schema["components"]["schemas"]
    for name in ("TermList", "TermDetail", "Category", "CategoryDetail"):
        assert "required" not in components[name], name
        assert "unless `fields` selects some" in components[name]["description"], name
    assert components["CategoryRef"]["required"] == ["name", "slug"]  # nested: whole


def test_the_term_page_documents_its_preview_and_field_selection(schema):
    documented = parameters(schema["paths"]["/api/v1/terms/{slug}/"]["get"])
    assert set(documented) == {"slug", "preview", "version", "fields"}


def test_suggest_documents_its_parameters_and_answer(schema):
    operation = schema["paths"]["/api/v1/suggest/"]["get"]
    documented = parameters(operation)
    assert set(documented) == {"q", "limit"}
    assert documented["q"]["required"] is True
    assert documented["q"]["schema"]["maxLength"] == 200
    assert documented["limit"]["schema"]["maximum"] == 8
    assert "starts with" in operation["description"]
    answer_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    answer = schema["components"]["schemas"][answer_ref.rsplit("/", 1)[-1]]
    assert set(answer["properties"]) == {"query", "results"}
    item_ref = answer["properties"]["results"]["items"]["$ref"]
    item = schema["components"]["schemas"][item_ref.rsplit("/", 1)[-1]]
    assert set(item["properties"]) == {"title", "slug", "matched_alias", "url", "web_url"}


def test_the_interactive_docs_open(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'src="/api/docs/?script="' in response.content  # Swagger UI starts from a file
    assert b"/api/schema/" in client.get("/api/docs/?script=").content


# Anyone, or an API key with content:read-unpublished, which sees more.
ANONYMOUS_OR_KEY = [("/api/v1/terms/", "get"), ("/api/v1/terms/{slug}/", "get")]
PUBLIC = [
    ("/api/v1/categories/", "get"),
    ("/api/v1/categories/{slug}/", "get"),
    ("/api/v1/letters/", "get"),
    ("/api/v1/suggest/", "get"),
    ("/api/v1/inquiries/", "post"),
    ("/api/v1/inquiries/form/", "get"),
]
TEAM_ONLY = [("/api/v1/inquiries/", "get"), ("/api/v1/inquiries/{reference}/", "get")]


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_public_operations_ask_for_no_credentials_and_the_teams_for_the_session_or_a_key(
    schema,
):
    for path, method in PUBLIC:
        assert schema["paths"][path][method].get("security", []) == [], (path, method)
    for path, method in ANONYMOUS_OR_KEY:
        assert schema["paths"][path][method]["security"] == [{}, {"bearerAuth": []}]
    for path, method in TEAM_ONLY:
        assert schema["paths"][path][method]["security"] == [
            {"bearerAuth": []},
            {"cookieAuth": []},
        ], (path, method)
    for path, method in KEYED_WRITES:
        assert schema["paths"][path][method]["security"] == [{"bearerAuth": []}], (path, method)
    everything = [*PUBLIC, *ANONYMOUS_OR_KEY, *TEAM_ONLY, *KEYED_WRITES]
    assert sorted(everything) == sorted((p, m) for p, m, _ in operations(schema))


def test_every_write_documents_who_may_send_it_and_how_it_is_refused(schema):
    for path, method in KEYED_WRITES:
        responses = schema["paths"][path][method]["responses"]
        assert {"401", "403"} <= set(responses), (path, method)
        if method in ("put", "patch", "delete"):
            assert {"404", "412"} <= set(responses), (path, method)
            parameters = {p["name"] for p in schema["paths"][path][method]["parameters"]}
            assert "If-Match" in parameters, (path, method)
        if method in ("post", "put", "patch"):
            assert "400" in responses, (path, method)
    assert "409" in schema["paths"]["/api/v1/categories/{slug}/"]["delete"]["responses"]
    assert "413" in schema["paths"]["/api/v1/glossary/"]["post"]["responses"]


def test_every_operation_documents_what_any_request_may_be_answered(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert {"406", "414", "429", "503"} <= set(responses), (path, method)
        for code in ("429", "503"):
            assert "Retry-After" in responses[code]["headers"], (path, method, code)


def test_every_answer_with_a_body_documents_its_schema(schema):
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code in ("204", "301", "304"):
                assert "content" not in response, (path, method, code)
                continue
            [media] = response["content"].values()
            assert media["schema"], (path, method, code)


def test_errors_are_documented_as_json_the_api_sends(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail"]
    assert components["FieldErrors"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith("4") and code != "414":  # 414 is gunicorn's own page
                assert set(response["content"]) == {"application/json"}, (path, method, code)


def test_sending_an_inquiry_documents_each_way_it_can_be_refused(schema):
    responses = schema["paths"]["/api/v1/inquiries/"]["post"]["responses"]
    assert {"201", "400", "403", "413", "415", "422", "429"} <= set(responses)


def test_the_content_reads_document_not_modified(schema):
    for path in CONTENT_PATHS:
        assert "304" in schema["paths"][path]["get"]["responses"], path


def test_the_inquiry_body_is_closed_and_consent_must_be_true(schema):
    content = schema["paths"]["/api/v1/inquiries/"]["post"]["requestBody"]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert body["additionalProperties"] is False
    [consent] = body["properties"]["consent"]["allOf"]
    assert schema["components"]["schemas"][consent["$ref"].rsplit("/", 1)[-1]] == {
        "enum": [True],
        "type": "boolean",
    }


def test_an_inquiry_about_no_term_and_assigned_to_nobody_is_documented_with_nulls(schema):
    inquiry = schema["components"]["schemas"]["Inquiry"]["properties"]
    assert inquiry["term"]["nullable"] is True
    assert inquiry["assigned_to"]["nullable"] is True


def test_a_sent_inquirys_reference_links_to_reading_it(schema):
    links = schema["paths"]["/api/v1/inquiries/"]["post"]["responses"]["201"]["links"]
    assert (
        links["GetInquiry"]["operationId"]
        == schema["paths"]["/api/v1/inquiries/{reference}/"]["get"]["operationId"]
    )
    assert links["GetInquiry"]["parameters"] == {"reference": "$response.body#/reference"}


def test_reviewed_at_is_documented_as_a_read_only_time_or_null(schema):
    components = schema["components"]["schemas"]
    for name in ("TermList", "TermDetail"):
        reviewed_at = components[name]["properties"]["reviewed_at"]
        assert reviewed_at["type"] == "string"
        assert reviewed_at["format"] == "date-time"
        assert reviewed_at["nullable"] is True
        assert reviewed_at["readOnly"] is True
        assert "last checked" in reviewed_at["description"]


def test_the_docs_tell_how_to_put_a_cdn_in_front_with_the_tags_the_site_sends(schema, settings):
    from glossary_project.cdn import tags

    description = schema["info"]["description"]
    for name in (tags.ALL, tags.TERMS_LIST, tags.LETTERS, tags.CATEGORIES_LIST, tags.SEARCH):
        assert f"{name}," in description or f"{name} " in description, name
    assert tags.term(7).replace("7", "<id>") in description
    for header in ("Cache-Tag", "Surrogate-Key", f"s-maxage={settings.CDN_SHARED_MAX_AGE}"):
        assert header in description
    assert "varnish_vcl" in description and "If-Match" in description
