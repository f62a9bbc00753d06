"""Reading the editors' dashboard on the admin index (templates/admin/terms/dashboard.html)."""

import html
import re
from dataclasses import dataclass

PANEL = re.compile(
    r'<li class="dashboard-panel[^"]*" id="dashboard-(?P<key>[\w-]+)">\s*'
    r'<a class="dashboard-link" href="(?P<url>[^"]+)">\s*'
    r'<span class="dashboard-count">(?P<count>\d+)</span>\s*'
    r'<span class="dashboard-title">(?P<title>[^<]+)</span>'
)


@dataclass(frozen=True)
class Panel:
    count: int
    title: str
    url: str


def dashboard_panels(response) -> dict[str, Panel]:
    """The dashboard's panels by key ("mine", "review", "missing"…); empty without one."""
    return {
        match["key"]: Panel(
            int(match["count"]), html.unescape(match["title"]), html.unescape(match["url"])
        )
        for match in PANEL.finditer(response.content.decode())
    }


RECENT_ROW = re.compile(
    r'<li><a href="(?P<url>[^"]+)">(?P<title>[^<]+)</a>\s*'
    r'<span class="dashboard-who">(?P<who>[^<]*)<time'
)
RECENT_LIST = re.compile(r'<p><a href="(?P<url>[^"]+)">All terms, last changed first</a></p>')
NOTE = re.compile(
    r'<p class="dashboard-note"><a href="(?P<url>[^"]+)">Most often: (?P<part>[^(]+) '
    r"\((?P<count>\d+)\)</a></p>"
)


@dataclass(frozen=True)
class RecentRow:
    title: str
    url: str
    who: str


def recently_changed(response) -> tuple[list[RecentRow], str]:
    """The "Recently changed" rows, and the address of the list they begin."""
    recent = response.content.decode().split('id="dashboard-recent"', 1)[1]
    rows = [
        RecentRow(html.unescape(match["title"]), match["url"], match["who"].strip(" ,"))
        for match in RECENT_ROW.finditer(recent)
    ]
    return rows, html.unescape(RECENT_LIST.search(recent)["url"])


def commonest_missing_part(response) -> tuple[str, int, str]:
    """The missing-parts panel's note: the part, how many lack it, and the link."""
    match = NOTE.search(response.content.decode())
    return match["part"], int(match["count"]), html.unescape(match["url"])
