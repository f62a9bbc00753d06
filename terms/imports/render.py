"""Rendering the Markdown of a big import ahead, in a second process.

Rendering is the write pass's largest piece of pure computation (Python-Markdown, about a
third of a millisecond a text), and while the pass waits for the database one core sits
idle. For a file with many texts to render, a second process renders them in the order
the writer needs them, from the last: the writer renders from the first, and takes the
HTML the second process has finished where they meet. Neither ever waits for the other.

The second process is started fresh ("spawn": nothing of this process, its threads or its
database connection is inherited) and always stopped when the pass ends.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor

from terms.markdown import render_markdown

logger = logging.getLogger(__name__)

# Below this many texts (a few seconds of rendering) a second process costs more to start
# (about a second on a busy machine) than it saves.
AHEAD_MIN_TEXTS = 10000
CHUNK = 250


def render_texts(texts: list[str]) -> list[str]:
    """The HTML of each text (run in the second process)."""
    return [str(render_markdown(text)) for text in texts]


class Renderer:
    """``renderer(text)`` is ``render_markdown(text)``, taken from the second process when
    ``text`` was given ahead (in the order the writer will ask for it)."""

    def __init__(self, ahead: Iterable[str] = ()):
        texts = list(dict.fromkeys(text for text in ahead if text))
        self.pool: ProcessPoolExecutor | None = None
        self.chunks: list[list[str]] = []
        self.futures: list[Future | None] = []
        self.where: dict[str, int] = {}
        self.done: dict[str, str] = {}
        if len(texts) < AHEAD_MIN_TEXTS:
            return
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            for text in chunk:
                self.where[text] = len(self.chunks)
            self.chunks.append(chunk)
        self.futures = [None] * len(self.chunks)
        try:
            self.pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
            for number in reversed(range(len(self.chunks))):
                self.futures[number] = self.pool.submit(render_texts, self.chunks[number])
        except (OSError, RuntimeError):  # no second process here: render everything here
            logger.warning("Markdown is rendered in this process alone.", exc_info=True)
            self.close()
            self.where.clear()

    def __call__(self, text: str) -> str:
        if text in self.done:
            return self.done.pop(text)
        number = self.where.pop(text, None)
        if number is None:
            return render_markdown(text)
        future, chunk = self.futures[number], self.chunks[number]
        if (
            future is not None
            and future.done()
            and not future.cancelled()
            and future.exception() is None
        ):
            html = future.result()
        else:
            if future is not None:
                future.cancel()  # if it has not started
            html = render_texts(chunk)
        for other in chunk:
            self.where.pop(other, None)
        self.done.update(zip(chunk, html, strict=True))
        return self.done.pop(text)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)  # the process is stopped
            self.pool = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
