"""The public inquiry API: what a front-end developer sends and gets back, and who may read."""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jsonschema
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from advisory.forms import InquiryForm, consent_wording
from advisory.models import IdempotencyRecord, Inquiry, OutgoingEmail
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


NOT_A_YES = ["no", "off", "n", "null", "false", "0", "", "on", "true", "yes", 1, 0, "✓"]


@pytest.mark.parametrize("consent", NOT_A_YES, ids=repr)
def test_consent_that_is_not_json_true_is_a_400_on_consent_and_nothing_is_stored(
    client, payload, consent
):
    response = post(client, {**payload, "consent": consent})

    assert response.status_code == 400
    assert response.json() == {
        "consent": ["Must be true (the JSON boolean) to agree to be contacted."]
    }
    assert Inquiry.objects.count() == 0


def test_spaces_around_a_value_count_towards_its_limit_as_the_schema_says(client, payload):
    response = post(client, {**payload, "company": "\x85    " + "x" * 198})

    assert response.status_code == 400
    assert response.json() == {
        "company": ["Ensure this value has at most 200 characters (it has 203)."]
    }


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


@pytest.mark.parametrize("value", [42, 4.2, True, False], ids=repr)
def test_a_number_or_boolean_for_a_text_field_is_refused_under_its_field(client, payload, value):
    response = post(client, {**payload, "name": value, "company": value})

    assert response.status_code == 400
    assert response.json() == {
        "name": ["Must be a string, not a number or a boolean."],
        "company": ["Must be a string, not a number or a boolean."],
    }
    assert Inquiry.objects.count() == 0


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
    client, settings, payload, another_form, change, reason
):
    settings.ADVISORY_MAX_LINKS = 2
    real = post(client, payload, REMOTE_ADDR="198.51.100.1")

    spam = post(client, another_form(payload, **change), REMOTE_ADDR="198.51.100.2")

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


def test_too_many_inquiries_from_one_address_get_429_with_retry_after(
    client, settings, payload, another_form
):
    settings.ADVISORY_RATE = "2/hour"
    assert [post(client, another_form(payload)).status_code for _ in range(2)] == [201, 201]

    response = post(client, another_form(payload))

    assert response.status_code == 429
    assert 3000 < int(response["Retry-After"]) <= 3601
    assert "Too many inquiries from this network address." in response.json()["detail"]
    assert Inquiry.objects.count() == 2


def test_a_body_larger_than_allowed_is_refused_with_413(client, settings, payload):
    settings.ADVISORY_MAX_BODY_BYTES = 2000

    response = post(client, {**payload, "message": "x" * 3000})

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large: at most 2000 bytes."}
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
    assert "no-store" in response["Cache-Control"].split(", ")


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
    client, settings, valid_inquiry_data, another_form, website
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
    api = post(client, another_form(sent, consent=True))

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

    assert response.status_code == 401  # credentials needed: the session or an API key
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
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
        "detail": "Only the advisory team can read inquiries. Log in to the admin first, "
        "or use an API key with the inquiries:read scope."
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
    client, settings, inquiry, payload, another_form
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
        post(client, another_form(sent)),
        post(client, another_form(sent, email="grace@")),
        post(client, another_form(sent, consent=False)),
        post(client, {**sent, "message": "Something else."}),
    ]

    assert [response.status_code for response in responses] == [
        401,
        401,
        200,
        201,
        429,
        400,
        400,
        400,  # the form token again, with other content
    ]
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
        branches = documented.get("oneOf", [documented])
        lengths = {branch.get("maxLength") for branch in branches} - {0}
        assert lengths == {getattr(field, "max_length", None)}, name
        if not field.required:
            # The form takes an empty optional field; the docs must not forbid one.
            assert jsonschema.Draft4Validator(documented).is_valid(""), name


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


# Sending again: the Idempotency-Key header and the single-use form token.

KEY = "HTTP_IDEMPOTENCY_KEY"
REPLAYED = "Idempotent-Replayed"


def stored() -> tuple[int, int, int]:
    """Inquiries, their emails and their queued deliveries: what a submission stores."""
    return (
        Inquiry.objects.count(),
        OutgoingEmail.objects.count(),
        DBTaskResult.objects.filter(task_path="advisory.tasks.deliver_notifications").count(),
    )


def test_the_same_idempotency_key_and_body_again_answer_the_first_201_and_store_nothing(
    client, payload
):
    first = post(client, payload, **{KEY: "3f0c1c1e-9a41-4a53-8d8e-5b7c0f4b2a10"})
    again = post(client, payload, **{KEY: "3f0c1c1e-9a41-4a53-8d8e-5b7c0f4b2a10"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again[REPLAYED] == "true"
    assert REPLAYED not in first
    assert stored() == (1, 2, 1)


def test_the_same_idempotency_key_with_another_body_is_a_422_naming_the_header(client, payload):
    post(client, payload, **{KEY: "order-1"})

    response = post(client, {**payload, "message": "Something else entirely."}, **{KEY: "order-1"})

    assert response.status_code == 422
    assert list(response.json()) == ["Idempotency-Key"]
    assert "different body" in response.json()["Idempotency-Key"][0]
    assert stored() == (1, 2, 1)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param("", "Must not be empty", id="empty"),
        pytest.param("   ", "Must not be empty", id="blank"),
        pytest.param("k" * 256, "at most 255 characters (it has 256)", id="too-long"),
        pytest.param("tab\there", "printable ASCII", id="control-character"),
        pytest.param("clé", "printable ASCII", id="not-ascii"),
    ],
)
def test_an_invalid_idempotency_key_is_a_400_naming_the_header(client, payload, key, message):
    response = post(client, payload, **{KEY: key})

    assert response.status_code == 400
    (error,) = response.json()["Idempotency-Key"]
    assert message in error
    assert stored() == (0, 0, 0)


def test_a_key_of_255_printable_characters_is_accepted(client, payload):
    response = post(client, payload, **{KEY: "k~ " * 84 + "k~!"})

    assert response.status_code == 201


def test_a_refused_request_is_not_remembered_so_its_corrected_retry_with_the_key_goes_through(
    client, payload
):
    mistaken = post(client, {**payload, "consent": False}, **{KEY: "order-2"})
    corrected = post(client, payload, **{KEY: "order-2"})

    assert (mistaken.status_code, corrected.status_code) == (400, 201)
    assert REPLAYED not in corrected
    assert stored() == (1, 2, 1)


def test_a_request_throttled_with_429_is_not_remembered_either(
    client, settings, payload, another_form
):
    settings.ADVISORY_RATE = "1/hour"
    post(client, another_form(payload))
    throttled = post(client, payload, **{KEY: "order-3"})
    settings.ADVISORY_RATE = "5/hour"

    retried = post(client, payload, **{KEY: "order-3"})

    assert (throttled.status_code, retried.status_code) == (429, 201)
    assert REPLAYED not in retried
    assert Inquiry.objects.count() == 2


def test_a_used_key_is_forgotten_after_a_day_or_the_form_token_lifetime_if_longer(
    client, settings, payload
):
    settings.ADVISORY_FORM_MAX_AGE = 3600  # shorter than a day: a day it is
    first = post(client, payload, **{KEY: "order-4"})
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=23))
    within_a_day = post(client, payload, **{KEY: "order-4"})
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    after_a_day = post(client, payload, **{KEY: "order-4"})

    assert within_a_day.json()["reference"] == first.json()["reference"]
    assert after_a_day.status_code == 201
    assert after_a_day.json()["reference"] != first.json()["reference"]
    assert REPLAYED not in after_a_day
    assert Inquiry.objects.count() == 2
    # Only the keys of the new inquiry are left: older ones were purged on the way.
    assert set(IdempotencyRecord.objects.values_list("inquiry__reference", flat=True)) == {
        uuid.UUID(after_a_day.json()["reference"])
    }


def test_only_keyed_hashes_of_the_key_and_the_body_are_stored(client, payload):
    post(client, payload, **{KEY: "order-5"})

    for record in IdempotencyRecord.objects.values():
        stored_text = json.dumps(record, default=str)
        for sent in ("order-5", payload["form_token"], "Ada", "ada@example.com", "pilot"):
            assert sent not in stored_text


def test_the_same_form_token_and_fields_again_answer_the_first_201_without_a_key(client, payload):
    first = post(client, payload)
    again = post(client, {**payload, "job_title": "  Head of Data  ", "website": None})

    assert again.status_code == 201
    assert again.json()["reference"] == first.json()["reference"]
    assert again[REPLAYED] == "true"
    assert stored() == (1, 2, 1)


def test_the_same_form_token_with_other_fields_is_a_400_on_form_token_that_names_no_reference(
    client, payload
):
    first = post(client, payload)

    response = post(client, {**payload, "message": "A different question."})

    assert response.status_code == 400
    assert response.json() == {
        "form_token": [
            "This form was already sent, with other details. Check your details and send "
            "them again as a new inquiry."
        ]
    }
    assert first.json()["reference"] not in response.content.decode()
    assert stored() == (1, 2, 1)


def test_an_api_resend_of_what_the_site_form_sent_answers_with_the_forms_inquiry(
    client, valid_inquiry_data
):
    page = client.post("/advisory/", valid_inquiry_data)

    api = post(client, {**valid_inquiry_data, "consent": True})

    assert api.status_code == 201
    assert page["Location"].endswith(api.json()["reference"])
    assert Inquiry.objects.count() == 1


def send_together(body: dict, headers: dict, times: int) -> list:
    """``times`` requests at once, each from its own thread and database connection."""
    start = threading.Barrier(times, timeout=30)

    def send(_number):
        try:
            start.wait()
            return post(Client(), body, **headers)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(send, range(times), timeout=60))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "headers", [pytest.param({KEY: "same-key"}, id="idempotency-key"), pytest.param({}, id="token")]
)
def test_requests_sent_at_once_with_one_key_make_one_inquiry_and_the_others_replay_it(
    payload, headers
):
    responses = send_together(payload, headers, times=6)

    assert [response.status_code for response in responses] == [201] * 6
    assert len({response.json()["reference"] for response in responses}) == 1
    assert sorted(response.get(REPLAYED, "") for response in responses) == [""] + ["true"] * 5
    assert stored() == (1, 2, 1)


def test_the_schema_documents_the_idempotency_key_the_422_and_the_replay_header(schema):
    create = schema["paths"][INQUIRIES]["post"]

    (header,) = [p for p in create["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header"
    assert not header.get("required", False)
    assert "422" in create["responses"]
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]


def test_a_front_end_on_another_origin_may_send_the_key_and_read_the_replay_header(
    client, settings, payload
):
    settings.CORS_ALLOWED_ORIGINS = ["https://front.example"]
    origin = {"origin": "https://front.example"}

    preflight = client.options(
        INQUIRIES,
        headers={
            **origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, idempotency-key",
        },
    )
    post(client, payload, **{KEY: "order-6"}, headers=origin)
    replayed = post(client, payload, **{KEY: "order-6"}, headers=origin)

    assert preflight.status_code == 200
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    assert replayed[REPLAYED] == "true"
    assert "Idempotent-Replayed" in replayed["Access-Control-Expose-Headers"]
