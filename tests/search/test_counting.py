"""What readers searched for: each public search (site and API, answered from the response
cache or not) is counted per normalised query and day with what it found, and nothing
about who searched; editors read the counts in the "Searches" report and turn a search
that found nothing into a draft; old days are purged."""

import datetime
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from glossary_project.wsgi import application
from terms.models import SearchCount, SiteSettings, Term
from terms.search import counting

from ..factories import CategoryFactory, TermFactory, UserFactory
from ..helpers.response_cache import cached
from ..helpers.search_report import REPORT, period_errors, report_table
from ..helpers.term_admin import ADD_TERM, term_form
from ..helpers.wsgi import call_wsgi, connections_kept_open, environ_for

TERMS = "/api/v1/terms/"
INDEX = "/glossary/"
NOWHERE = "qqxzv blorptastic"  # no glossary word is anywhere near these


def counts() -> set[tuple[str, datetime.date, int, int]]:
    """What is stored once this process's buffer is written: (query, day, searches,
    results of the latest)."""
    counting.flush()
    return set(SearchCount.objects.values_list("query", "day", "searches", "results"))


@pytest.fixture
def term(db):
    return TermFactory(title="Mechanistic Interpretability", slug="mechanistic-interpretability")


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.mark.django_db
class TestCounting:
    def test_api_and_site_searches_are_counted_per_normalised_query_with_what_they_found(
        self, client, term
    ):
        today = timezone.localdate()

        assert client.get(TERMS, {"search": "Mechanistic"}).status_code == 200
        assert client.get(TERMS, {"search": "  mechanistic "}).status_code == 200
        assert client.get(INDEX, {"q": "MECHANISTIC"}).status_code == 200
        assert client.get(INDEX, {"q": f"{NOWHERE}\t"}).status_code == 200

        assert counts() == {("mechanistic", today, 3, 1), (NOWHERE, today, 1, 0)}

    def test_the_rows_hold_only_the_query_day_count_and_result_count_whoever_searched(
        self, client, term
    ):
        reader = UserFactory(username="ada-reader", email="ada@example.com")
        client.force_login(reader)
        client.cookies["tracking"] = "cookie-value-4711"
        headers = {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "Agent/7.1"}

        client.get(INDEX, {"q": "mechanistic"}, **headers)
        client.get(TERMS, {"search": "mechanistic"}, **headers)
        counting.flush()

        columns = {
            column.name
            for column in connection.introspection.get_table_description(
                connection.cursor(), SearchCount._meta.db_table
            )
        }
        assert columns == {"id", "query", "day", "searches", "results"}
        [row] = SearchCount.objects.values_list("query", "day", "searches", "results")
        assert row == ("mechanistic", timezone.localdate(), 2, 1)
        stored = " ".join(str(value) for value in row)
        session_key = client.session.session_key
        for personal in ("ada", "198.51.100.23", "Agent", "4711", session_key):
            assert personal not in stored

    def test_staff_searches_and_refused_searches_are_not_counted(self, client, editor, term):
        assert client.get(TERMS, {"search": "mechanistic", "colour": "red"}).status_code == 400
        assert client.get(TERMS, {"search": "x" * 201}).status_code == 400
        assert client.get(INDEX, {"q": "mechanistic", "letter": "Q1"}).status_code == 400
        client.force_login(editor)
        assert client.get(TERMS, {"search": "mechanistic"}).status_code == 200
        assert client.get(INDEX, {"q": "mechanistic"}).status_code == 200

        assert counts() == set()

    def test_a_long_query_is_counted_by_its_first_100_characters(self, client, term):
        query = "mechanistic " + "interpretability " * 11  # 199 characters

        client.get(TERMS, {"search": query})

        [(stored, *_rest)] = counts()
        assert len(stored) == 100
        assert query.startswith(stored)

    def test_counts_written_in_several_batches_add_up_and_keep_the_latest_result_count(self):
        counting.record_search("Fine tuning", 0)
        counting.flush()
        counting.record_search("fine  TUNING", 2)
        counting.record_search("fine tuning", 1)
        counting.record_search(" \x00 ", 5)  # nothing to count

        assert counts() == {("fine tuning", timezone.localdate(), 3, 1)}

    def test_a_full_buffer_still_counts_the_queries_it_holds_and_says_it_drops_new_ones(
        self, settings, caplog
    ):
        settings.SEARCH_COUNT_BUFFER_SIZE = 2
        with caplog.at_level(logging.WARNING, logger="glossary.search"):
            for query in ("rag", "llm", "embedding", "rag", "tokens"):
                counting.record_search(query, 1)

        today = timezone.localdate()
        assert counts() == {("rag", today, 2, 1), ("llm", today, 1, 1)}
        assert caplog.text.count("The search count buffer is full (2 queries)") == 1
        counting.record_search("embedding", 1)  # room again once written
        assert ("embedding", today, 1, 1) in counts()

    def test_when_the_database_refuses_the_counts_searches_still_answer_and_the_loss_is_logged(
        self, client, term, caplog
    ):
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE terms_searchcount RENAME TO terms_searchcount_gone")

        assert client.get(TERMS, {"search": "mechanistic"}).status_code == 200
        assert client.get(INDEX, {"q": NOWHERE}).status_code == 200
        with caplog.at_level(logging.WARNING, logger="glossary.search"):
            assert counting.flush() == 0

        assert "Search counts lost: 2 searches of 2 queries" in caplog.text
        assert counting.flush() == 0  # dropped, not retried


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_api_search_answered_from_the_response_cache_is_counted_each_time(
    client, settings, django_assert_num_queries
):
    # Committed for real: a response built in a transaction that changed content is never
    # stored. Both doors of the cache: Django's middleware and the WSGI fast path.
    settings.API_RESPONSE_CACHE = True
    SiteSettings.load()
    TermFactory(title="Mechanistic Interpretability")
    query = "search=mechanistic"

    cached(client, f"{TERMS}?{query}", django_assert_num_queries)
    with connections_kept_open(), django_assert_num_queries(0):
        fast_path = [
            call_wsgi(application, environ_for(TERMS, query=query, host="testserver"))
            for _ in range(2)
        ]

    assert [status for status, _headers, _body in fast_path] == [200, 200]
    assert counts() == {("mechanistic", timezone.localdate(), 4, 1)}


@pytest.mark.django_db
class TestRetention:
    def test_the_purge_deletes_the_days_past_the_retention_and_dry_run_only_counts(self, settings):
        settings.SEARCH_COUNT_RETENTION_DAYS = 180
        for days in (0, 180, 181, 400):
            SearchCount.objects.create(query="rag", day=days_ago(days), searches=1)

        out = StringIO()
        call_command("purge_search_counts", "--dry-run", stdout=out)
        assert "Would delete 2 search counts" in out.getvalue()
        assert SearchCount.objects.count() == 4

        call_command("purge_search_counts", stdout=out)
        assert "Deleted 2 search counts" in out.getvalue()
        assert sorted(SearchCount.objects.values_list("day", flat=True)) == [
            days_ago(180),
            days_ago(0),
        ]

        call_command("purge_search_counts", "--older-than", "1", verbosity=0, stdout=out)
        assert list(SearchCount.objects.values_list("day", flat=True)) == [days_ago(0)]


def stored(query: str, *days_searches_results: tuple[int, int, int]) -> None:
    for days, searches, results in days_searches_results:
        SearchCount.objects.create(
            query=query, day=days_ago(days), searches=searches, results=results
        )


@pytest.mark.django_db
class TestSearchesReport:
    @pytest.fixture(autouse=True)
    def searches(self, db):
        stored("rag", (0, 5, 3), (3, 4, 3))
        stored("vector database", (1, 6, 0), (20, 50, 0))
        stored("agentic ai", (2, 2, 0))
        stored("mixture of experts", (6, 1, 0), (4, 1, 2))  # found it at last
        stored("long ago", (100, 90, 0))

    def test_the_report_shows_the_top_searches_and_those_without_results_in_the_period(
        self, editor_client
    ):
        response = editor_client.get(REPORT, {"period": "7"})

        assert response.status_code == 200
        top = report_table(response, "top-searches")
        assert [(row.query, row.times, row.results) for row in top] == [
            ("rag", 9, 3),
            ("vector database", 6, 0),
            ("agentic ai", 2, 0),
            ("mixture of experts", 2, 2),
        ]
        assert top[0].last_searched == days_ago(0).isoformat()
        unfound = report_table(response, "searches-without-results")
        assert [(row.query, row.times, row.last_searched) for row in unfound] == [
            ("vector database", 6, days_ago(1).isoformat()),
            ("agentic ai", 2, days_ago(2).isoformat()),
        ]

        longer = editor_client.get(REPORT, {"period": "30"})
        assert [row.query for row in report_table(longer, "searches-without-results")] == [
            "vector database",
            "agentic ai",
        ]
        assert report_table(longer, "searches-without-results")[0].times == 56

    def test_a_period_from_one_day_to_another_includes_both_and_is_checked(self, editor_client):
        response = editor_client.get(
            REPORT,
            {"period": "dates", "since": days_ago(100).isoformat(), "until": days_ago(20)},
        )
        assert [row.query for row in report_table(response, "top-searches")] == [
            "long ago",
            "vector database",
        ]

        backwards = editor_client.get(
            REPORT, {"period": "dates", "since": days_ago(1), "until": days_ago(5)}
        )
        assert period_errors(backwards) == {"until": ["The last day must not be before the first."]}
        assert "top-searches" not in backwards.content.decode()
        assert period_errors(editor_client.get(REPORT, {"period": "dates"})) == {
            "since": ["Choose the first day of the period."]
        }
        assert "period" in period_errors(editor_client.get(REPORT, {"period": "365"}))
        assert "since" in period_errors(
            editor_client.get(REPORT, {"period": "dates", "since": "2026-02-30"})
        )

    def test_only_editors_see_the_report_and_its_link_on_their_dashboard(
        self, editor_client, advisory_member
    ):
        assert editor_client.get(REPORT).status_code == 200
        assert f'href="{REPORT}"' in editor_client.get("/admin/").content.decode()
        row = SearchCount.objects.get(query="rag", day=days_ago(0))
        assert editor_client.get(f"{REPORT}{row.pk}/change/").status_code == 200  # read-only
        assert editor_client.get(f"{REPORT}add/").status_code == 403

        team = Client()
        team.force_login(advisory_member)
        assert team.get(REPORT).status_code == 403
        assert f'href="{REPORT}"' not in team.get("/admin/").content.decode()
        assert Client().get(REPORT).status_code == 302  # to the login page

    def test_create_a_term_from_a_search_opens_the_add_form_titled_with_it_and_saves_a_draft(
        self, editor_client
    ):
        category = CategoryFactory()
        report = editor_client.get(REPORT)
        [row] = [
            r for r in report_table(report, "searches-without-results") if r.query == "agentic ai"
        ]
        assert row.create_url.startswith(ADD_TERM)

        form = editor_client.get(row.create_url)
        assert form.status_code == 200
        initial = form.context["adminform"].form.initial
        assert (initial["title"], initial["slug"]) == ("agentic ai", "agentic-ai")

        saved = editor_client.post(
            ADD_TERM, term_form(category, title="agentic ai", slug="agentic-ai")
        )
        assert saved.status_code == 302
        draft = Term.objects.get(slug="agentic-ai")
        assert (draft.title, draft.status) == ("agentic ai", Term.Status.DRAFT)
