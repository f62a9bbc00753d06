"""Data migrations on what was stored before them.

The outbox (advisory 0003 to 0005): each email an inquiry sent or was still to send
becomes an outbox row with what was known of it, and migrating back puts the inquiry's
own fields back. The lead routing (advisory 0007, terms 0013): who is told of inquiries
and the acknowledgement switch move from the site settings to the Advisory team's own
record, and back."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("advisory", "0002_advisory_team_permissions")]
AFTER = [("advisory", "0005_remove_inquiry_notification_fields")]


@pytest.fixture
def migrate_to():
    """Migrate the test database to ``targets`` and return the models as they were then;
    afterwards the database is migrated back to the latest state, whatever happened."""
    executor = MigrationExecutor(connection)

    def migrate(targets):
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield migrate
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def old_inquiry(apps, company: str, **fields):
    Inquiry = apps.get_model("advisory", "Inquiry")
    return Inquiry.objects.create(
        name="Ada Lovelace",
        email="ada@example.com",
        company=company,
        message="A pilot?",
        consent_given_at=timezone.now(),
        consent_text="I agree.",
        **fields,
    )


def emails_of(apps, inquiry) -> dict:
    OutgoingEmail = apps.get_model("advisory", "OutgoingEmail")
    return {email.kind: email for email in OutgoingEmail.objects.filter(inquiry_id=inquiry.pk)}


def test_every_email_of_an_older_inquiry_becomes_an_outbox_row_and_back_again(migrate_to):
    apps = migrate_to(BEFORE)
    sent_at = timezone.now() - timedelta(days=1)
    retry_at = timezone.now() + timedelta(minutes=8)
    told = old_inquiry(
        apps,
        "Told Co",
        notification="sent",
        team_notified_at=sent_at,
        acknowledged_at=sent_at,
        notification_attempts=1,
    )
    half = old_inquiry(
        apps,
        "Half Co",
        notification="retrying",
        team_notified_at=sent_at,
        notification_attempts=4,
        next_notification_at=retry_at,
        notification_error="SMTPRecipientsRefused",
    )
    quiet = old_inquiry(apps, "Quiet Co", acknowledgement_wanted=False)
    spam = old_inquiry(apps, "Spam Co", status="spam", notification="not_sent")

    apps = migrate_to(AFTER)

    told_emails = emails_of(apps, told)
    assert {kind: email.status for kind, email in told_emails.items()} == {
        "team": "sent",
        "acknowledgement": "sent",
    }
    assert told_emails["team"].sent_at == sent_at
    assert told_emails["team"].message_id.startswith(f"<inquiry-{told.reference}-team@")
    half_emails = emails_of(apps, half)
    assert half_emails["team"].status == "sent"
    acknowledgement = half_emails["acknowledgement"]
    assert (acknowledgement.status, acknowledgement.attempts) == ("retrying", 4)
    assert acknowledgement.next_attempt_at == retry_at
    assert acknowledgement.error == "SMTPRecipientsRefused"
    assert {kind: email.status for kind, email in emails_of(apps, quiet).items()} == {
        "team": "pending"
    }
    assert {email.status for email in emails_of(apps, spam).values()} == {"cancelled"}

    # A permanent failure, which the old fields cannot say, goes back as "will retry".
    apps.get_model("advisory", "OutgoingEmail").objects.filter(
        inquiry_id=half.pk, kind="acknowledgement"
    ).update(status="failed")
    apps.get_model("advisory", "Inquiry").objects.filter(pk=half.pk).update(notification="failed")

    apps = migrate_to(BEFORE)

    Inquiry = apps.get_model("advisory", "Inquiry")
    told, half, quiet, spam = (Inquiry.objects.get(pk=i.pk) for i in (told, half, quiet, spam))
    assert (told.team_notified_at, told.acknowledged_at) == (sent_at, sent_at)
    assert (half.team_notified_at, half.acknowledged_at) == (sent_at, None)
    assert (half.notification, half.notification_attempts) == ("retrying", 4)
    assert half.next_notification_at == retry_at
    assert half.notification_error == "SMTPRecipientsRefused"
    assert (quiet.acknowledgement_wanted, told.acknowledgement_wanted) == (False, True)
    assert (spam.notification, spam.team_notified_at) == ("not_sent", None)


BEFORE_LEAD_ROUTING = [
    ("advisory", "0006_idempotency_record"),
    ("terms", "0012_call_to_action_and_one_line_rules"),
]
AFTER_LEAD_ROUTING = [("terms", "0013_lead_routing_moved_out_of_site_settings")]


def group_permissions(apps, name: str) -> set[str]:
    group = apps.get_model("auth", "Group").objects.get(name=name)
    return set(group.permissions.values_list("codename", flat=True))


def test_the_lead_routing_moves_out_of_the_site_settings_to_the_advisory_team_and_back(
    migrate_to,
):
    apps = migrate_to(BEFORE_LEAD_ROUTING)
    apps.get_model("terms", "SiteSettings").objects.update_or_create(
        pk=1,
        defaults={
            "organisation_name": "Northwind Advisory",
            "inquiry_recipients": "team@example.org\nlead@example.org",
            "send_inquiry_acknowledgement": False,
        },
    )

    apps = migrate_to(AFTER_LEAD_ROUTING)

    routing = apps.get_model("advisory", "LeadRouting").objects.get(pk=1)
    assert routing.inquiry_recipients == "team@example.org\nlead@example.org"
    assert routing.send_inquiry_acknowledgement is False
    site = apps.get_model("terms", "SiteSettings").objects.get(pk=1)
    assert site.organisation_name == "Northwind Advisory"
    lead_routing = {"view_leadrouting", "change_leadrouting", "view_leadroutingchange"}
    assert lead_routing <= group_permissions(apps, "Advisory team")
    assert not lead_routing & group_permissions(apps, "Editors")

    apps.get_model("advisory", "LeadRouting").objects.filter(pk=1).update(
        inquiry_recipients="team@example.org"
    )
    apps = migrate_to(BEFORE_LEAD_ROUTING)

    site = apps.get_model("terms", "SiteSettings").objects.get(pk=1)
    assert (site.inquiry_recipients, site.send_inquiry_acknowledgement) == (
        "team@example.org",
        False,
    )
    assert not lead_routing & group_permissions(apps, "Advisory team")
