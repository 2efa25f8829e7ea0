"""A call id as one URL path segment, byte for byte as the official ``telnyx`` SDK encodes it.

The SDK (``telnyx._utils._path``) percent-encodes a path placeholder keeping
RFC 3986's ``pchar`` characters as they are: the unreserved ``A-Z a-z 0-9 - .
_ ~``, the sub-delims ``! $ & ' ( ) * + , ; =``, ``:`` and ``@``. Everything
else becomes UTF-8 percent escapes in upper-case hex, ``/`` and ``%``
included, and a ``.`` or ``..`` segment is refused. Every Telnyx call id
contains ``:``; a remote, gateway or proxy that routes on the raw path must see
from callstream the bytes it sees from the SDK, or it answers 404 for a live
call (the injector's ``call_ended``: every message silently dropped).

``encode_segment`` is the encoder; ``decode_segment`` is its strict inverse,
for the emulator: the id a raw segment stands for, or ``ValueError`` when the
SDK would never have sent that segment. Pure functions, no I/O; the table in
``tests/unit/test_pathsegment.py`` holds them to the SDK's own encoder.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

# What the SDK keeps besides the unreserved characters, which quote() always keeps.
SDK_SAFE = "!$&'()*+,;=:@"
_DOT_SEGMENTS = frozenset({".", ".."})


def encode_segment(value: str) -> str:
    """``value`` percent-encoded as one path segment, exactly as the SDK does it.

    ``ValueError`` for what the SDK refuses: an empty value, ``.`` or ``..``,
    and text that is not encodable as UTF-8 (a lone surrogate).
    """
    if not value:
        raise ValueError("a path segment may not be empty")
    if value in _DOT_SEGMENTS:
        raise ValueError(f"{value!r} is a dot segment, which the SDK refuses")
    return quote(value, safe=SDK_SAFE)


def decode_segment(raw: str) -> str:
    """The value the SDK would have encoded as ``raw``; ``ValueError`` if it never would.

    Refused: escapes the SDK does not write (lower-case hex, an escaped
    character it keeps as it is), characters it would have escaped, escapes
    that are not UTF-8, and dot segments.
    """
    try:
        value = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{raw!r} percent-encodes bytes that are not UTF-8") from exc
    expected = encode_segment(value)
    if expected != raw:
        raise ValueError(f"the SDK sends {value!r} as {expected!r}, not {raw!r}")
    return value
