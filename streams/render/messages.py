"""The text injected into a call: operator text around a quoted block of data.

Defaults follow the reference's style, with the facts quoted (``quote``)::

    [ORDER LOOKUP COMPLETE]
    The lines between <<<DATA and DATA>>> are data from tool lookup_order_status: ...
    <<<DATA
    request: 7f3c...
    asked: order_id ORD-12345
    status: SHIPPED
    tracking: 1Z999AA10123456784
    DATA>>>
    Share these details with the customer now.

The request id and arguments (or source, event id and customer) inside the
block let the assistant tell parallel lookups apart. Only configuration
writes operator text: the headline, the instruction, a template's own text,
and fields the rule lists as ``trusted`` (rendered inline above the preface).
A ``MessageSpec.template`` replaces the block: its own text is operator
text, and every value it interpolates is quoted inline, «like this»,
neutralised like block data. A failed tool request always gets the honest
default ("could not look that up") so a template written for successes
cannot break on failures.

Pure: no I/O; ``RenderError`` for a template that fails on one input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from callstream.config import MessageSpec
from callstream.records import Message, Role, SourceEvent, SupervisorMessage, ToolResult
from streams.render.facts import fact_pairs, identifiers, line, one_line
from streams.render.quote import Composed, cap_text, compose, preface, safe_name
from streams.render.templates import Templates
from streams.state.calls import CallState

ERROR_INSTRUCTION = (
    "Tell the customer you could not look that up right now, and offer to try again "
    "or to help another way."
)
LOOKUP_FAILED = "The lookup could not be completed; the data below says why."
SPEAK_NOW = "Share this with the customer now."
WHEN_RELEVANT = "Use this if it is relevant to the conversation."

DEFAULT_LIMIT = 1500

_SEPARATORS = re.compile(r"[._\-\s]+")


def humanise(name: str) -> str:
    """``lookup_order_status`` → ``LOOKUP ORDER STATUS``."""
    return _SEPARATORS.sub(" ", name).strip().upper()


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message, and the guardrail decisions that shaped it."""

    message: Message
    full: Message | None
    """The message before the size cap cut it (audit), else ``None``."""
    decisions: tuple[str, ...]
    """``quoted`` always for data; ``neutralised``, ``truncated`` when they happened."""


def _call_view(call_control_id: str, call: CallState) -> dict[str, Any]:
    return {
        "call_control_id": call_control_id,
        "from": call.from_,
        "to": call.to,
        "phone": call.phone,
        "customer_ids": list(call.customer_ids),
    }


def _headline(text: str) -> str:
    return f"[{one_line(text, 120)}]"


def _rendered(role: Role, composed: Composed, quoted: bool = True) -> Rendered:
    decisions = ["quoted"] if quoted else []
    if composed.neutralised:
        decisions.append("neutralised")
    full = None
    if composed.full is not None:
        decisions.append("truncated")
        full = Message(role=role, content=composed.full)
    return Rendered(Message(role=role, content=composed.content), full, tuple(decisions))


class Renderer:
    """Renders each kind of input into the message the assistant receives."""

    def __init__(self, templates: Templates | None = None, *, limit: int = DEFAULT_LIMIT) -> None:
        self._templates = templates or Templates()
        self.limit = limit
        """The longest message (``guardrails.max_message_chars``)."""

    def _message(
        self,
        spec: MessageSpec,
        headline: str,
        label: str,
        data: Sequence[str],
        instruction: str,
        *,
        variables: Callable[[], Mapping[str, Any]] | None = None,
        trusted: Sequence[str] = (),
    ) -> Rendered:
        head = [_headline(headline), *trusted]
        if variables is not None and spec.template is not None:
            body = self._templates.render(spec.template, variables())
            text = "\n".join([*head, preface(label, inline=True), body, instruction])
            return _rendered(spec.role, cap_text(text, self.limit))
        return _rendered(spec.role, compose(head, label, data, [instruction], limit=self.limit))

    def tool_result(
        self,
        result: ToolResult,
        spec: MessageSpec,
        arguments: Mapping[str, Any],
        call: CallState,
    ) -> Rendered:
        """The message answering one tool request (success or failure)."""
        name = safe_name(result.tool, "a tool")
        label = f"tool {name}"
        data = [line("request", result.request_id)]
        asked = identifiers(arguments)
        if asked:
            data.append(line("asked", asked))
        if result.status == "error":
            data.append(line("error", one_line(result.error or "no reason given", 200)))
            failed = f"{humanise(name)} FAILED" if name == result.tool else "LOOKUP FAILED"
            plain = MessageSpec(role=spec.role)
            return self._message(
                plain, failed, label, data, ERROR_INSTRUCTION, trusted=[LOOKUP_FAILED]
            )
        pairs = fact_pairs(result.result)
        trusted, untrusted = _split(pairs, spec.trusted)
        data.extend(line(key, text) for key, text in untrusted)
        if not untrusted:
            data.append("(no details returned)")

        def variables() -> dict[str, Any]:  # built only when a template needs them
            return {
                "tool": result.tool,
                "request_id": result.request_id,
                "arguments": dict(arguments),
                "status": result.status,
                "result": result.result,
                "completed_at": result.completed_at.isoformat(),
                "call": _call_view(result.call_control_id, call),
                "facts": "\n".join(line(key, text) for key, text in pairs),
            }

        headline = spec.headline or f"{humanise(name)} RESULT"
        now = spec.speaks_now(default=True)
        instruction = spec.instruction or (SPEAK_NOW if now else WHEN_RELEVANT)
        return self._message(
            spec, headline, label, data, instruction, variables=variables, trusted=trusted
        )

    def source_event(
        self,
        event: SourceEvent,
        spec: MessageSpec,
        call_control_id: str,
        call: CallState,
        *,
        known_type: bool = True,
    ) -> Rendered:
        """The message telling the assistant about one enterprise event.

        ``known_type``: the event's type names one of its source's rules, so it is
        configuration and may appear in operator text; otherwise only the source does.
        """
        source = safe_name(event.source, "an enterprise system")
        kind = safe_name(event.type, "") if known_type else ""
        label = f"{source} ({kind})" if kind else source
        data = [line("event", event.event_id)]
        if event.customer.id:
            data.append(line("customer", one_line(event.customer.id, 120)))
        if event.customer.phone:
            data.append(line("phone", one_line(event.customer.phone, 40)))
        pairs = fact_pairs(event.data)
        trusted, untrusted = _split(pairs, spec.trusted)
        data.extend(line(key, text) for key, text in untrusted)

        def variables() -> dict[str, Any]:  # built only when a template needs them
            return {
                "source": event.source,
                "type": event.type,
                "event_id": event.event_id,
                "occurred_at": event.occurred_at.isoformat(),
                "data": event.data,
                "customer": {"phone": event.customer.phone, "id": event.customer.id},
                "call": _call_view(call_control_id, call),
                "facts": "\n".join(line(key, text) for key, text in pairs),
            }

        headline = spec.headline or f"{humanise(source)} {humanise(kind or 'event')}"
        instruction = spec.instruction or WHEN_RELEVANT
        return self._message(
            spec, headline, label, data, instruction, variables=variables, trusted=trusted
        )

    def supervisor(self, message: SupervisorMessage) -> Rendered:
        """A supervisor's message goes in as written (operator text), with the role the
        supervisor chose, cut only by the size cap."""
        composed = cap_text(message.content, self.limit)
        full = None
        if composed.full is not None:
            full = Message(
                role=message.role, content=composed.full, tool_call_id=message.tool_call_id
            )
        return Rendered(
            Message(role=message.role, content=composed.content, tool_call_id=message.tool_call_id),
            full,
            ("truncated",) if full is not None else (),
        )


def _split(
    pairs: Sequence[tuple[str, str]], trusted: Sequence[str]
) -> tuple[list[str], list[tuple[str, str]]]:
    """The trusted facts as inline lines, and the rest (data) as pairs."""
    if not trusted:
        return [], list(pairs)
    inline = [line(key, text) for key, text in pairs if key in trusted]
    rest = [(key, text) for key, text in pairs if key not in trusted]
    return inline, rest
