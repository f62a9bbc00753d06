import re
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django_tasks_db.models import DBTaskResult

from advisory.models import Inquiry, LeadRouting, LeadRoutingChange
from advisory.services import lead_routing_change
from terms.roles import ADVISORY_TEAM, EDITORS

from ..factories import CategoryFactory, InquiryFactory, TermFactory, UserFactory
from ..helpers.downloads import csv_rows

pytestmark = pytest.mark.django_db

INBOX = reverse("admin:advisory_inquiry_changelist")
LEADS = reverse("admin:advisory_inquiry_leads")
ADD_INQUIRY = reverse("admin:advisory_inquiry_add")


@pytest.fixture
def team_client(client, advisory_member):
    client.force_login(advisory_member)
    return client


def change_url(inquiry) -> str:
    return reverse("admin:advisory_inquiry_change", args=[inquiry.pk])


def received(inquiry, when: datetime | timedelta) -> Inquiry:
    """Move the (automatic) received time to when the visitor sent it: a moment, or how long ago."""
    if isinstance(when, timedelta):
        when = timezone.now() - when
    Inquiry.objects.filter(pk=inquiry.pk).update(created_at=when)
    inquiry.refresh_from_db()
    return inquiry


def at_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def run_action(client, action: str, inquiries, **params):
    """Tick the inquiries in the inbox, pick the action, press Go."""
    data = {"action": action, "index": "0", "_selected_action": [i.pk for i in inquiries]}
    return client.post(INBOX, data, **params)


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def inbox_rows(response) -> list[str]:
    """The text of each row of the inbox table, as a team member reads it."""
    table = response.text.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [" ".join(strip_tags(row).split()) for row in body.split("</tr>")[:-1]]


def listed(response) -> list[str]:
    return [inquiry.name for inquiry in response.context["cl"].result_list]


def click_filter(client, response, title: str, choice: str):
    """Follow a link in the inbox's filter sidebar, like a team member clicking it."""
    changelist = response.context["cl"]
    for spec in changelist.filter_specs:
        if str(spec.title) == title:
            for option in spec.choices(changelist):
                if str(option["display"]) == choice:
                    return client.get(INBOX + option["query_string"])
            offered = [str(option["display"]) for option in spec.choices(changelist)]
            raise AssertionError(f"filter {title!r} offers no {choice!r}, only {offered}")
    raise AssertionError(f"no filter {title!r}")


def report_table(response, table_id: str) -> list[tuple[str, ...]]:
    """The body rows of a table on the leads report, cell texts in order."""
    table = response.text.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        tuple(strip_tags(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
        for row in body.split("</tr>")[:-1]
    ]


# Who may open the inbox -------------------------------------------------------------


def open_page(client, page: str, inquiry):
    if page == "list":
        return client.get(INBOX)
    if page == "change":
        return client.get(change_url(inquiry))
    if page == "leads":
        return client.get(LEADS)
    if page == "export":
        return run_action(client, "export_csv", [inquiry])
    if page == "add":
        return client.get(ADD_INQUIRY)
    raise AssertionError(page)


PAGES = ["list", "change", "leads", "export", "add"]


@pytest.mark.parametrize("page", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, page):
    response = open_page(client, page, InquiryFactory())
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login") + "?next=")


@pytest.mark.parametrize("page", PAGES)
def test_an_editor_is_refused_every_inbox_page(editor_client, page):
    inquiry = InquiryFactory(name="Grace Hopper")
    response = open_page(editor_client, page, inquiry)
    assert response.status_code == 403
    assert "Grace Hopper" not in response.text


@pytest.mark.parametrize("page", ["list", "change", "leads", "export"])
@pytest.mark.parametrize("role", ["advisory_member", "superuser"])
def test_the_advisory_team_and_superusers_open_every_inbox_page(client, request, role, page):
    client.force_login(request.getfixturevalue(role))
    response = open_page(client, page, InquiryFactory())
    assert response.status_code == 200
    if page == "export":
        assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("role", ["advisory_member", "superuser", "editor"])
def test_nobody_adds_an_inquiry_in_the_admin_because_visitors_send_them(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(ADD_INQUIRY).status_code == 403


def test_the_admin_index_does_not_show_inquiries_to_an_editor(editor_client):
    response = editor_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "advisory" not in [app["app_label"] for app in response.context["app_list"]]
    assert "Inquiries" not in response.text
    assert editor_client.get(reverse("admin:app_list", args=["advisory"])).status_code == 404


def test_the_admin_index_shows_inquiries_to_the_advisory_team(team_client):
    response = team_client.get(reverse("admin:index"))
    assert "Inquiries" in response.text
    assert INBOX in response.text


def test_an_editor_cannot_reach_an_inquiry_through_its_history_or_delete_page(editor_client):
    inquiry = InquiryFactory(name="Grace Hopper")
    history = reverse("admin:advisory_inquiry_history", args=[inquiry.pk])
    delete = reverse("admin:advisory_inquiry_delete", args=[inquiry.pk])
    assert editor_client.get(history).status_code == 403
    assert editor_client.get(delete).status_code == 403
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert Inquiry.objects.filter(pk=inquiry.pk).exists()


def test_an_editor_cannot_list_inquiries_through_autocomplete(editor_client, editor):
    InquiryFactory(name="Grace Hopper", assigned_to=editor)
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "auth",
            "model_name": "user",
            "field_name": "assigned_inquiries",
            "term": "Grace",
        },
    )
    assert response.status_code == 403
    assert "Grace Hopper" not in response.text


# Who may see and change the lead routing (who is told of new inquiries) ---------------

ROUTING_LIST = reverse("admin:advisory_leadrouting_changelist")
ROUTING = reverse("admin:advisory_leadrouting_change", args=[1])
ROUTING_HISTORY = reverse("admin:advisory_leadrouting_history", args=[1])
CHANGES = reverse("admin:advisory_leadroutingchange_changelist")


NO_EMAIL = "No email (not a change of who is told)"


def changelist_cells(response) -> list[tuple[str, ...]]:
    """Each row of an admin list, its cells' texts in order."""
    table = response.text.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    cells = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
    return [
        tuple(" ".join(strip_tags(cell).split()) for cell in cells.findall(row))
        for row in body.split("</tr>")[:-1]
    ]


def a_recorded_change(by) -> LeadRoutingChange:
    (change,) = lead_routing_change(changed_by=by, inquiry_recipients="team@example.org")
    return change


def open_routing_page(client, page: str, change):
    if page == "routing list":
        return client.get(ROUTING_LIST)
    if page == "routing":
        return client.get(ROUTING)
    if page == "routing history":
        return client.get(ROUTING_HISTORY)
    if page == "changes":
        return client.get(CHANGES)
    if page == "change record":
        return client.get(reverse("admin:advisory_leadroutingchange_change", args=[change.pk]))
    raise AssertionError(page)


ROUTING_PAGES = ["routing list", "routing", "routing history", "changes", "change record"]


@pytest.mark.parametrize("page", ROUTING_PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page_from_the_lead_routing(
    client, advisory_member, page
):
    response = open_routing_page(client, page, a_recorded_change(advisory_member))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login") + "?next=")


@pytest.mark.parametrize("page", ROUTING_PAGES)
def test_an_editor_cannot_see_who_is_told_of_new_inquiries(editor_client, advisory_member, page):
    response = open_routing_page(editor_client, page, a_recorded_change(advisory_member))
    assert response.status_code == 403
    assert "team@example.org" not in response.text


def test_an_editor_cannot_change_who_is_told_of_new_inquiries(editor_client):
    LeadRouting.objects.filter(pk=1).update(inquiry_recipients="team@example.org")
    response = editor_client.post(
        ROUTING, {"inquiry_recipients": "outsider@example.net", "send_inquiry_acknowledgement": ""}
    )
    assert response.status_code == 403
    routing = LeadRouting.load()
    assert (routing.inquiry_recipients, routing.send_inquiry_acknowledgement) == (
        "team@example.org",
        True,
    )
    assert not LeadRoutingChange.objects.exists()


@pytest.mark.parametrize("page", ROUTING_PAGES)
@pytest.mark.parametrize("role", ["advisory_member", "superuser"])
def test_the_advisory_team_and_superusers_open_every_lead_routing_page(client, request, role, page):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = open_routing_page(client, page, a_recorded_change(user))
    if page == "routing list":  # the one record, opened straight away
        assert (response.status_code, response.url) == (302, ROUTING)
    else:
        assert response.status_code == 200


def test_an_advisory_member_changes_who_is_told_and_sees_the_change_recorded(
    team_client, advisory_member
):
    response = team_client.post(
        ROUTING, {"inquiry_recipients": "lead@example.org\nteam@example.org"}, follow=True
    )

    assert response.status_code == 200
    routing = LeadRouting.load()
    assert routing.inquiry_recipient_list() == ["lead@example.org", "team@example.org"]
    assert routing.send_inquiry_acknowledgement is False
    recorded = [row[1:] for row in changelist_cells(team_client.get(CHANGES))]  # not the time
    assert recorded == [
        (advisory_member.username, "acknowledge inquiries by email", "yes", "no", NO_EMAIL),
        (
            advisory_member.username,
            "who is told of new inquiries",
            "—",
            "lead@example.org, team@example.org",
            "Pending",
        ),
    ]


def test_a_recipient_that_is_not_an_email_address_is_refused_next_to_the_field(team_client):
    response = team_client.post(
        ROUTING,
        {"inquiry_recipients": "team@example.org\nsales at example dot com"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["inquiry_recipients"] == [
        "“sales at example dot com” is not an email address. Write one address per line."
    ]
    assert not LeadRoutingChange.objects.exists()


def test_an_address_written_again_in_another_case_is_kept_once_as_first_written(team_client):
    response = team_client.post(
        ROUTING, {"inquiry_recipients": "Lead@Example.org\n\n team@example.org \nLEAD@example.org"}
    )
    assert response.status_code == 302
    assert LeadRouting.load().inquiry_recipients == "Lead@Example.org\nteam@example.org"


def test_more_than_twenty_different_addresses_are_refused_next_to_the_field(team_client):
    twenty = [f"lead{number}@example.org" for number in range(20)]
    response = team_client.post(
        ROUTING, {"inquiry_recipients": "\n".join([*twenty, "LEAD0@example.org"])}
    )
    assert response.status_code == 302  # twenty, one of them twice

    response = team_client.post(
        ROUTING, {"inquiry_recipients": "\n".join([*twenty, "lead20@example.org"])}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["inquiry_recipients"] == [
        "Write at most 20 addresses (there are 21)."
    ]
    assert LeadRouting.load().inquiry_recipients == "\n".join(twenty)


def test_the_record_of_changes_cannot_be_edited_added_or_deleted_even_by_a_superuser(
    client, superuser
):
    change = a_recorded_change(superuser)
    client.force_login(superuser)
    page = reverse("admin:advisory_leadroutingchange_change", args=[change.pk])
    assert client.post(page, {"new_value": "outsider@example.net"}).status_code == 403
    delete = reverse("admin:advisory_leadroutingchange_delete", args=[change.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:advisory_leadroutingchange_add")).status_code == 403
    change.refresh_from_db()
    assert change.new_value == "team@example.org"


def test_the_admin_index_shows_the_lead_routing_to_the_advisory_team(team_client):
    response = team_client.get(reverse("admin:index"))
    assert ROUTING_LIST in response.text
    assert CHANGES in response.text


def test_the_admin_index_shows_an_editor_the_site_settings_but_not_the_lead_routing(
    editor_client,
):
    response = editor_client.get(reverse("admin:index"))
    assert reverse("admin:terms_sitesettings_changelist") in response.text
    assert ROUTING_LIST not in response.text
    assert CHANGES not in response.text
    assert "Lead routing" not in response.text


# The inbox ---------------------------------------------------------------------------


def test_the_inbox_lists_the_newest_inquiry_first_with_status_term_company_and_age(team_client):
    received(
        InquiryFactory(name="Older Visitor", company="Initech", term=TermFactory(title="RAG")),
        timedelta(days=3),
    )
    received(
        InquiryFactory(name="Newer Visitor", company="Globex", term=None, status="contacted"),
        timedelta(hours=2),
    )
    response = team_client.get(INBOX)
    assert listed(response) == ["Newer Visitor", "Older Visitor"]
    newer, older = inbox_rows(response)
    for text in ("Newer Visitor", "Globex", "—", "Contacted", "2 hours ago"):
        assert text in newer
    for text in ("Older Visitor", "Initech", "RAG", "New", "3 days ago"):
        assert text in older


def test_the_status_filter_narrows_the_inbox(team_client):
    InquiryFactory(name="Waiting", status="new")
    InquiryFactory(name="Called", status="contacted")
    response = click_filter(team_client, team_client.get(INBOX), "status", "Contacted")
    assert listed(response) == ["Called"]


def test_the_category_filter_narrows_the_inbox_to_terms_of_that_category(team_client):
    governance = CategoryFactory(name="AI Governance")
    InquiryFactory(name="About governance", term=TermFactory(category=governance))
    InquiryFactory(name="About models", term=TermFactory(category=CategoryFactory(name="Models")))
    InquiryFactory(name="General question", term=None)
    response = click_filter(team_client, team_client.get(INBOX), "category", "AI Governance")
    assert listed(response) == ["About governance"]


def test_the_received_date_filter_narrows_the_inbox(team_client):
    received(InquiryFactory(name="This week"), timedelta(days=2))
    received(InquiryFactory(name="Last month"), timedelta(days=35))
    response = click_filter(team_client, team_client.get(INBOX), "received", "Past 7 days")
    assert listed(response) == ["This week"]


def test_the_assignee_filter_narrows_the_inbox(team_client, advisory_member):
    colleague = UserFactory(is_staff=True, roles=[ADVISORY_TEAM], username="colleague")
    InquiryFactory(name="Mine", assigned_to=advisory_member)
    InquiryFactory(name="Theirs", assigned_to=colleague)
    InquiryFactory(name="Nobody's")
    response = click_filter(team_client, team_client.get(INBOX), "assigned to", "colleague")
    assert listed(response) == ["Theirs"]


@pytest.mark.parametrize(
    "query",
    ["Lovelace", "ada@analytical", "Analytical Engines", "document search pilot", "ENGINES"],
)
def test_the_inbox_search_finds_by_name_email_company_and_message(team_client, query):
    InquiryFactory(
        name="Ada Lovelace",
        email="ada@analytical.example",
        company="Analytical Engines Ltd",
        message="We want a document search pilot next quarter.",
    )
    InquiryFactory(name="Charles Babbage", company="Difference Ltd", message="Hello.")
    response = team_client.get(INBOX, {"q": query})
    assert listed(response) == ["Ada Lovelace"]


@pytest.mark.parametrize("paste", [str, lambda ref: f"  {str(ref).upper()} "])
def test_pasting_a_reference_into_the_search_finds_that_inquiry(team_client, paste):
    wanted = InquiryFactory(name="Ada Lovelace")
    InquiryFactory(name="Charles Babbage")
    response = team_client.get(INBOX, {"q": paste(wanted.reference)})
    assert listed(response) == ["Ada Lovelace"]


def late_and_not(minutes_ago: int = 20) -> None:
    """Inquiries the alert is about, and ones it is not, received ``minutes_ago``."""
    ago = timedelta(minutes=minutes_ago)
    received(InquiryFactory(name="Waiting", emails="pending"), ago)
    received(InquiryFactory(name="Retrying", emails="retrying"), ago)
    received(InquiryFactory(name="Failed", emails={"team": "failed"}), ago)
    received(InquiryFactory(name="Told", emails={"team": "sent", "acknowledgement": "failed"}), ago)
    received(InquiryFactory(name="Spam", status="spam", emails="pending"), ago)
    InquiryFactory(name="Just arrived", emails="pending")


def test_the_alert_filter_lists_inquiries_whose_team_email_has_not_gone_after_15_minutes(
    team_client,
):
    late_and_not()

    response = click_filter(
        team_client, team_client.get(INBOX), "team email", "Team not told after 15 minutes"
    )

    assert sorted(listed(response)) == ["Failed", "Retrying", "Waiting"]


def test_the_alert_waits_as_long_as_the_setting_says(team_client, settings):
    settings.ADVISORY_NOTIFY_ALERT_MINUTES = 60
    late_and_not(minutes_ago=30)
    received(InquiryFactory(name="Long waiting", emails="pending"), timedelta(minutes=61))

    response = click_filter(
        team_client, team_client.get(INBOX), "team email", "Team not told after 60 minutes"
    )

    assert listed(response) == ["Long waiting"]


ALERT_LINK = f"{INBOX}?team_told=late"


@pytest.mark.parametrize("role", ["advisory_member", "superuser"])
def test_the_admin_index_counts_the_inquiries_the_team_was_not_told_of_and_links_to_them(
    client, request, role
):
    late_and_not()
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("admin:index"))

    alert = strip_tags(response.text.split('id="team-alert"', 1)[1].split("</ul>", 1)[0])
    assert "Team not told after 15 minutes: 3 inquiries." in " ".join(alert.split())
    assert f'href="{ALERT_LINK}"' in response.text
    assert sorted(listed(client.get(ALERT_LINK))) == ["Failed", "Retrying", "Waiting"]


def test_the_admin_index_says_so_when_the_team_was_told_of_everything(team_client):
    received(InquiryFactory(emails="sent"), timedelta(hours=1))

    response = team_client.get(reverse("admin:index"))

    assert "Team not told after 15 minutes: none." in response.text
    assert ALERT_LINK not in response.text


def test_an_editor_sees_no_alert_about_inquiries_on_the_admin_index(editor_client):
    late_and_not()

    response = editor_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "team-alert" not in response.text
    assert "Team not told" not in response.text
    assert "team_told" not in response.text


def test_the_inbox_links_to_the_leads_report(team_client):
    assert f'href="{LEADS}"' in team_client.get(INBOX).text


# The change page ---------------------------------------------------------------------


def change_form(inquiry, **fields) -> dict:
    data = {
        "status": inquiry.status,
        "assigned_to": str(inquiry.assigned_to_id or ""),
        "internal_notes": inquiry.internal_notes,
        "_save": "Save",
    }
    return data | fields


def test_what_the_visitor_sent_cannot_be_changed_but_the_teams_work_can(
    team_client, advisory_member
):
    inquiry = InquiryFactory(
        name="Ada Lovelace", email="ada@example.com", company="Acme", message="Original."
    )
    data = change_form(
        inquiry,
        name="Mallory",
        email="mallory@example.com",
        message="Rewritten.",
        company="Evil Corp",
        status="qualified",
        assigned_to=str(advisory_member.pk),
        internal_notes="Called her; wants a pilot in May.",
    )
    response = team_client.post(change_url(inquiry), data)
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.name, inquiry.email, inquiry.company, inquiry.message) == (
        "Ada Lovelace",
        "ada@example.com",
        "Acme",
        "Original.",
    )
    assert inquiry.status == "qualified"
    assert inquiry.assigned_to == advisory_member
    assert inquiry.internal_notes == "Called her; wants a pilot in May."


def test_the_change_page_shows_the_visitors_details_as_text_not_inputs(team_client):
    inquiry = InquiryFactory(name="Ada Lovelace", message="Please call after 3pm.")
    response = team_client.get(change_url(inquiry))
    form = response.context["adminform"].form
    assert set(form.fields) == {"status", "assigned_to", "internal_notes"}
    assert "Ada Lovelace" in response.text
    assert "Please call after 3pm." in response.text
    assert 'name="name"' not in response.text


def test_the_change_page_shows_each_email_and_what_became_of_it_read_only(team_client):
    inquiry = InquiryFactory(emails={"team": "sent", "acknowledgement": "failed"})
    inquiry.emails.filter(kind="acknowledgement").update(
        attempts=1, error="SMTPRecipientsRefused (550)"
    )

    response = team_client.get(change_url(inquiry))

    table = response.text.split('id="inquiry-emails"', 1)[1].split("</table>", 1)[0]
    header, team, acknowledgement = (
        [strip_tags(cell).strip() for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.S)]
        for row in table.split("</tr>")[:-1]
    )
    assert header == [
        "email",
        "status",
        "attempts",
        "last attempt",
        "next attempt",
        "sent at",
        "last error",
    ]
    assert team[:3] == ["Team notification", "Sent", "1"]
    assert team[3].endswith(" UTC") and team[5].endswith(" UTC")
    assert (team[4], team[6]) == ("—", "—")
    assert acknowledgement[:3] == ["Acknowledgement to the visitor", "Failed, will not retry", "1"]
    assert acknowledgement[6] == "SMTPRecipientsRefused (550)"
    assert "Failed, will not retry" in inbox_rows(team_client.get(INBOX))[0]
    assert set(response.context["adminform"].form.fields) == {
        "status",
        "assigned_to",
        "internal_notes",
    }


def test_the_assignee_dropdown_offers_only_the_advisory_team_and_superusers(
    team_client, advisory_member
):
    UserFactory(username="zoe-team", is_staff=True, roles=[ADVISORY_TEAM])
    UserFactory(username="root", is_staff=True, is_superuser=True)
    UserFactory(username="eddie-editor", is_staff=True, roles=[EDITORS])
    UserFactory(username="no-role", is_staff=True)
    UserFactory(username="left-team", is_staff=True, is_active=False, roles=[ADVISORY_TEAM])
    response = team_client.get(change_url(InquiryFactory()))
    field = response.context["adminform"].form.fields["assigned_to"]
    offered = [label for value, label in field.choices if value]
    assert offered == sorted([advisory_member.username, "root", "zoe-team"])


def test_an_inquiry_assigned_to_someone_who_left_the_team_keeps_its_assignee(
    team_client, advisory_member
):
    leaver = UserFactory(username="leaver", is_staff=True, is_active=False, roles=[ADVISORY_TEAM])
    inquiry = InquiryFactory(assigned_to=leaver)
    other = InquiryFactory()
    page = team_client.get(change_url(inquiry))
    assert f'<option value="{leaver.pk}" selected>leaver</option>' in page.text
    data = change_form(inquiry, internal_notes="Left a voicemail.")
    assert team_client.post(change_url(inquiry), data).status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.assigned_to, inquiry.internal_notes) == (leaver, "Left a voicemail.")
    other_page = team_client.get(change_url(other))
    other_choices = other_page.context["adminform"].form.fields["assigned_to"].choices
    assert "leaver" not in [label for value, label in other_choices]


def test_an_editor_cannot_be_assigned_an_inquiry_by_posting_their_id(team_client, editor):
    inquiry = InquiryFactory()
    response = team_client.post(change_url(inquiry), change_form(inquiry, assigned_to=editor.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assigned_to"]
    inquiry.refresh_from_db()
    assert inquiry.assigned_to is None


def test_an_inquiry_whose_term_was_deleted_still_names_the_term(team_client):
    term = TermFactory(title="Vector Database")
    inquiry = InquiryFactory(term=term)
    term.delete()
    inquiry.refresh_from_db()
    assert (inquiry.term, inquiry.term_title) == (None, "Vector Database")
    response = team_client.get(change_url(inquiry))
    assert response.status_code == 200
    assert "Vector Database (no longer in the glossary)" in response.text
    assert "Vector Database" in inbox_rows(team_client.get(INBOX))[0]


# Actions ----------------------------------------------------------------------------


def test_mark_contacted_sets_the_status_of_the_selected_inquiries(team_client):
    picked = [InquiryFactory(), InquiryFactory()]
    untouched = InquiryFactory()
    response = run_action(team_client, "mark_contacted", picked, follow=True)
    assert shown_messages(response) == ["Marked 2 inquiries as contacted."]
    assert {i.status for i in Inquiry.objects.filter(pk__in=[i.pk for i in picked])} == {
        "contacted"
    }
    untouched.refresh_from_db()
    assert untouched.status == "new"


def email_statuses(inquiry) -> set[str]:
    return set(inquiry.emails.values_list("status", flat=True))


def test_mark_spam_sets_the_status_and_cancels_the_emails_not_sent(team_client):
    waiting = InquiryFactory(emails="pending")
    delivered = InquiryFactory(emails="sent")
    response = run_action(team_client, "mark_spam", [waiting, delivered], follow=True)
    assert shown_messages(response) == ["Marked 2 inquiries as spam."]
    waiting.refresh_from_db()
    delivered.refresh_from_db()
    assert (waiting.status, waiting.notification) == ("spam", "not_sent")
    assert email_statuses(waiting) == {"cancelled"}
    assert (delivered.status, delivered.notification) == ("spam", "sent")
    assert email_statuses(delivered) == {"sent"}


def test_mark_spam_works_while_the_inbox_is_filtered_by_notification(team_client):
    waiting = InquiryFactory(emails="pending")
    response = team_client.post(
        INBOX + "?notification__exact=pending",
        {"action": "mark_spam", "index": "0", "_selected_action": [waiting.pk]},
        follow=True,
    )
    assert shown_messages(response) == ["Marked 1 inquiry as spam."]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.notification) == ("spam", "not_sent")


@pytest.mark.parametrize("status", ["retrying", "failed"])
def test_mark_spam_also_cancels_an_email_waiting_to_retry_or_failed(team_client, status):
    inquiry = InquiryFactory(emails={"team": "sent", "acknowledgement": status})
    run_action(team_client, "mark_spam", [inquiry])
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.notification) == ("spam", "sent")
    assert email_statuses(inquiry) == {"sent", "cancelled"}


def test_setting_spam_in_the_change_form_cancels_the_emails_not_sent(team_client):
    inquiry = InquiryFactory(emails={"team": "sent", "acknowledgement": "retrying"})
    response = team_client.post(change_url(inquiry), change_form(inquiry, status="spam"))
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == "spam"
    assert email_statuses(inquiry) == {"sent", "cancelled"}


def test_assign_to_me_assigns_the_selected_inquiries_to_the_acting_member(
    team_client, advisory_member
):
    colleague = UserFactory(is_staff=True, roles=[ADVISORY_TEAM])
    taken = InquiryFactory(assigned_to=colleague)
    free = InquiryFactory()
    response = run_action(team_client, "assign_to_me", [taken, free], follow=True)
    assert shown_messages(response) == ["Assigned 2 inquiries to you."]
    assert set(Inquiry.objects.values_list("assigned_to", flat=True)) == {advisory_member.pk}


def queued_deliveries() -> list[int]:
    tasks = DBTaskResult.objects.filter(task_path="advisory.tasks.deliver_notifications")
    return sorted(task.args_kwargs["args"][0] for task in tasks)


def test_resend_notifications_queues_delivery_for_every_inquiry_with_an_email_not_sent(
    team_client,
):
    pending = InquiryFactory(emails="pending")
    retrying = InquiryFactory(emails="retrying")
    failed = InquiryFactory(emails={"team": "sent", "acknowledgement": "failed"})
    sent = InquiryFactory(emails="sent")
    spam = InquiryFactory(status="spam")
    response = run_action(
        team_client, "resend_notifications", [pending, retrying, failed, sent, spam], follow=True
    )
    assert shown_messages(response) == ["Queued notifications for 3 inquiries."]
    assert queued_deliveries() == sorted([pending.pk, retrying.pk, failed.pk])
    failed.refresh_from_db()
    assert failed.notification == "pending"
    assert email_statuses(failed) == {"sent", "pending"}


def test_resend_notifications_says_so_when_nothing_is_waiting(team_client):
    sent = InquiryFactory(emails="sent")
    response = run_action(team_client, "resend_notifications", [sent], follow=True)
    assert shown_messages(response) == [
        "None of the selected inquiries has a notification waiting."
    ]
    assert queued_deliveries() == []


def test_export_csv_downloads_the_selected_inquiries_oldest_first(team_client, advisory_member):
    first = received(
        InquiryFactory(
            name="Zoë Ångström",
            company="Société Générale",
            term=TermFactory(title="Retrieval-Augmented Generation"),
            assigned_to=advisory_member,
        ),
        timedelta(days=2),
    )
    second = received(InquiryFactory(name="Łukasz Żółw", term=None), timedelta(days=1))
    InquiryFactory(name="Not selected")
    response = run_action(team_client, "export_csv", [second, first])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="inquiries-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    header, *rows = csv_rows(response)
    assert header[:6] == ["Reference", "Received", "Status", "Name", "Email", "Company"]
    assert len(header) == 14
    assert [row[header.index("Name")] for row in rows] == ["Zoë Ångström", "Łukasz Żółw"]
    zoe = dict(zip(header, rows[0], strict=True))
    assert zoe["Reference"] == str(first.reference)
    assert zoe["Company"] == "Société Générale"
    assert zoe["Term"] == "Retrieval-Augmented Generation"
    assert zoe["Assigned to"] == advisory_member.username
    assert zoe["Status"] == "new"


def test_export_csv_neutralises_formulas_a_visitor_typed(team_client):
    inquiry = InquiryFactory(
        name='=HYPERLINK("https://evil.example","Click")',
        company="@SUM(1+1)",
        message="Plain text stays as it is.",
    )
    header, row = csv_rows(run_action(team_client, "export_csv", [inquiry]))
    exported = dict(zip(header, row, strict=True))
    assert exported["Name"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert exported["Company"] == "'@SUM(1+1)"
    assert exported["Message"] == "Plain text stays as it is."


def test_a_member_without_the_export_permission_is_not_offered_the_export(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_inquiry"))
    client.force_login(viewer)
    inquiry = InquiryFactory()
    page = client.get(INBOX)
    assert page.status_code == 200
    assert "export_csv" not in page.text
    response = run_action(client, "export_csv", [inquiry])
    assert "text/csv" not in response.get("Content-Type", "")


# The leads report -------------------------------------------------------------------


def test_the_leads_report_counts_per_term_and_category_within_the_period(team_client):
    today = timezone.localdate()
    start, end = today - timedelta(days=30), today - timedelta(days=10)
    governance = CategoryFactory(name="AI Governance")
    models = CategoryFactory(name="Models")
    audit = TermFactory(title="Model Audit", category=governance)
    risk = TermFactory(title="Risk Register", category=governance)
    llm = TermFactory(title="LLM", category=models)

    def inquiry_on(day, **fields):
        return received(InquiryFactory(**fields), at_noon(day))

    inquiry_on(start, term=audit)
    inquiry_on(start + timedelta(days=5), term=audit, status="won")
    inquiry_on(end, term=risk)
    inquiry_on(end, term=llm)
    inquiry_on(end, term=None)
    inquiry_on(end, term=audit, status="spam")
    inquiry_on(start - timedelta(days=1), term=llm)
    inquiry_on(end + timedelta(days=1), term=llm)
    received(InquiryFactory(term=risk), timezone.make_aware(datetime.combine(end, time(23, 59))))

    response = team_client.get(LEADS, {"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 200
    assert report_table(response, "leads-by-term") == [
        ("Model Audit", "2", "1"),
        ("Risk Register", "2", "0"),
        ("General (no term)", "1", "0"),
        ("LLM", "1", "0"),
    ]
    assert report_table(response, "leads-by-category") == [
        ("AI Governance", "4", "1"),
        ("Models", "1", "0"),
        ("No category (general, or the term was deleted)", "1", "0"),
    ]
    assert "6 inquiries from" in response.text


def test_the_leads_report_counts_a_deleted_terms_inquiries_under_its_old_title(team_client):
    term = TermFactory(title="Vector Database")
    InquiryFactory(term=term)
    term.delete()
    response = team_client.get(LEADS)
    assert report_table(response, "leads-by-term") == [("Vector Database", "1", "0")]


def test_the_leads_report_opens_on_the_last_ninety_days(team_client):
    received(InquiryFactory(term=TermFactory(title="Recent")), timedelta(days=80))
    received(InquiryFactory(term=TermFactory(title="Old")), timedelta(days=100))
    response = team_client.get(LEADS)
    assert response.status_code == 200
    assert report_table(response, "leads-by-term") == [("Recent", "1", "0")]


def test_the_leads_report_says_when_the_period_has_no_inquiries(team_client):
    response = team_client.get(LEADS, {"start": "2020-01-01", "end": "2020-01-31"})
    assert report_table(response, "leads-by-term") == [("No inquiries in this period.",)]


def test_an_end_date_before_the_start_shows_an_error_next_to_the_field(team_client):
    response = team_client.get(LEADS, {"start": "2025-03-10", "end": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "end": ["The end date must be on or after the start date."]
    }
    assert "The end date must be on or after the start date." in response.text
    assert 'id="leads-by-term"' not in response.text


def test_a_date_that_is_not_a_date_shows_an_error_not_a_server_error(team_client):
    response = team_client.get(LEADS, {"start": "last tuesday", "end": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"start": ["Enter a valid date."]}
