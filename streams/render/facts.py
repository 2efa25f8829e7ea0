"""Turning a JSON value (a tool's result, an event's data) into short ``key: value`` lines.

This is the default body of every rendered message: nested keys are dotted
(``shipping.carrier: UPS``), lists of plain values are comma-joined, and the
output is bounded in lines and characters. Line breaks inside values become
spaces, so a field's text can never start a line of its own (and so can never
pass itself off as a bracketed headline or an instruction).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

MAX_LINES = 30
MAX_VALUE_CHARS = 300
MAX_DEPTH = 4


def one_line(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` as a single line of at most ``limit`` characters."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif value is None:
        text = "none"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _walk(prefix: str, value: Any, depth: int) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        if not value:
            return
        if depth >= MAX_DEPTH:
            yield prefix, "{…}"
            return
        for key, item in value.items():
            yield from _walk(f"{prefix}.{key}" if prefix else str(key), item, depth + 1)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if all(_is_scalar(item) for item in value):
            yield prefix, ", ".join(one_line(item) for item in value) if value else "none"
        elif depth >= MAX_DEPTH:
            yield prefix, "[…]"
        else:
            for index, item in enumerate(value):
                yield from _walk(f"{prefix}.{index}" if prefix else str(index), item, depth + 1)
    else:
        yield prefix, one_line(value)


def fact_pairs(value: Any) -> list[tuple[str, str]]:
    """The facts in ``value`` as ``(key, text)`` pairs (a bare value as ``result``), bounded."""
    if value is None or (isinstance(value, dict | list) and not value):
        return []
    pairs: list[tuple[str, str]] = []
    for key, text in _walk("", value, 0):
        if len(pairs) == MAX_LINES:
            pairs.append(("", "(more details omitted)"))
            break
        pairs.append((key or "result", text))
    return pairs


def line(key: str, text: str) -> str:
    """One fact as its line (the bound's marker has no key)."""
    return f"{key}: {text}" if key else text


def fact_lines(value: Any) -> list[str]:
    """The facts in ``value`` as ``key: value`` lines (a bare value as ``result: ...``)."""
    return [line(key, text) for key, text in fact_pairs(value)]


def identifiers(values: Mapping[str, Any]) -> str:
    """The plain-valued entries of ``values`` as ``name value`` pairs, comma-separated."""
    parts = [
        f"{one_line(name, 60)} {one_line(value, 120)}"
        for name, value in values.items()
        if _is_scalar(value) and value not in (None, "")
    ]
    return ", ".join(parts[:8])
