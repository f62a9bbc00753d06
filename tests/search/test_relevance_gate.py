"""The CI gate on search quality: the full judged set, scored on the demo glossary, must
keep recall@5 at or above the floor recorded for this database in judgements.json."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from terms.search.relevance import DEFAULT_JUDGEMENTS, evaluate, load_judgements

# What issue 14 asks the judged set to cover, at the least.
REQUIRED_KINDS = {"title", "alias", "misspelling", "plural", "definition-only", "two-words"}


@pytest.fixture(scope="module")
def judged_set():
    return load_judgements(DEFAULT_JUDGEMENTS)


def test_the_judged_set_has_sixty_queries_or_more_of_every_kind_the_issue_names(judged_set):
    kinds = Counter(judgement.kind for judgement in judged_set.judgements)
    assert len(judged_set.judgements) >= 60
    assert not REQUIRED_KINDS - set(kinds), f"missing kinds: {REQUIRED_KINDS - set(kinds)}"
    assert set(judged_set.floor) == {"sqlite", "postgresql"}


@pytest.mark.django_db
def test_search_on_the_demo_glossary_keeps_recall_at_5_at_or_above_the_recorded_floor(
    judged_set, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True  # load_demo refuses to run without it
    # Its four demo logins, hashed quickly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test's transaction never commits: run what the load leaves for after its commit
    # (the content generation's mirror today, whatever search may keep there later).
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", verbosity=0)

    evaluation = evaluate(judged_set.judgements)

    recall, floor = evaluation.recall_at(5), judged_set.floor[connection.vendor]
    misses = "\n".join(
        f'  [{r.judgement.kind}] "{r.judgement.query}" → {r.judgement.expected}: {r.found[:5]}'
        for r in evaluation.results
        if not r.found_within(5)
    )
    assert recall >= floor, (
        f"recall@5 on {connection.vendor} fell to {recall:.3f}, below the "
        f"floor of {floor} recorded in {DEFAULT_JUDGEMENTS.name}. Not in the first 5:\n{misses}"
    )
