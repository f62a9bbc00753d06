"""manage.py check on the advisory settings."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_a_lease_shorter_than_an_smtp_conversation_is_warned_about(settings):
    settings.EMAIL_TIMEOUT = 10
    settings.ADVISORY_NOTIFY_LEASE_SECONDS = 30

    with pytest.raises(SystemCheckError, match="ADVISORY_NOTIFY_LEASE_SECONDS \\(30\\)"):
        call_command("check", fail_level="WARNING")


def test_the_default_lease_outlasts_a_conversation_at_the_default_timeout(settings):
    settings.EMAIL_TIMEOUT = 10
    settings.ADVISORY_NOTIFY_LEASE_SECONDS = 60

    call_command("check", fail_level="WARNING")
