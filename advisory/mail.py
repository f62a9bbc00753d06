"""The emails an inquiry sends: who gets them, what they say, and how a failure to send
one is described and judged (worth retrying, or not)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from terms.roles import ADVISORY_TEAM, member_addresses
from terms.selectors import site_settings
from terms.text import one_line

from .models import Inquiry, LeadRouting, LeadRoutingChange, OutgoingEmail, recipient_list


class NoRecipients(Exception):
    """Nobody is configured to hear about new inquiries."""


def team_recipients() -> list[str]:
    """ADVISORY_NOTIFY_EMAILS, else the lead routing's list, else the Advisory team members."""
    if settings.ADVISORY_NOTIFY_EMAILS:
        return list(settings.ADVISORY_NOTIFY_EMAILS)
    return routed_to(LeadRouting.load().inquiry_recipients)


def routed_to(recipients: str) -> list[str]:
    """Who a lead routing list sends inquiries to: its addresses, else, when it is empty,
    the Advisory team members' own (ADVISORY_NOTIFY_EMAILS aside)."""
    return recipient_list(recipients) or member_addresses(ADVISORY_TEAM)


def team_message(inquiry: Inquiry, *, message_id: str) -> EmailMessage:
    recipients = team_recipients()
    if not recipients:
        raise NoRecipients
    about = inquiry.term_title or "the glossary"
    context = {"inquiry": inquiry, "admin_url": settings.SITE_URL + inquiry.get_admin_url()}
    # One line: a line break the visitor typed would make EmailMessage refuse the header.
    subject = one_line(f"New advisory inquiry from {inquiry.company} about {about}")
    return EmailMessage(
        subject=subject,
        body=render_to_string("advisory/email/team_notification.txt", context),
        to=recipients,
        reply_to=[inquiry.email],
        headers={"Message-ID": message_id},
    )


def acknowledgement_message(inquiry: Inquiry, *, message_id: str) -> EmailMessage:
    # One line, even if stored before line breaks were refused: the send must not fail.
    organisation = one_line(site_settings().organisation_name)
    context = {"inquiry": inquiry, "organisation": organisation}
    return EmailMessage(
        subject=one_line(f"{organisation}: we received your inquiry"),
        body=render_to_string("advisory/email/acknowledgement.txt", context),
        to=[inquiry.email],
        headers={"Message-ID": message_id},
    )


def compose(email: OutgoingEmail) -> EmailMessage:
    """The message for one outbox row, with its stable Message-ID, its headers already
    rendered: a header Django refuses (BadHeaderError) is found before the mail server is
    called."""
    build = team_message if email.kind == OutgoingEmail.Kind.TEAM else acknowledgement_message
    message = build(email.inquiry, message_id=email.message_id)
    message.message()
    return message


def lead_routing_notice(change: LeadRoutingChange) -> EmailMessage:
    """The email telling those who were told of inquiries, and those who are told now, that
    the recipients changed: who changed them and when, before and after. No lead data."""
    before, after = recipient_list(change.old_value), recipient_list(change.new_value)
    context = {
        "change": change,
        "before": before,
        "after": after,
        "overridden_by": list(settings.ADVISORY_NOTIFY_EMAILS),
        "routing_url": settings.SITE_URL + reverse("admin:advisory_leadrouting_changelist"),
        "history_url": settings.SITE_URL + reverse("admin:advisory_leadroutingchange_changelist"),
    }
    message = EmailMessage(
        subject="Lead routing changed: who is told of new advisory inquiries",
        body=render_to_string("advisory/email/lead_routing_changed.txt", context),
        to=recipient_list(change.notice_to),
        headers={"Message-ID": change.message_id},
    )
    message.message()  # a header Django refuses is found before the mail server is called
    return message


def refused_codes(error: smtplib.SMTPRecipientsRefused) -> list[int]:
    return sorted({code for code, _reply in error.recipients.values()})


def error_summary(error: Exception) -> str:
    """What went wrong: the exception's class and the SMTP code, never the server's reply,
    which may quote an address. "SMTPRecipientsRefused (550)", "ConnectionRefusedError (111)"."""
    if isinstance(error, NoRecipients):
        return "No recipients: set ADVISORY_NOTIFY_EMAILS or the lead routing's list."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = ", ".join(str(code) for code in refused_codes(error))
    else:
        code = getattr(error, "smtp_code", None) or getattr(error, "errno", None)
    return f"{type(error).__name__}" + (f" ({code})" if code else "")


def error_is_permanent(error: Exception) -> bool:
    """A failure that sending again will not mend: a 5xx reply from the mail server (for
    every recipient, when recipients were refused), or a message Django cannot compose
    (BadHeaderError, an address it cannot encode: both ValueError). Anything else, 4xx
    replies, refused or dropped connections, timeouts, a broken deployment, is retried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = refused_codes(error)
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, ValueError)
