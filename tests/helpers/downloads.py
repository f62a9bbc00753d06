"""Reading a file the admin hands out for download."""

import csv
import io


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV download, streamed or not, without its byte-order mark."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text)))
