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
