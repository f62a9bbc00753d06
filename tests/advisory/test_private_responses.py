"""Whatever shows a visitor's personal data is sent `Cache-Control: private, no-store`: no
browser cache, proxy or CDN keeps a copy of an inquiry, of the form someone filled in, of
their thank-you page or of the advisory team's inbox and its CSV export."""

import json
import uuid

import pytest

from advisory.models import Inquiry

from ..factories import InquiryFactory

pytestmark = pytest.mark.django_db

INQUIRIES = "/api/v1/inquiries/"
FORM = "/advisory/"


def kept_by_nobody(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def post_json(client, body):
    return client.post(INQUIRIES, json.dumps(body), content_type="application/json")


def test_the_advisory_teams_inquiries_from_the_api_are_kept_by_nobody(client, advisory_member):
    inquiry = InquiryFactory(email="ada@example.com")
    client.force_login(advisory_member)

    listed = client.get(INQUIRIES)
    one = client.get(f"{INQUIRIES}{inquiry.reference}/")

    assert listed.status_code == one.status_code == 200
    assert one.json()["email"] == "ada@example.com"
    assert kept_by_nobody(listed)
    assert kept_by_nobody(one)


def test_an_inquiry_sent_through_the_api_is_answered_with_nothing_kept(client, valid_inquiry_data):
    sent = post_json(client, {**valid_inquiry_data, "consent": True})
    refused = post_json(client, {**valid_inquiry_data, "consent": True, "email": "not-an-address"})

    assert sent.status_code == 201
    assert refused.status_code == 400
    assert kept_by_nobody(sent)
    assert kept_by_nobody(refused)


def test_the_answers_to_the_forms_post_and_the_thank_you_page_are_kept_by_nobody(
    client, valid_inquiry_data
):
    refused = client.post(FORM, {**valid_inquiry_data, "email": "not-an-address"})
    assert refused.status_code == 400
    assert b"Ada Lovelace" in refused.content  # what was typed comes back
    sent = client.post(FORM, valid_inquiry_data)
    assert sent.status_code == 302
    thanks = client.get(sent["Location"])
    assert thanks.status_code == 200

    assert kept_by_nobody(refused)
    assert kept_by_nobody(sent)
    assert kept_by_nobody(thanks)
    assert kept_by_nobody(client.get(f"/advisory/thanks/?reference={uuid.uuid4()}"))


def test_the_inbox_an_inquiry_and_the_csv_export_in_the_admin_are_kept_by_nobody(
    client, advisory_member
):
    inquiry = InquiryFactory(email="ada@example.com")
    client.force_login(advisory_member)

    pages = [
        client.get("/admin/advisory/inquiry/"),
        client.get("/admin/advisory/inquiry/?q=ada@example.com"),
        client.get(f"/admin/advisory/inquiry/{inquiry.pk}/change/"),
        client.get("/admin/advisory/inquiry/leads/"),
    ]
    export = client.post(
        "/admin/advisory/inquiry/",
        {"action": "export_csv", "_selected_action": [inquiry.pk]},
    )

    assert [page.status_code for page in pages] == [200] * 4
    assert all(kept_by_nobody(page) for page in pages)
    assert export["Content-Type"].startswith("text/csv")
    assert b"ada@example.com" in export.content
    assert kept_by_nobody(export)
    assert Inquiry.objects.count() == 1
