"""The contact form on the site: what a visitor sees, sends, and gets back."""

import html
from html.parser import HTMLParser

import pytest
from django.core import signing
from django.test import Client

from advisory.forms import consent_wording
from advisory.models import Inquiry, OutgoingEmail
from advisory.services import network_hash
from terms.models import Term

from ..factories import TermFactory

pytestmark = pytest.mark.django_db

FORM_URL = "/advisory/"


class FormPage(HTMLParser):
    """The inputs of a rendered page by name (value, or checked for a checkbox), the ids
    that a <label for> points at, and the text of each label."""

    def __init__(self, content: str):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str | bool] = {}
        self.types: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.attrs: dict[str, dict] = {}
        self.labels: dict[str, str] = {}
        self._label_for = None
        self._textarea = None
        self.feed(content)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "textarea"):
            self.attrs[attrs["name"]] = attrs
        if tag == "input":
            kind = attrs.get("type", "text")
            self.types[attrs["name"]] = kind
            self.values[attrs["name"]] = (
                "checked" in attrs if kind == "checkbox" else attrs.get("value", "")
            )
            if "id" in attrs:
                self.ids[attrs["name"]] = attrs["id"]
        elif tag == "textarea":
            self.types[attrs["name"]] = "textarea"
            self.values[attrs["name"]] = ""
            self.ids[attrs["name"]] = attrs["id"]
            self._textarea = attrs["name"]
        elif tag == "label":
            self._label_for = attrs.get("for")
            self.labels[self._label_for] = ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "label":
            self._label_for = None

    def handle_data(self, data):
        if self._textarea:
            # Django starts a textarea's content with a newline the browser drops.
            self.values[self._textarea] += data.removeprefix("\n")
        if self._label_for:
            self.labels[self._label_for] += data

    def visible_inputs(self) -> list[str]:
        return [name for name, kind in self.types.items() if kind != "hidden"]

    def label(self, name: str) -> str:
        return " ".join(self.labels[self.ids[name]].split())


def page(response) -> FormPage:
    return FormPage(response.content.decode())


def error_text(response) -> str:
    return html.unescape(response.content.decode())


def field_error(response, field: str) -> str:
    """The error messages shown right below one field (its <p class="error"> lines)."""
    content = response.content.decode()
    marker = f'<p class="error" id="id_{field}_error">'
    messages = []
    start = content.find(marker)
    while start != -1:
        end = content.index("</p>", start)
        messages.append(html.unescape(content[start + len(marker) : end]))
        start = content.find(marker, end)
    return " ".join(messages)


def test_the_form_page_has_a_label_for_every_field_a_visitor_can_fill_in(client):
    response = client.get(FORM_URL)

    assert response.status_code == 200
    form = page(response)
    assert set(form.visible_inputs()) == {
        "name",
        "email",
        "company",
        "job_title",
        "country",
        "phone",
        "message",
        "consent",
        "website",
    }
    for name in form.visible_inputs():
        assert form.ids[name] in form.labels, f"{name} has no <label for>"
        assert form.label(name), f"{name}'s label is empty"
    assert form.values["csrfmiddlewaretoken"]
    assert form.values["form_token"]


def test_the_form_page_shows_the_consent_wording_that_will_be_stored(client):
    form = page(client.get(FORM_URL))

    assert form.label("consent") == consent_wording()
    assert form.values["consent"] is False


def test_the_honeypot_field_is_kept_out_of_reach_of_people(client):
    content = client.get(FORM_URL).content.decode()
    form = FormPage(content)

    assert form.attrs["website"]["tabindex"] == "-1"
    assert form.attrs["website"]["autocomplete"] == "off"
    assert '<div class="hp" aria-hidden="true"><label for="id_website">' in content


def test_the_form_page_is_not_cached_by_browsers(client):
    response = client.get(FORM_URL)

    assert "no-store" in response["Cache-Control"]


def test_a_published_term_in_the_address_titles_the_form_and_is_preselected(client):
    TermFactory(title="Retrieval-Augmented Generation", slug="rag")

    response = client.get(FORM_URL, {"term": "rag"})

    content = error_text(response)
    assert "Need help implementing Retrieval-Augmented Generation?" in content
    assert "Let's discuss how Retrieval-Augmented Generation fits into your AI roadmap" in content
    assert page(response).values["term"] == "rag"


@pytest.mark.parametrize("slug", ["no-such-term", "draft-term"])
def test_an_unknown_or_unpublished_term_in_the_address_is_ignored(client, slug):
    TermFactory(title="Draft Term", slug="draft-term", status=Term.Status.DRAFT)

    response = client.get(FORM_URL, {"term": slug})

    assert response.status_code == 200
    content = error_text(response)
    assert "Need help implementing" not in content
    assert "Draft Term" not in content
    assert "Talk to our advisory team" in content
    assert page(response).values["term"] == ""


def test_the_term_page_links_to_the_form_for_that_term(client):
    TermFactory(title="Guardrails", slug="guardrails")

    response = client.get("/glossary/guardrails/")

    assert response.status_code == 200
    assert 'href="/advisory/?term=guardrails"' in response.content.decode()


def test_a_valid_inquiry_redirects_to_a_thank_you_page_quoting_its_reference(
    client, valid_inquiry_data
):
    response = client.post(FORM_URL, valid_inquiry_data)

    inquiry = Inquiry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/advisory/thanks/?reference={inquiry.reference}"
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert str(inquiry.reference) in thanks.content.decode()
    assert "Thank you, your inquiry has arrived" in thanks.content.decode()


def test_the_thank_you_page_without_a_reference_sends_the_visitor_to_the_form(client):
    response = client.get("/advisory/thanks/", {"reference": "not-a-reference"})

    assert response.status_code == 302
    assert response["Location"] == FORM_URL


def test_a_valid_inquiry_is_stored_once_with_what_the_visitor_sent_and_agreed_to(
    client, valid_inquiry_data
):
    term = TermFactory(title="Guardrails", slug="guardrails")
    shown = page(client.get(FORM_URL, {"term": "guardrails"}))

    client.post(
        FORM_URL,
        {**valid_inquiry_data, "term": shown.values["term"], "source_url": "/glossary/guardrails/"},
    )

    inquiry = Inquiry.objects.get()
    assert (inquiry.name, inquiry.email, inquiry.company) == (
        "Ada Lovelace",
        "ada@example.com",
        "Analytical Engines Ltd",
    )
    assert (inquiry.job_title, inquiry.country, inquiry.phone) == (
        "Head of Data",
        "United Kingdom",
        "+44 20 7946 0000",
    )
    assert inquiry.message == valid_inquiry_data["message"]
    assert (inquiry.term, inquiry.term_title) == (term, "Guardrails")
    assert inquiry.source_url == "/glossary/guardrails/"
    assert inquiry.consent_text == shown.label("consent")
    assert inquiry.consent_given_at is not None
    assert inquiry.status == Inquiry.Status.NEW
    assert inquiry.spam_reasons == ""


def test_the_stored_inquiry_keeps_the_senders_network_not_their_address(client, valid_inquiry_data):
    client.post(FORM_URL, valid_inquiry_data, REMOTE_ADDR="203.0.113.77")

    inquiry = Inquiry.objects.get()
    assert inquiry.network_prefix == "203.0.113.0/24"
    assert inquiry.network_hash
    assert "203.0.113.77" not in inquiry.network_hash
    assert inquiry.network_hash == network_hash("203.0.113.77")
    assert inquiry.network_hash != network_hash("203.0.113.78")


@pytest.mark.parametrize(
    ("address", "prefix"),
    [("127.0.0.1", "127.0.0.0/24"), ("2001:db8:1:2::5", "2001:db8:1::/48")],
)
def test_the_network_prefix_is_a_slash_24_or_a_slash_48(
    client, valid_inquiry_data, address, prefix
):
    client.post(FORM_URL, valid_inquiry_data, REMOTE_ADDR=address)

    assert Inquiry.objects.get().network_prefix == prefix


def test_an_odd_source_address_is_dropped_rather_than_refused(client, valid_inquiry_data):
    response = client.post(FORM_URL, {**valid_inquiry_data, "source_url": "javascript:alert(1)"})

    assert response.status_code == 302
    assert Inquiry.objects.get().source_url == ""


MISSING = "This field is required."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", MISSING),
        ("email", "", MISSING),
        ("company", "", MISSING),
        ("message", "", MISSING),
        ("email", "ada@", "Enter a valid email address."),
        ("phone", "call me maybe", "Enter a phone number with digits, spaces and + ( ) - only."),
        ("message", "x" * 5001, "Ensure this value has at most 5000 characters (it has 5001)."),
    ],
)
def test_a_mistake_is_shown_next_to_its_field_and_nothing_is_stored(
    client, valid_inquiry_data, field, value, message
):
    sent = {**valid_inquiry_data, field: value}

    response = client.post(FORM_URL, sent)

    assert response.status_code == 400
    assert field_error(response, field) == message
    # Screen readers announce the message with the field.
    assert f"id_{field}_error" in page(response).attrs[field]["aria-describedby"].split()
    assert "Please check the form: 1 thing to correct." in response.content.decode()
    assert Inquiry.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("email", "ada@"),
        ("phone", "call me maybe"),
        ("message", "x" * 5001),
        ("consent", None),
        ("form_token", "forged"),
    ],
)
def test_a_rejected_form_keeps_what_the_visitor_typed(client, valid_inquiry_data, field, value):
    sent = {**valid_inquiry_data, field: value}
    if value is None:
        del sent[field]

    response = client.post(FORM_URL, sent)

    assert response.status_code == 400
    shown = page(response)
    for name in ("name", "email", "company", "job_title", "country", "phone", "message"):
        assert shown.values[name] == sent[name], name
    assert shown.values["consent"] is ("consent" in sent)


def test_an_unticked_consent_box_is_explained_next_to_it(client, valid_inquiry_data):
    del valid_inquiry_data["consent"]

    response = client.post(FORM_URL, valid_inquiry_data)

    assert response.status_code == 400
    assert field_error(response, "consent") == "Please agree to be contacted, or we cannot reply."
    assert "id_consent_error" in page(response).attrs["consent"]["aria-describedby"].split()
    assert Inquiry.objects.count() == 0


@pytest.mark.parametrize("consent", ["no", "off", "n", "null", "false", "0", "true", "yes"])
def test_a_consent_box_sent_with_anything_but_its_ticked_value_is_refused_next_to_it(
    client, valid_inquiry_data, consent
):
    response = client.post(FORM_URL, {**valid_inquiry_data, "consent": consent})

    assert response.status_code == 400
    assert field_error(response, "consent") == (
        "Consent is a yes only as a ticked box (true in JSON); any other answer is not consent."
    )
    assert page(response).values["consent"] is False  # shown unticked, to be ticked
    assert Inquiry.objects.count() == 0


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "The form token is missing. Reload the form."),
        ("forged", "The form token is not valid. Reload the form and send it again."),
        ("", "The form token is missing. Reload the form."),
    ],
)
def test_a_missing_or_forged_form_token_is_refused(client, valid_inquiry_data, token, message):
    if token is None:
        del valid_inquiry_data["form_token"]
    else:
        valid_inquiry_data["form_token"] = token

    response = client.post(FORM_URL, valid_inquiry_data)

    assert response.status_code == 400
    assert message in error_text(response)
    assert Inquiry.objects.count() == 0


def test_a_token_signed_for_something_else_is_refused(client, valid_inquiry_data):
    valid_inquiry_data["form_token"] = signing.dumps(1_700_000_000)

    response = client.post(FORM_URL, valid_inquiry_data)

    assert response.status_code == 400
    assert "The form token is not valid." in error_text(response)


def test_a_form_left_open_too_long_is_refused_and_can_be_sent_again(
    client, settings, valid_inquiry_data
):
    settings.ADVISORY_MIN_SECONDS = 0
    # The token's signature carries the real time it was made; a negative maximum age
    # makes any token too old.
    settings.ADVISORY_FORM_MAX_AGE = -1

    response = client.post(FORM_URL, valid_inquiry_data)

    assert response.status_code == 400
    assert "This form was open too long. Please check your details and send it again." in (
        error_text(response)
    )
    assert Inquiry.objects.count() == 0
    shown = page(response)
    settings.ADVISORY_FORM_MAX_AGE = 600
    again = client.post(FORM_URL, {**valid_inquiry_data, "form_token": shown.values["form_token"]})
    assert again.status_code == 302
    assert Inquiry.objects.get().status == Inquiry.Status.NEW


def test_a_filled_honeypot_stores_the_inquiry_as_spam_but_thanks_the_sender_as_usual(
    client, valid_inquiry_data
):
    response = client.post(FORM_URL, {**valid_inquiry_data, "website": "https://spam.example"})

    inquiry = Inquiry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/advisory/thanks/?reference={inquiry.reference}"
    assert inquiry.status == Inquiry.Status.SPAM
    assert "hidden field filled in" in inquiry.spam_reasons
    assert inquiry.notification == Inquiry.Notification.NOT_SENT


def test_a_form_sent_sooner_than_a_person_could_is_stored_as_spam(
    client, settings, valid_inquiry_data, issued_token
):
    settings.ADVISORY_MIN_SECONDS = 5

    response = client.post(FORM_URL, {**valid_inquiry_data, "form_token": issued_token(1)})

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.status == Inquiry.Status.SPAM
    assert "s after the form was shown" in inquiry.spam_reasons


def test_a_form_sent_after_the_minimum_time_is_not_spam(
    client, settings, valid_inquiry_data, issued_token
):
    settings.ADVISORY_MIN_SECONDS = 5

    client.post(FORM_URL, {**valid_inquiry_data, "form_token": issued_token(30)})

    assert Inquiry.objects.get().status == Inquiry.Status.NEW


def test_more_links_than_allowed_in_the_message_marks_the_inquiry_as_spam(
    client, settings, valid_inquiry_data
):
    settings.ADVISORY_MAX_LINKS = 2
    message = "See https://a.example, http://b.example and www.c.example"

    response = client.post(FORM_URL, {**valid_inquiry_data, "message": message})

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.status == Inquiry.Status.SPAM
    assert "3 links in the message" in inquiry.spam_reasons


def test_as_many_links_as_allowed_in_the_message_is_not_spam(client, settings, valid_inquiry_data):
    settings.ADVISORY_MAX_LINKS = 2
    message = "Our site is https://a.example and our paper is at https://b.example/paper."

    client.post(FORM_URL, {**valid_inquiry_data, "message": message})

    assert Inquiry.objects.get().status == Inquiry.Status.NEW


def test_a_link_in_the_company_name_marks_the_inquiry_as_spam(client, valid_inquiry_data):
    response = client.post(
        FORM_URL, {**valid_inquiry_data, "company": "Cheap pills www.pills.example"}
    )

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.status == Inquiry.Status.SPAM
    assert "a link in name, company or job title" in inquiry.spam_reasons


def test_too_many_inquiries_from_one_network_are_refused_with_the_data_kept(
    client, settings, valid_inquiry_data, another_form
):
    settings.ADVISORY_RATE = "2/hour"
    for _ in range(2):
        assert client.post(FORM_URL, another_form(valid_inquiry_data)).status_code == 302

    response = client.post(FORM_URL, another_form(valid_inquiry_data, message="A third question."))

    assert response.status_code == 429
    assert "We have received several inquiries from your network recently." in (
        error_text(response)
    )
    assert "Please try again in about 60 minutes, or email us." in error_text(response)
    shown = page(response)
    assert (shown.values["name"], shown.values["message"]) == ("Ada Lovelace", "A third question.")
    assert Inquiry.objects.count() == 2


def test_the_rate_limit_counts_each_address_on_its_own(
    client, settings, valid_inquiry_data, another_form
):
    settings.ADVISORY_RATE = "1/hour"
    first = client.post(FORM_URL, valid_inquiry_data, REMOTE_ADDR="198.51.100.1")
    assert first.status_code == 302

    other = client.post(FORM_URL, another_form(valid_inquiry_data), REMOTE_ADDR="203.0.113.1")
    same = client.post(FORM_URL, another_form(valid_inquiry_data), REMOTE_ADDR="198.51.100.1")

    assert other.status_code == 302
    assert same.status_code == 429
    assert Inquiry.objects.count() == 2


def test_ipv6_addresses_of_one_network_share_a_rate_limit(
    client, settings, valid_inquiry_data, another_form
):
    # A host picks its own address within its /64: each new address is the same sender.
    settings.ADVISORY_RATE = "1/hour"

    def send_from(address):
        return client.post(FORM_URL, another_form(valid_inquiry_data), REMOTE_ADDR=address)

    first = send_from("2001:db8:1:2::1")
    neighbour = send_from("2001:db8:1:2::beef")
    elsewhere = send_from("2001:db8:1:3::1")

    assert (first.status_code, neighbour.status_code, elsewhere.status_code) == (302, 429, 302)


def test_line_breaks_in_a_name_or_company_are_stored_as_spaces(client, valid_inquiry_data):
    data = {**valid_inquiry_data, "name": "Ann\r\nLee", "company": "Acme\nBcc: x@example.com"}

    client.post(FORM_URL, data)

    inquiry = Inquiry.objects.get()
    assert (inquiry.name, inquiry.company) == ("Ann Lee", "Acme Bcc: x@example.com")


def test_a_request_body_larger_than_allowed_is_refused_before_anything_is_stored(
    client, settings, valid_inquiry_data
):
    settings.ADVISORY_MAX_BODY_BYTES = 2000

    response = client.post(FORM_URL, {**valid_inquiry_data, "message": "x" * 3000})

    assert response.status_code == 413
    assert "The form is too large to send." in response.content.decode()
    assert Inquiry.objects.count() == 0


def test_sending_the_form_without_a_csrf_token_is_forbidden(valid_inquiry_data):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(FORM_URL, valid_inquiry_data)

    assert response.status_code == 403
    assert Inquiry.objects.count() == 0


def test_sending_the_form_with_the_csrf_token_it_was_shown_with_works(valid_inquiry_data):
    browser = Client(enforce_csrf_checks=True)
    shown = page(browser.get(FORM_URL))

    response = browser.post(
        FORM_URL, {**valid_inquiry_data, "csrfmiddlewaretoken": shown.values["csrfmiddlewaretoken"]}
    )

    assert response.status_code == 302
    assert Inquiry.objects.count() == 1


def test_a_term_unpublished_while_the_form_was_open_is_explained_and_dropped(
    client, valid_inquiry_data
):
    term = TermFactory(title="Guardrails", slug="guardrails")
    shown = page(client.get(FORM_URL, {"term": "guardrails"}))
    term.status = Term.Status.ARCHIVED
    term.save()

    response = client.post(FORM_URL, {**valid_inquiry_data, "term": shown.values["term"]})

    assert response.status_code == 400
    content = error_text(response)
    assert "This term is not in the published glossary (any more)." in content
    assert "Need help implementing Guardrails?" not in content
    resent = page(response)
    assert resent.values["term"] == ""
    assert resent.values["name"] == "Ada Lovelace"
    assert Inquiry.objects.count() == 0


def test_a_mistake_on_a_term_form_keeps_the_term_and_its_heading(client, valid_inquiry_data):
    TermFactory(title="Guardrails", slug="guardrails")

    response = client.post(FORM_URL, {**valid_inquiry_data, "term": "guardrails", "email": "x"})

    assert response.status_code == 400
    assert "Need help implementing Guardrails?" in error_text(response)
    assert page(response).values["term"] == "guardrails"


def test_a_visitor_who_corrects_a_mistake_at_once_is_not_taken_for_a_bot(
    client, settings, valid_inquiry_data
):
    settings.ADVISORY_MIN_SECONDS = 5
    forgot_consent = {**valid_inquiry_data}
    del forgot_consent["consent"]
    shown = page(client.post(FORM_URL, forgot_consent))

    response = client.post(FORM_URL, {**shown.values, "consent": "on"})

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert (inquiry.status, inquiry.spam_reasons) == (Inquiry.Status.NEW, "")


def test_sending_the_same_form_again_shows_the_first_thank_you_page_and_stores_nothing(
    client, valid_inquiry_data
):
    first = client.post(FORM_URL, valid_inquiry_data)

    again = client.post(FORM_URL, valid_inquiry_data)  # a double click, or a reload

    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Inquiry.objects.count() == 1
    assert OutgoingEmail.objects.count() == 2


def test_a_used_form_sent_again_with_other_details_is_refused_keeping_them_with_a_fresh_token(
    client, settings, valid_inquiry_data
):
    settings.ADVISORY_MIN_SECONDS = 5
    first = client.post(FORM_URL, valid_inquiry_data)
    reference = first["Location"].split("=")[-1]
    changed = {**valid_inquiry_data, "message": "And a second question, about agents."}

    response = client.post(FORM_URL, changed)

    assert response.status_code == 400
    assert (
        "This form was already sent, with other details. Check your details and send them "
        "again as a new inquiry."
    ) in error_text(response)
    assert reference not in response.content.decode()
    shown = page(response)
    assert shown.values["message"] == "And a second question, about agents."
    assert shown.values["name"] == "Ada Lovelace"
    assert shown.values["form_token"] != valid_inquiry_data["form_token"]
    assert Inquiry.objects.count() == 1

    # Sent at once from the page: a new inquiry, and no bot (the visitor had the form for
    # a while already).
    resent = client.post(FORM_URL, {**shown.values, "consent": "on"})

    assert resent.status_code == 302
    assert resent["Location"] != first["Location"]
    newest = Inquiry.objects.order_by("-id").first()
    assert (newest.message, newest.status) == (changed["message"], Inquiry.Status.NEW)
