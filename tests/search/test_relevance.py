"""manage.py search_relevance: a judged set scored on the current database, printed as a
reader of the report sees it; bad judged sets are a clear error, not a traceback."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from terms.models import Term

from ..factories import TermFactory

pytestmark = pytest.mark.django_db

# With the terms below: two queries find their term first, one second (a title match
# outranks a match in the summary), and nothing in the glossary is near "xylophone".
JUDGEMENTS = [
    {"query": "gradient descent", "expected": "gradient-descent", "kind": "title"},
    {"query": "learning rate", "expected": "learning-rate", "kind": "title"},
    {"query": "gradient", "expected": "learning-rate", "kind": "summary"},
    {"query": "xylophone", "expected": "learning-rate", "kind": "unknown-word"},
]


@pytest.fixture(autouse=True)
def glossary():
    TermFactory(
        title="Gradient Descent",
        slug="gradient-descent",
        summary="An optimisation method that follows the slope downhill.",
    )
    TermFactory(
        title="Learning Rate",
        slug="learning-rate",
        summary="How big a step gradient descent takes on each update.",
    )
    # A draft that every query above would find, were drafts searched.
    TermFactory(
        title="Gradient Clipping",
        slug="gradient-clipping",
        summary="Capping the gradient of a learning rate schedule.",
        status=Term.Status.DRAFT,
    )


def judged_set_file(tmp_path, judgements=JUDGEMENTS):
    path = tmp_path / "judgements.json"
    path.write_text(json.dumps({"format": "judgements/1", "judgements": judgements}))
    return path


def search_relevance(*args) -> str:
    out = StringIO()
    call_command("search_relevance", *args, stdout=out)
    return out.getvalue()


def test_the_report_gives_recall_at_1_and_5_and_mean_reciprocal_rank_then_what_was_not_first(
    tmp_path,
):
    path = judged_set_file(tmp_path)

    assert search_relevance("--judgements", str(path)).splitlines() == [
        f"Search relevance on {connection.vendor}: 4 judged queries ({path})",
        "recall@1   0.500  (2/4)",
        "recall@5   0.750  (3/4)",
        "MRR@10    0.625",
        "recall@5 by kind: title 2/2, summary 1/1, unknown-word 0/1",
        "Not first (2):",
        '  [summary] "gradient" → learning-rate: rank 2 (first: gradient-descent)',
        '  [unknown-word] "xylophone" → learning-rate: not in the first 10 (first: nothing found)',
    ]


def test_verbosity_2_lists_every_query_with_its_rank(tmp_path):
    path = judged_set_file(tmp_path)

    listed = search_relevance("--judgements", str(path), "--verbosity", "2").splitlines()[5:]

    assert listed == [
        "Every query (4):",
        '  [title] "gradient descent" → gradient-descent: rank 1',
        '  [title] "learning rate" → learning-rate: rank 1',
        '  [summary] "gradient" → learning-rate: rank 2 (first: gradient-descent)',
        '  [unknown-word] "xylophone" → learning-rate: not in the first 10 (first: nothing found)',
    ]


def test_json_output_gives_the_scores_and_each_querys_rank_and_results(tmp_path):
    path = judged_set_file(tmp_path)

    report = json.loads(search_relevance("--judgements", str(path), "--json"))

    assert {key: report[key] for key in ("vendor", "queries", "recall_at_1", "recall_at_5")} == {
        "vendor": connection.vendor,
        "queries": 4,
        "recall_at_1": 0.5,
        "recall_at_5": 0.75,
    }
    assert report["mrr_at_10"] == 0.625
    assert report["recall_at_5_by_kind"] == {"title": 1.0, "summary": 1.0, "unknown-word": 0.0}
    assert [(r["query"], r["rank"]) for r in report["results"]] == [
        ("gradient descent", 1),
        ("learning rate", 1),
        ("gradient", 2),
        ("xylophone", None),
    ]
    assert report["results"][2]["found"] == ["gradient-descent", "learning-rate"]


def test_recall_at_5_below_the_required_value_is_an_error_after_the_report(tmp_path):
    path = judged_set_file(tmp_path)
    out = StringIO()

    with pytest.raises(CommandError, match=r"recall@5 is 0\.750, below the required 0\.800\."):
        call_command(
            "search_relevance",
            "--judgements",
            str(path),
            "--fail-under-recall-at-5",
            "0.8",
            stdout=out,
        )
    assert "recall@5   0.750  (3/4)" in out.getvalue()
    assert "recall@5   0.750" in search_relevance(
        "--judgements", str(path), "--fail-under-recall-at-5", "0.75"
    )


DUPLICATE = {"query": "Learning  rate", "expected": "learning-rate", "kind": "title"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", r"is not valid JSON \(line 1, column 2: "),
        (b'{"judgements": "caf\xe9"}', r"is not UTF-8 text\."),
        (b'{"judgements": []}', r'not a judged set \(expected "format": "judgements/1"\)'),
        (b'{"format": "judgements/1", "judgements": []}', r'"judgements" must be a non-empty'),
        (
            b'{"format": "judgements/1", "judgements": [{"query": "rate", "expected": "x"}]}',
            r"judgement 1: needs a non-empty query, expected \(a slug\) and kind",
        ),
        (
            json.dumps({"format": "judgements/1", "judgements": [*JUDGEMENTS, DUPLICATE]}).encode(),
            r'judgement 5: the query "Learning  rate" is judged twice',
        ),
    ],
)
def test_a_malformed_judged_set_is_an_error_saying_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "judgements.json"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        search_relevance("--judgements", str(path))


def test_a_judged_set_that_is_missing_is_an_error_naming_the_file(tmp_path):
    missing = tmp_path / "nowhere.json"

    with pytest.raises(CommandError, match=rf"Cannot read {missing}: No such file"):
        search_relevance("--judgements", str(missing))


@pytest.mark.parametrize("slug", ["gradient-decent", "gradient-clipping"])
def test_a_judgement_expecting_a_term_readers_cannot_find_is_an_error_naming_it(tmp_path, slug):
    path = judged_set_file(tmp_path, [{"query": "clipping", "expected": slug, "kind": "title"}])

    with pytest.raises(
        CommandError, match=rf'No published term has the slug {slug} \(judged for "clipping"'
    ):
        search_relevance("--judgements", str(path))


@pytest.mark.parametrize("value", ["1.5", "most"])
def test_a_required_recall_that_is_not_between_0_and_1_is_an_error(tmp_path, value):
    path = judged_set_file(tmp_path)

    with pytest.raises(CommandError, match="must be a number from 0 to 1"):
        search_relevance("--judgements", str(path), "--fail-under-recall-at-5", value)
