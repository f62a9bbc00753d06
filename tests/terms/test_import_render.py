"""Rendering a big import's Markdown ahead in a second process (terms/imports/render.py)."""

import multiprocessing

from terms.imports.render import AHEAD_MIN_TEXTS, Renderer
from terms.markdown import render_markdown


def test_texts_rendered_ahead_are_rendered_as_render_markdown_renders_them_and_the_process_stops():
    texts = [
        f"**Term {number}** links [out](https://example.org/{number})."
        for number in range(AHEAD_MIN_TEXTS)
    ]
    texts += ["| a | b |\n|---|---|\n| 1 | 2 |", "1. one\n2. two", "<script>x</script>"]

    with Renderer(texts) as render:
        assert render.pool is not None
        html = [render(text) for text in texts]
        assert render("Not given *ahead*.") == render_markdown("Not given *ahead*.")

    assert html == [render_markdown(text) for text in texts]
    assert multiprocessing.active_children() == []


def test_a_small_import_renders_in_its_own_process():
    with Renderer(["*one*", "*two*"]) as render:
        assert render.pool is None
        assert render("*one*") == render_markdown("*one*")
