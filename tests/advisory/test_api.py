"""The public inquiry API: what a front-end developer sends and gets back, and who may read."""

import json

import pytest
from django.test import Client

from advisory.forms import InquiryForm, consent_wording
from advisory.models import Inquiry, OutgoingEmail
from terms.roles import ADVISORY_TEAM, EDITORS

from ..factories import InquiryFactory, TermFactory, UserFactory

pytestmark = pytest.mark.django_db

INQUIRIES = "/api/v1/inquiries/"
FORM = "/api/v1/inquiries/form/"
RECEIVED = "Thank you, your inquiry has arrived."


@pytest.fixture
def payload(valid_inquiry_data):
    """The valid inquiry as a JSON front end sends it."""
    return {**valid_inquiry_data, "consent": True}


def post(client, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(INQUIRIES, data, content_type="application/json", **extra)


def test_a_valid_inquiry_is_answered_201_with_the_reference_of_the_stored_inquiry(client, payload):
    response = post(client, payload)

    assert response.status_code == 201
    inquiry = Inquiry.objects.get()
    assert response.json() == {"reference": str(inquiry.reference), "detail": RECEIVED}
    assert (inquiry.name, inquiry.email, inquiry.status) == (
        "Ada Lovelace",
        "ada@example.com",
        Inquiry.Status.NEW,
    )
    assert inquiry.consent_text == consent_wording()


def test_optional_fields_may_be_sent_empty_or_null(client, payload):
    empty = dict.fromkeys(["job_title", "country", "phone", "term", "source_url", "website"], "")

    response = post(client, {**payload, **empty, "job_title": None})

    assert response.status_code == 201
    inquiry = Inquiry.objects.get()
    assert (inquiry.job_title, inquiry.term, inquiry.status) == ("", None, Inquiry.Status.NEW)


def test_an_inquiry_about_a_term_names_it_by_slug(client, payload):
    term = TermFactory(title="Guardrails", slug="guardrails")

    response = post(client, {**payload, "term": "guardrails"})

    assert response.status_code == 201
    inquiry = Inquiry.objects.get()
    assert (inquiry.term, inquiry.term_title) == (term, "Guardrails")


@pytest.mark.parametrize("field", ["name", "email", "company", "message", "consent", "form_token"])
def test_a_missing_required_field_is_named_in_the_400(client, payload, field):
    del payload[field]

    response = post(client, payload)

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert Inquiry.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("email", "ada@", "Enter a valid email address."),
        ("phone", "call me", "Enter a phone number with digits, spaces and + ( ) - only."),
        ("consent", False, "Please agree to be contacted, or we cannot reply."),
        ("message", "x" * 5001, "Ensure this value has at most 5000 characters (it has 5001)."),
        ("name", None, "This field is required."),
        ("form_token", "forged", "The form token is not valid. Reload the form and send it again."),
        (
            "term",
            "no-such-term",
            "This term is not in the published glossary (any more). "
            "Send the form again without it.",
        ),
    ],
)
def test_an_invalid_value_is_explained_under_its_field_name(client, payload, field, value, message):
    response = post(client, {**payload, field: value})

    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert Inquiry.objects.count() == 0


def test_an_expired_form_token_is_explained_under_form_token(client, settings, payload):
    # The signature carries the real time the token was made; a negative maximum age
    # makes every token too old.
    settings.ADVISORY_FORM_MAX_AGE = -1

    response = post(client, payload)

    assert response.status_code == 400
    assert response.json() == {
        "form_token": ["This form was open too long. Please check your details and send it again."]
    }


def test_an_unpublished_term_is_refused_under_term(client, payload):
    TermFactory(slug="draft", status="draft")

    response = post(client, {**payload, "term": "draft"})

    assert response.status_code == 400
    assert list(response.json()) == ["term"]


def test_an_unknown_field_is_named_in_the_400(client, payload):
    response = post(client, {**payload, "budget": "1M"})

    assert response.status_code == 400
    [message] = response.json()["budget"]
    assert message.startswith("Unknown field. Send only: name, email, company,")
    assert Inquiry.objects.count() == 0


def test_a_json_list_instead_of_an_object_is_refused(client, payload):
    response = post(client, [payload])

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Send a JSON object of fields."]}


def test_a_nested_value_is_refused_under_its_field(client, payload):
    response = post(client, {**payload, "name": {"first": "Ada"}, "message": ["a", "b"]})

    assert response.status_code == 400
    assert response.json() == {
        "name": ["Must be a string, not a list or object."],
        "message": ["Must be a string, not a list or object."],
    }


def test_a_body_that_is_not_json_is_a_400(client):
    response = post(client, "{not json")

    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"website": "https://spam.example"}, "hidden field filled in"),
        ({"company": "Pills http://pills.example"}, "a link in name, company or job title"),
        (
            {"message": "https://a.example https://b.example https://c.example"},
            "3 links in the message",
        ),
    ],
)
def test_a_spam_inquiry_is_answered_like_any_other_and_stored_as_spam(
    client, settings, payload, change, reason
):
    settings.ADVISORY_MAX_LINKS = 2
    real = post(client, payload, REMOTE_ADDR="198.51.100.1")

    spam = post(client, {**payload, **change}, REMOTE_ADDR="198.51.100.2")

    assert spam.status_code == real.status_code == 201
    assert {**spam.json(), "reference": ""} == {**real.json(), "reference": ""}
    assert spam["Content-Type"] == real["Content-Type"]
    stored = Inquiry.objects.get(reference=spam.json()["reference"])
    assert stored.status == Inquiry.Status.SPAM
    assert reason in stored.spam_reasons


def test_an_inquiry_sent_sooner_than_min_seconds_is_stored_as_spam(
    client, settings, payload, issued_token
):
    settings.ADVISORY_MIN_SECONDS = 5

    response = post(client, {**payload, "form_token": issued_token(0)})

    assert response.status_code == 201
    stored = Inquiry.objects.get()
    assert stored.status == Inquiry.Status.SPAM
    assert "s after the form was shown" in stored.spam_reasons


def test_too_many_inquiries_from_one_address_get_429_with_retry_after(client, settings, payload):
    settings.ADVISORY_RATE = "2/hour"
    assert [post(client, payload).status_code for _ in range(2)] == [201, 201]

    response = post(client, payload)

    assert response.status_code == 429
    assert 3000 < int(response["Retry-After"]) <= 3601
    assert "Too many inquiries from this network address." in response.json()["detail"]
    assert Inquiry.objects.count() == 2


def test_a_body_larger_than_allowed_is_refused_with_413(client, settings, payload):
    settings.ADVISORY_MAX_BODY_BYTES = 2000

    response = post(client, {**payload, "message": "x" * 3000})

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large for an inquiry."}
    assert Inquiry.objects.count() == 0


def test_the_form_endpoint_gives_what_a_front_end_needs_and_is_never_cached(client, settings):
    settings.ADVISORY_MIN_SECONDS = 4
    settings.ADVISORY_FORM_MAX_AGE = 3600

    response = client.get(FORM)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"form_token", "consent_text", "min_seconds", "expires_in"}
    assert body["form_token"]
    assert body["consent_text"] == consent_wording()
    assert (body["min_seconds"], body["expires_in"]) == (4, 3600)
    assert response["Cache-Control"] == "no-store"


def test_the_form_endpoint_is_not_replayed_from_the_api_response_cache(client, settings):
    settings.API_RESPONSE_CACHE = True
    settings.ADVISORY_MIN_SECONDS = 4
    client.get(FORM)
    settings.ADVISORY_MIN_SECONDS = 9

    assert client.get(FORM).json()["min_seconds"] == 9


def test_the_token_from_the_form_endpoint_is_accepted_by_a_post(client, settings, payload):
    settings.ADVISORY_MIN_SECONDS = 0
    token = client.get(FORM).json()["form_token"]

    response = post(client, {**payload, "form_token": token})

    assert response.status_code == 201
    assert Inquiry.objects.get().status == Inquiry.Status.NEW


COMPARED_FIELDS = [
    "name",
    "email",
    "company",
    "job_title",
    "country",
    "phone",
    "message",
    "term_id",
    "term_title",
    "source_url",
    "consent_text",
    "network_hash",
    "network_prefix",
    "status",
    "spam_reasons",
    "notification",
]


@pytest.mark.parametrize("website", ["", "filled by a bot"])
def test_the_form_and_the_api_store_the_same_inquiry_for_the_same_input(
    client, settings, valid_inquiry_data, website
):
    settings.ADVISORY_RATE = "10/hour"
    TermFactory(title="Guardrails", slug="guardrails")
    sent = {
        **valid_inquiry_data,
        "term": "guardrails",
        "source_url": "/glossary/guardrails/",
        "website": website,
    }

    page = client.post("/advisory/", sent)
    api = post(client, {**sent, "consent": True})

    assert (page.status_code, api.status_code) == (302, 201)
    from_page, from_api = (
        Inquiry.objects.filter(reference=reference).values(*COMPARED_FIELDS).get()
        for reference in (page["Location"].split("=")[-1], api.json()["reference"])
    )
    assert from_page == from_api
    page_emails, api_emails = (
        set(OutgoingEmail.objects.filter(inquiry__reference=ref).values_list("kind", "status"))
        for ref in (page["Location"].split("=")[-1], api.json()["reference"])
    )
    assert page_emails == api_emails


# Who may read inquiries.


@pytest.fixture
def inquiry(db):
    return InquiryFactory(
        name="Grace Hopper",
        email="grace@navy.example",
        phone="+1 555 0100",
        message="Compilers for our fleet.",
    )


PERSONAL = ["Grace Hopper", "grace@navy.example", "+1 555 0100", "Compilers for our fleet."]


def as_user(roles=None, **kwargs) -> Client:
    reader = Client()
    reader.force_login(UserFactory(roles=roles, **kwargs))
    return reader


@pytest.fixture(params=["list", "detail"])
def read_url(request, inquiry):
    if request.param == "list":
        return INQUIRIES
    return f"{INQUIRIES}{inquiry.reference}/"


def test_an_anonymous_reader_cannot_read_inquiries(read_url):
    response = Client().get(read_url)

    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    for value in PERSONAL:
        assert value not in response.content.decode()


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda: as_user(roles=[EDITORS], is_staff=True), id="editor"),
        pytest.param(lambda: as_user(), id="plain-user"),
    ],
)
def test_a_logged_in_user_outside_the_advisory_team_cannot_read_inquiries(read_url, who):
    response = who().get(read_url)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the advisory team can read inquiries. Log in to the admin first."
    }
    for value in PERSONAL:
        assert value not in response.content.decode()


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda: as_user(roles=[ADVISORY_TEAM], is_staff=True), id="advisory-team"),
        pytest.param(lambda: as_user(is_superuser=True, is_staff=True), id="superuser"),
    ],
)
def test_the_advisory_team_and_superusers_read_what_the_visitor_sent(read_url, inquiry, who):
    response = who().get(read_url)

    assert response.status_code == 200
    body = response.json()
    record = body["results"][0] if "results" in body else body
    assert record["reference"] == str(inquiry.reference)
    assert (record["email"], record["message"]) == (
        "grace@navy.example",
        "Compilers for our fleet.",
    )


def test_an_unknown_reference_is_not_found_for_the_advisory_team(inquiry):
    reader = as_user(roles=[ADVISORY_TEAM], is_staff=True)

    response = reader.get(f"{INQUIRIES}00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


def test_no_anonymous_response_about_inquiries_shows_personal_data(
    client, settings, inquiry, payload
):
    settings.ADVISORY_RATE = "1/hour"
    sent = {
        **payload,
        "name": "Grace Hopper",
        "email": "grace@navy.example",
        "phone": "+1 555 0100",
        "message": "Compilers for our fleet.",
    }
    responses = [
        client.get(INQUIRIES),
        client.get(f"{INQUIRIES}{inquiry.reference}/"),
        client.get(FORM),
        post(client, sent),
        post(client, sent),
        post(client, {**sent, "email": "grace@"}),
        post(client, {**sent, "consent": False}),
    ]

    assert [response.status_code for response in responses] == [403, 403, 200, 201, 429, 400, 400]
    for response in responses:
        content = response.content.decode()
        for value in [*PERSONAL, "grace@"]:
            assert value not in content, (response.status_code, value)


# The documentation of the POST body follows the form.


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        *_, name = node["$ref"].split("/")
        node = schema["components"]["schemas"][name]
    return node


def test_the_documented_inquiry_body_has_exactly_the_fields_of_the_form(schema):
    content = schema["paths"][INQUIRIES]["post"]["requestBody"]["content"]
    body = resolve(schema, content["application/json"]["schema"])
    form = InquiryForm.base_fields

    assert set(body["properties"]) == set(form)
    assert set(body.get("required", [])) == {name for name, field in form.items() if field.required}
    for name, field in form.items():
        documented = resolve(schema, body["properties"][name])
        assert documented.get("maxLength") == getattr(field, "max_length", None), name
        if not field.required:
            # The form takes an empty optional field; the docs must not forbid one.
            assert "minLength" not in documented, name


def test_every_documented_body_format_describes_the_same_fields(schema):
    content = schema["paths"][INQUIRIES]["post"]["requestBody"]["content"]

    bodies = [resolve(schema, media["schema"]) for media in content.values()]

    assert "application/json" in content
    assert all(body == bodies[0] for body in bodies)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/inquiries/form/"),
        ("delete", "/api/v1/inquiries/"),
        ("put", "/api/v1/inquiries/"),
    ],
)
def test_a_method_an_inquiry_address_does_not_have_is_405_not_a_permission_error(
    client, method, path
):
    response = getattr(client, method)(path)

    assert response.status_code == 405
