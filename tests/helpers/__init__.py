"""Helpers that tests share: processes they start (`processes`)."""
