"""Text from the API made safe to show: used by the sync's messages and by the reading
commands, so it lives apart from both (a reader need not import the source's helpers)."""

from typing import Any


def printable(value: Any, limit: int = 120) -> str:
    """A value from the API made safe to show in one line: control characters escaped (no
    forged lines, no terminal escapes) and cut at `limit` characters."""
    text = repr(value) if not isinstance(value, str) else value
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit - 1] + "…"
