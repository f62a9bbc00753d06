"""Reading a server-rendered page the way a reader or a crawler does."""

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Element:
    """An element with a class: its text as read (white space collapsed) and its links."""

    text: str = ""
    hrefs: list[str] = field(default_factory=list)

    def read(self) -> str:
        return " ".join(self.text.split())


class Page(HTMLParser):
    """What a reader (or a crawler) finds in a page: headings, metadata, JSON-LD, links,
    buttons (each element's attributes)."""

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.meta: dict[str, str] = {}
        self.links: list[dict] = []
        self.buttons: list[dict] = []
        self.json_ld: list[str] = []
        self.tags: list[str] = []
        self.canonical = None
        self.by_class: dict[str, list[Element]] = {}
        self._open: list[tuple[str, list[str], Element]] = []
        self._heading = None
        self._script = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "a":
            for _tag, _classes, element in self._open:
                element.hrefs.append(attrs.get("href"))
        if tag not in VOID_ELEMENTS:
            self._open.append((tag, (attrs.get("class") or "").split(), Element()))
        if tag in {"h1", "h2", "h3"}:
            self._heading = [tag, ""]
        elif tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta[key] = attrs.get("content", "")
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs["href"]
        elif tag == "a":
            self.links.append(attrs)
        elif tag == "button":
            self.buttons.append(attrs)
        elif tag == "script":
            self._script = [attrs.get("type"), ""]

    def handle_endtag(self, tag):
        while self._open and tag in (open_tag for open_tag, _c, _e in self._open):
            open_tag, classes, element = self._open.pop()
            for name in classes:
                self.by_class.setdefault(name, []).append(element)
            if open_tag == tag:
                break
        if self._heading and tag == self._heading[0]:
            self.headings.append((tag, " ".join(self._heading[1].split())))
            self._heading = None
        elif tag == "script" and self._script:
            if self._script[0] == "application/ld+json":
                self.json_ld.append(self._script[1])
            self._script = None

    def handle_data(self, data):
        for _tag, _classes, element in self._open:
            element.text += data
        if self._heading:
            self._heading[1] += data
        if self._script:
            self._script[1] += data

    def graph(self) -> dict:
        assert len(self.json_ld) == 1, self.json_ld
        return json.loads(self.json_ld[0])

    def of_type(self, kind: str) -> list[dict]:
        return [node for node in self.graph()["@graph"] if node["@type"] == kind]

    def hrefs(self) -> list[str]:
        return [link.get("href") for link in self.links]


def get_page(client, path: str, params=None, status: int = 200):
    response = client.get(path, params or {})
    assert response.status_code == status, response.content[:2000]
    return response.content.decode(), Page(response.content.decode())


def listed(page: Page) -> list[str]:
    return [text for tag, text in page.headings if tag == "h3"]
