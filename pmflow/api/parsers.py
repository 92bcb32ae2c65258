"""The API's one request parser: JSON with bounded size and nesting depth.

DRF's ``JSONParser`` hands the body to ``json.load``, whose C scanner recurses once per nesting
level: ``[[[[…]]]]`` a hundred thousand deep raised ``RecursionError`` (a 500) on every JSON
endpoint, the unauthenticated token endpoint included. Here the body is read once (its size is
already bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``: Django refuses a longer one, and the error
handler answers 413 in the API's error body), decoded as UTF-8, parsed, and any value nested deeper
than ``MAX_JSON_DEPTH`` is refused; every failure is a ``ParseError`` (400, code ``invalid``).
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: Containers (objects and arrays) allowed inside one another; no body of this API needs more than
#: a handful. The C scanner's own limit (the interpreter's recursion limit) is far above this.
MAX_JSON_DEPTH = 64


def _strict_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` holds containers nested more than ``limit`` deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class BoundedJSONParser(JSONParser):
    """``application/json`` only; UTF-8; depth ≤ ``MAX_JSON_DEPTH``; NaN/Infinity refused."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            raise ParseError(_("请求体不是有效的 UTF-8 文本。"))
        try:
            data = json.loads(text, parse_constant=_strict_constant)
        except RecursionError:
            raise ParseError(_("JSON 嵌套层数过多（最多 %(n)d 层）。") % {"n": MAX_JSON_DEPTH})
        except ValueError as exc:
            raise ParseError(_("JSON 格式错误：%(e)s") % {"e": exc})
        if isinstance(data, (dict, list)) and json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(_("JSON 嵌套层数过多（最多 %(n)d 层）。") % {"n": MAX_JSON_DEPTH})
        return data
