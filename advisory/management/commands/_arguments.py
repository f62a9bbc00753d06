"""Shared by the data subject commands (a leading underscore: not a command itself)."""

import argparse

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def email_address(value: str) -> str:
    """An argparse type: one email address, or a usage error naming what was given."""
    try:
        validate_email(value.strip())
    except ValidationError as error:
        raise argparse.ArgumentTypeError(f"Not an email address: {value!r}") from error
    return value
