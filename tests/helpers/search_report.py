"""Reading the editors' "Searches" report (templates/admin/terms/searchcount/report.html)."""

import html
import re
from dataclasses import dataclass

from django.urls import reverse

REPORT = reverse("admin:terms_searchcount_changelist")

ROW = re.compile(
    r'<th scope="row" class="search-query">(?P<query>[^<]*)</th>\s*'
    r'<td class="search-times">(?P<times>\d+)</td>\s*'
    r'<td class="search-last"><time datetime="(?P<last>[\d-]+)">[^<]*</time></td>\s*'
    r'<td class="search-results">(?P<results>\d+)</td>\s*'
    r'(?:<td><a class="button create-term" href="(?P<create>[^"]+)">)?'
)
FIELD_ROW = re.compile(
    r'<div class="form-row field-(?P<field>\w+)">\s*(?P<errors><ul class="errorlist.*?</ul>)?',
    re.DOTALL,
)


@dataclass(frozen=True)
class ReportRow:
    query: str
    times: int
    last_searched: str  # YYYY-MM-DD
    results: int
    create_url: str | None  # "Create a term from this search"


def report_table(response, table_id: str) -> list[ReportRow]:
    """The rows of one table ("top-searches", "searches-without-results"), in order."""
    page = response.content.decode()
    start = page.index(f'<div class="module" id="{table_id}">')
    end = page.find('<div class="module"', start + 1)
    section = page[start : end if end != -1 else len(page)]
    return [
        ReportRow(
            html.unescape(match["query"]),
            int(match["times"]),
            match["last"],
            int(match["results"]),
            html.unescape(match["create"]) if match["create"] else None,
        )
        for match in ROW.finditer(section)
    ]


def period_errors(response) -> dict[str, list[str]]:
    """The messages shown next to each field of the period chooser."""
    errors = {}
    for match in FIELD_ROW.finditer(response.content.decode()):
        if match["errors"]:
            errors[match["field"]] = [
                html.unescape(text) for text in re.findall(r"<li>(.*?)</li>", match["errors"])
            ]
    return errors
