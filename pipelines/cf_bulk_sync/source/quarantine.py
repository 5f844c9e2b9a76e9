"""Items that cannot be loaded as declared, found in one place for every page of messages.

A page reaches the warehouse by one of two paths (see `arrow_pages`): the Arrow fast path takes
only pages whose every value has the documented type (and valid UTF-8), and declines anything
else; a declined page is parsed the ordinary way and each of its items is judged here before it
goes anywhere. So no item that would fail dlt's normaliser or the destination (a number past 64
bits, a text with invalid UTF-8, nesting past `MAX_NESTING`, a missing or malformed key, an item
that is not an object) reaches a load package: it would fail it for good, on every run. Such an
item is set aside as a row of `bulk_job_messages_rejected` naming the job, the field and the
reason, with the raw text, and the rest of the page loads.
"""

import hashlib
import json
import math
from typing import Any

from .settings import MAX_NESTING, REJECTED_RAW_CHARS

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ITEM = "(item)"  # the field named when the item as a whole is wrong


def problem(item: Any, key: str, whole: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """The first reason `item` cannot be loaded, as (field, what is wrong); None when it can.
    `key` is the field that identifies it (`message_id`, `job_id`): it must be a non-empty
    text. `whole` names the fields declared `bigint`: a number there must fit 64 bits even
    when the parser made it a float (orjson reads integers past 64 bits as floats)."""
    if not isinstance(item, dict):
        return ITEM, f"not an object but {_json_type(item)}"
    value = item.get(key)
    if value is None or value == "":
        return key, "missing key"
    if not isinstance(value, str):
        return key, f"malformed key: {_json_type(value)}, not a string"
    for name in whole:
        number = item.get(name)
        if isinstance(number, float) and not INT64_MIN <= number <= INT64_MAX:
            return name, f"number {number:g} out of the 64-bit integer range"
    return _first_bad_value(item)


def rejected_row(
    item: Any, account_id: str, job_id: str, field: str, reason: str
) -> dict[str, Any]:
    """The row of `bulk_job_messages_rejected` for one item: keyed by a hash of the job and the
    raw text (the same item seen again is one row), with the item as JSON when it can be stored
    as such (a key problem), and always its raw text, escaped and cut."""
    raw = raw_text(item)
    key = item.get("message_id") if isinstance(item, dict) else None
    return {
        "rejected_id": hashlib.sha256(f"{job_id}\n{raw}".encode()).hexdigest(),
        "account_id": account_id,
        "job_id": job_id,
        # when the item names its message: a later page loading that message supersedes this
        # row (see stg_bulk_job_messages_rejected)
        "message_id": key if isinstance(key, str) and key and key.isprintable() else None,
        "field": field,
        "reason": f"{field}: {reason}",
        "raw": raw[:REJECTED_RAW_CHARS],
        # only what a JSON column can hold: a value problem is why the item failed
        "item": item if field == ITEM or _first_bad_value(item) is None else None,
    }


def raw_text(item: Any) -> str:
    """The item as JSON text, ASCII only: invalid UTF-8 (kept as surrogates by the lenient
    parse, see envelope) shows as `\\udcXX` escapes, and nesting of any depth is written."""
    try:
        return json.dumps(item, ensure_ascii=True, sort_keys=True, default=str)
    except (RecursionError, ValueError):
        return repr(item).encode("ascii", "backslashreplace").decode("ascii")


def _first_bad_value(item: Any) -> tuple[str, str] | None:
    """Walks the item without recursion (the nesting is what may be wrong)."""
    stack: list[tuple[str, Any, int]] = [("", item, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_NESTING:
                return _top(path), f"nested deeper than {MAX_NESTING} levels"
            for name, child in value.items():
                stack.append((f"{path}.{name}" if path else str(name), child, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_NESTING:
                return _top(path), f"nested deeper than {MAX_NESTING} levels"
            for n, child in enumerate(value):
                stack.append((f"{path}[{n}]", child, depth + 1))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                shown = str(value) if len(str(value)) <= 30 else f"{str(value)[:27]}..."
                return path, f"number {shown} out of the 64-bit integer range"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path, f"number {value} is not finite"
        elif isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return path, "text with invalid UTF-8 bytes"
    return None


def _top(path: str) -> str:
    """The documented field a deep path starts from (`message` for `message.a.a.a...`)."""
    return path.split(".")[0].split("[")[0] or ITEM


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
