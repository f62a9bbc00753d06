"""Watching a browser context for what the Content-Security-Policy (and the rest of the
site's promises to the browser) would show as a problem, for the browser tests."""

from playwright.sync_api import BrowserContext

# One part of the policy is enough to tell it is the site's own (settings.py).
OUR_POLICY = "frame-ancestors 'none'"

WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `on ${event.documentURI} (${event.sourceFile || ""}:${event.lineNumber})`
  );
});
"""


class Watch:
    """What went wrong in one browser context (one person's tabs, popups included):
    policy violations, console errors, uncaught page errors, documents that came without
    the policy and requests that left the site."""

    def __init__(self, context: BrowserContext, site: str):
        self.site = site
        self.expected_statuses: set[int] = set()  # failures a test provokes on purpose
        self.problems: list[str] = []
        self.documents: list[str] = []
        context.expose_binding("reportViolation", lambda _source, text: self.note(text))
        context.add_init_script(WATCH_VIOLATIONS)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.note(f"page error: {error.error}"))
        context.on("request", self._request)
        context.on("response", self._response)

    def note(self, problem: str) -> None:
        self.problems.append(problem)

    def _console(self, message) -> None:
        # A failed load is reported with its address by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.note(f"console error: {message.text}")

    def _request(self, request) -> None:
        if not request.url.startswith((self.site, "data:", "blob:")):
            self.note(f"request outside the site: {request.url}")

    def _response(self, response) -> None:
        # The admin names no icon, so the browser asks for /favicon.ico (404).
        expected = response.status in self.expected_statuses
        if response.status >= 400 and not expected and not response.url.endswith("/favicon.ico"):
            self.note(f"{response.status} for {response.url}")
        if response.request.resource_type != "document":
            return
        self.documents.append(response.url)
        if OUR_POLICY not in (response.headers.get("content-security-policy") or ""):
            self.note(f"no Content-Security-Policy on {response.url}")
