"""System checks for the advisory settings (manage.py check)."""

from django.conf import settings
from django.core import checks

# A conversation: connect, greeting, EHLO, MAIL, RCPT, DATA, the message, QUIT; each
# step may wait up to EMAIL_TIMEOUT.
SMTP_STEPS = 6


@checks.register()
def lease_outlasts_a_conversation(app_configs, **kwargs):
    lease = settings.ADVISORY_NOTIFY_LEASE_SECONDS
    conversation = SMTP_STEPS * settings.EMAIL_TIMEOUT
    if lease >= conversation:
        return []
    return [
        checks.Warning(
            f"ADVISORY_NOTIFY_LEASE_SECONDS ({lease}) is shorter than an SMTP conversation "
            f"can take at EMAIL_TIMEOUT={settings.EMAIL_TIMEOUT} ({conversation} s): an "
            "email still being sent could be taken for a dead worker's and sent twice.",
            hint=f"Set ADVISORY_NOTIFY_LEASE_SECONDS to {conversation} or more.",
            id="advisory.W001",
        )
    ]
