"""Admin logins are throttled (django-axes): after five wrong passwords for one account,
or from one address, that account or address cannot log in for fifteen minutes, not even
with the right password; the login page says so; a superuser can unlock it; the logs
name neither the account, nor the address, nor the browser."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from advisory.views import client_address
from terms.roles import EDITORS

from ..factories import UserFactory
from ..helpers.browser import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
LOCKED_OUT = "Too many failed logins for this account or from your network."


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # Dozens of password checks: the production hasher would take seconds for each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor_account(quick_passwords):
    return UserFactory(username="eddie", is_staff=True, roles=[EDITORS])


def log_in(client, username, password, **request):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **request
    )


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def fail(client, username, times=5, **request):
    for _ in range(times):
        response = log_in(client, username, "not-the-password", **request)
        assert response.status_code in (200, 429)


def test_after_five_wrong_passwords_the_right_one_is_refused_and_the_page_says_why(
    client, editor_account
):
    for _ in range(4):
        response = log_in(client, "eddie", "not-the-password")
        assert response.status_code == 200
        assert b"Please enter the correct username and password" in response.content
    fifth = log_in(client, "eddie", "not-the-password")

    assert fifth.status_code == 429
    right = log_in(client, "eddie", PASSWORD)
    assert right.status_code == 429
    page = right.content.decode()
    assert LOCKED_OUT in page
    assert "15\xa0minutes" in page  # how long, as Django's timeuntil writes it
    assert 'id="login-form"' in page  # still the login page, for later
    assert not logged_in(client)


def test_fewer_wrong_passwords_than_the_limit_let_the_right_one_in_and_start_afresh(
    client, editor_account
):
    fail(client, "eddie", times=4)
    assert log_in(client, "eddie", PASSWORD).status_code == 302
    client.logout()

    fail(client, "eddie", times=4)
    assert log_in(client, "eddie", PASSWORD).status_code == 302


def test_a_locked_account_is_locked_from_every_address(client, editor_account):
    fail(client, "eddie", REMOTE_ADDR="198.51.100.1")

    response = log_in(client, "eddie", PASSWORD, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 429
    assert not logged_in(client)


def test_a_locked_address_is_locked_for_every_account(client, editor_account):
    for number in range(5):
        fail(client, f"guess{number}", times=1, REMOTE_ADDR="198.51.100.1")

    assert log_in(client, "eddie", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 429
    assert log_in(client, "eddie", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_after_the_cool_off_the_right_password_works_again(client, editor_account):
    fail(client, "eddie")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert log_in(client, "eddie", PASSWORD).status_code == 302
    assert logged_in(client)


def test_trying_during_the_lock_out_does_not_prolong_it(client, editor_account):
    fail(client, "eddie")
    locked_at = AccessAttempt.objects.get().attempt_time

    fail(client, "eddie", times=3)

    assert AccessAttempt.objects.get().attempt_time == locked_at


def test_behind_a_proxy_the_client_is_read_from_x_forwarded_for_as_the_api_throttle_does(
    client, settings, editor_account, rf
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    for number in range(5):
        fail(client, f"guess{number}", times=1, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)

    # Another visitor behind the same proxy is not locked; the guesser is.
    other = log_in(client, "eddie", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert other.status_code == 302
    client.logout()
    guesser = log_in(client, "eddie", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert guesser.status_code == 429
    request = rf.get("/", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.1", **proxy)
    assert client_address(request) == BaseThrottle().get_ident(request) == "198.51.100.1"


def test_a_superuser_unlocks_an_account_with_axes_reset(client, editor_account):
    fail(client, "eddie")

    call_command("axes_reset_username", "eddie", verbosity=0)

    assert log_in(client, "eddie", PASSWORD).status_code == 302


def test_a_superuser_sees_the_lock_out_in_the_admin_and_deleting_it_unlocks(client, editor_account):
    fail(client, "eddie", REMOTE_ADDR="198.51.100.1")
    attempt = AccessAttempt.objects.get()
    admin_client = type(client)()
    admin_client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert b"eddie" in listing.content
    deleted = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert log_in(client, "eddie", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 302


def test_an_editor_cannot_see_or_lift_lock_outs(client, editor_account):
    client.force_login(editor_account)

    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_failed_logins_and_the_lock_out_are_logged_without_the_account_or_the_address(
    client, editor_account, caplog
):
    browser = {"REMOTE_ADDR": "198.51.100.1", "HTTP_USER_AGENT": "Mozilla/5.0 (Eddie's laptop)"}
    with caplog.at_level(logging.INFO):
        fail(client, "eddie", **browser)
        log_in(client, "eddie", PASSWORD, **browser)

    warnings = [record.getMessage() for record in caplog.records if record.name.startswith("axes")]
    assert any("Locking out" in message for message in warnings), warnings
    for trace in ("eddie", "198.51.100.1", "198.51.100", "Mozilla", "laptop"):
        assert trace not in caplog.text
