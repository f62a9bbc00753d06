import json
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (never 500) for what Python's json raises on or
    lets through: nesting deeper than the interpreter's recursion limit (RecursionError),
    bytes that are not UTF-8 (RFC 8259 8.1: JSON between systems is UTF-8, whatever a
    charset parameter claims; a codec such as rot13 cannot even read bytes), and lone
    surrogates ("\\ud800"), which are not characters: they can be neither hashed, stored
    nor written back as UTF-8."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            text = stream.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError(
                f"JSON parse error - the body is not UTF-8 (byte {error.start})."
            ) from error
        try:
            data = json.loads(text, parse_constant=json_strict_constant)
        except RecursionError as error:
            raise ParseError("JSON parse error - nested too deeply.") from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        if _has_lone_surrogate(data):
            raise ParseError(
                "JSON parse error - a \\u escape is a lone surrogate (\\ud800 to \\udfff), "
                "which is not a character."
            )
        return data


def json_strict_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _has_lone_surrogate(data) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
