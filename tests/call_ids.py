"""Call ids the encoding tests share: real Telnyx shapes and ids built to escape a path segment.

``VALID`` are ids the ingress and every record decoder accept
(``callstream.ids``); ``HOSTILE`` are ids that rule refuses, which the
encoder must still treat exactly as the official SDK does (the second wall).
"""

from __future__ import annotations

VALID: dict[str, str] = {
    "v3 short": "v3:abc123",
    "v3 real shape": "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
    "v2 real shape": "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ",
    "every allowed sign": "v3:a.b_c:d=e+f~g-h",
    "leading dot": ".v3",
    "256 characters": "v3:" + "x" * 253,
}

HOSTILE: dict[str, str] = {
    "slash": "v3:a/b",
    "dot-dot inside": "v3:../../admin",
    "percent": "v3:100%",
    "encoded slash": "v3:a%2Fb",
    "encoded dot-dot": "%2e%2e%2fadmin",
    "CR/LF": "v3:a\r\nX-Injected: 1",
    "NUL and tab": "v3:a\x00b\tc",
    "space": "v3:a b",
    "query and fragment": "v3:a?x=1#frag",
    "sub-delims and at": "v3:!$&'()*+,;=@",
    "quote and angle brackets": 'v3:"<a>"',
    "backslash": "v3:a\\..\\b",
    "fullwidth solidus": "v3:a\uff0fb",
    "division slash": "v3:a\u2215b",
    "cyrillic look-alike": "v3:\u0430bc",
    "emoji": "v3:\U0001f4de",
    "10 KB": "v3:" + "a" * 10_240,
    "10 KB hostile": "v3:" + "/%\r\n.\u00e9" * 2_048,
}

REFUSED_BY_THE_SDK: dict[str, str] = {
    "empty": "",
    "dot": ".",
    "dot-dot": "..",
    "lone surrogate": "v3:\ud800",
}
"""Ids the SDK will not send at all; the encoder refuses them too."""
