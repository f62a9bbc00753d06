"""Whether an admin page fits its window, for the browser tests (tests/browser/)."""

from playwright.sync_api import Locator, Page

# What a person would have to scroll sideways to see: the document wider than the
# window, an element of the page's content reaching past the window's right edge, or a
# box that scrolls sideways (Django wraps the list's table in one) with content cut off.
# Form controls are left out (a long value scrolls inside its own box), and so are
# visually hidden elements (1 px boxes that clip their text on purpose).
FIND_OVERFLOW = """() => {
  const width = window.innerWidth;
  const found = [];
  const name = (element) => element.tagName.toLowerCase()
    + (element.id ? "#" + element.id : "")
    + (typeof element.className === "string" && element.className.trim()
       ? "." + element.className.trim().split(/\\s+/).join(".") : "");
  if (document.documentElement.scrollWidth > width) {
    found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  }
  for (const element of document.querySelectorAll("#content *")) {
    if (element.closest("input, textarea, select, .visually-hidden, .select2-hidden-accessible")) {
      continue;
    }
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5) {
      found.push(`${name(element)} reaches ${Math.round(box.right)} px`);
    }
    const overflow = getComputedStyle(element).overflowX;
    if (overflow !== "visible" && element.clientWidth > 1
        && element.scrollWidth > element.clientWidth + 1) {
      found.push(`${name(element)} cuts off ${element.scrollWidth - element.clientWidth} px`);
    }
  }
  return found;
}"""

# The right edge of what can be seen of an element: the window's, or that of a box
# around it that clips what runs past it.
VISIBLE_RIGHT_EDGE = """(element) => {
  const right = element.getBoundingClientRect().right;
  let edge = window.innerWidth;
  for (let box = element.parentElement; box; box = box.parentElement) {
    if (getComputedStyle(box).overflowX !== "visible") {
      edge = Math.min(edge, box.getBoundingClientRect().left + box.clientLeft + box.clientWidth);
    }
  }
  return {right, edge};
}"""


def horizontal_overflow(page: Page) -> list[str]:
    """What runs past the window's width on this page (empty when it all fits)."""
    return page.evaluate(FIND_OVERFLOW)


def cut_off_by(locator: Locator) -> float:
    """How many pixels of the element's right side are out of sight (0 when it is all
    within the window and any box that clips it)."""
    edges = locator.evaluate(VISIBLE_RIGHT_EDGE)
    return max(0.0, round(edges["right"] - edges["edge"], 1))
