"""What a person does in the admin, for the browser tests (tests/browser/)."""

from playwright.sync_api import Locator, Page, expect

PASSWORD = "a-long-test-password"  # tests.factories.UserFactory's


def log_in(page: Page, user, password: str = PASSWORD) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username:", exact=True).fill(user.username)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("heading", level=1, name="Glossary and advisory inquiries")
    ).to_be_visible()


def choose(page: Page, widget: Locator, search: str, option: str) -> None:
    """Pick ``option`` in the admin's autocomplete (select2) widget inside ``widget``, the
    way a person does: open it, type, click the suggestion."""
    widget.get_by_role("combobox").click()
    page.keyboard.type(search)
    page.get_by_role("option", name=option, exact=True).click()
