"""Request parsers (DRF's DEFAULT_PARSER_CLASSES). A module of its own: DRF imports it while
loading its settings, before `rest_framework.views` (which `core.api` needs) exists."""

from typing import Any

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, but a body nested deeper than Python's json module can recurse (`[` repeated
    100,000 times) is a 400 like any other malformed JSON, not a RecursionError and a 500."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
