"""CSV files the admin hands out (inquiries, the audit log), safe to open in a spreadsheet."""


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text: formulas from visitors must not run."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class Echo:
    """A file-like object whose write() hands the line back: csv.writer over it yields
    each row as text, for a StreamingHttpResponse (Django's documented recipe)."""

    def write(self, value: str) -> str:
        return value
