"""The follow-up SMS to a caller: operator text around a data block, capped to SMS segments.

Same guardrails as the injected messages (``streams.render.quote``): the
facts are data, each line neutralised so it cannot close the block or fake a
headline, inside ``<<<DATA`` / ``DATA>>>``; only configuration writes the text
around it. The whole text is plain (no markup) and fits ``max_segments``
segments: 160 GSM-7 characters for one segment, 153 each when concatenated;
70 / 67 when any character needs UCS-2. Only the data gives way, with ``...``.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from callstream.config import SmsConfig
from callstream.records import FollowupCause
from streams.render.facts import fact_pairs, line
from streams.render.messages import humanise
from streams.render.quote import CLOSE, OPEN, neutralise

# GSM 03.38 basic character set (an extension character costs two, see _EXTENDED).
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = frozenset("^{}\\[~]|€")
_CUT = "..."  # not "…", which is not GSM-7 and would make the whole text UCS-2


def sms_units(text: str) -> tuple[int, bool]:
    """The length of ``text`` in SMS units, and whether it fits GSM-7 (else UCS-2)."""
    if all(ch in _GSM7 or ch in _EXTENDED for ch in text):
        return sum(2 if ch in _EXTENDED else 1 for ch in text), True
    return len(text.encode("utf-16-le")) // 2, False


def sms_limit(segments: int, gsm7: bool) -> int:
    """How many units ``segments`` segments carry."""
    single, concatenated = (160, 153) if gsm7 else (70, 67)
    return single if segments == 1 else concatenated * segments


def fits(text: str, segments: int) -> bool:
    units, gsm7 = sms_units(text)
    return units <= sms_limit(segments, gsm7)


def _data_lines(causes: Sequence[FollowupCause]) -> list[str]:
    lines: list[str] = []
    for cause in causes:
        lines.append(humanise(cause.event_type).title() + ":")
        facts = cause.facts.get("result", cause.facts.get("data"))
        pairs = fact_pairs(facts)
        lines.extend(line(key, text) for key, text in pairs)
        if not pairs:
            lines.append("(no details)")
    return [neutralise(text) for text in lines]


def render_sms(causes: Sequence[FollowupCause], config: SmsConfig) -> str:
    """The SMS text for ``causes``: header, the data block, footer, within the segment cap."""
    head, tail = neutralise(config.header), neutralise(config.footer)
    block = "\n".join(_data_lines(causes))
    text = "\n".join([head, OPEN, block, CLOSE, tail])
    if fits(text, config.max_segments):
        return text
    # Shorten the data only, a character at a time from a bound found by halving.
    low, high = 0, len(block)
    while low < high:
        mid = (low + high + 1) // 2
        candidate = "\n".join([head, OPEN, block[:mid].rstrip() + _CUT, CLOSE, tail])
        if fits(candidate, config.max_segments):
            low = mid
        else:
            high = mid - 1
    return "\n".join([head, OPEN, block[:low].rstrip() + _CUT, CLOSE, tail])
