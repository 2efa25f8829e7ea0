"""The text injected into a call: a bracketed headline, identifiers, the facts, an instruction.

Defaults follow the reference's style::

    [ORDER LOOKUP COMPLETE]
    lookup_order_status (request 7f3c...) for order_id ORD-12345
    status: SHIPPED
    tracking: 1Z999AA10123456784
    Share these details with the customer now.

The identifiers (tool, request id, the request's plain arguments; or source,
event type and id) let the assistant tell parallel lookups apart. A
``MessageSpec.template`` in the YAML replaces the body (the lines between
headline and instruction); it is rendered in a sandbox with the data as
variables. A failed tool request always gets the honest default ("could not
look that up") so a template written for successes cannot break on failures.

Pure: no I/O; ``RenderError`` for a template that fails on one input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from callstream.config import MessageSpec
from callstream.records import Message, SourceEvent, SupervisorMessage, ToolResult
from streams.render.facts import fact_lines, identifiers, one_line
from streams.render.templates import Templates
from streams.state.calls import CallState

ERROR_INSTRUCTION = (
    "Tell the customer you could not look that up right now, and offer to try again "
    "or to help another way."
)
SPEAK_NOW = "Share this with the customer now."
WHEN_RELEVANT = "Use this if it is relevant to the conversation."

_SEPARATORS = re.compile(r"[._\-\s]+")


def humanise(name: str) -> str:
    """``lookup_order_status`` → ``LOOKUP ORDER STATUS``."""
    return _SEPARATORS.sub(" ", name).strip().upper()


def _call_view(call_control_id: str, call: CallState) -> dict[str, Any]:
    return {
        "call_control_id": call_control_id,
        "from": call.from_,
        "to": call.to,
        "phone": call.phone,
        "customer_ids": list(call.customer_ids),
    }


def _compose(headline: str, body: str, instruction: str) -> str:
    return "\n".join(part for part in (f"[{one_line(headline, 120)}]", body, instruction) if part)


class Renderer:
    """Renders each kind of input into the message the assistant receives."""

    def __init__(self, templates: Templates | None = None) -> None:
        self._templates = templates or Templates()

    def tool_result(
        self,
        result: ToolResult,
        spec: MessageSpec,
        arguments: Mapping[str, Any],
        call: CallState,
    ) -> Message:
        """The message answering one tool request (success or failure)."""
        label = f"{result.tool} (request {result.request_id})"
        about = identifiers(arguments)
        if about:
            label += f" for {about}"
        if result.status == "error":
            reason = one_line(result.error or "no reason given", 200)
            body = f"{label}: the lookup could not be completed ({reason})."
            content = _compose(f"{humanise(result.tool)} FAILED", body, ERROR_INSTRUCTION)
            return Message(role=spec.role, content=content)
        facts = fact_lines(result.result)
        if spec.template is not None:
            variables = {
                "tool": result.tool,
                "request_id": result.request_id,
                "arguments": dict(arguments),
                "status": result.status,
                "result": result.result,
                "completed_at": result.completed_at.isoformat(),
                "call": _call_view(result.call_control_id, call),
                "facts": "\n".join(facts),
            }
            body = self._templates.render(spec.template, variables)
        else:
            body = "\n".join([label, *(facts or ["(no details returned)"])])
        headline = spec.headline or f"{humanise(result.tool)} RESULT"
        instruction = spec.instruction or (SPEAK_NOW if spec.trigger_response else WHEN_RELEVANT)
        return Message(role=spec.role, content=_compose(headline, body, instruction))

    def source_event(
        self, event: SourceEvent, spec: MessageSpec, call_control_id: str, call: CallState
    ) -> Message:
        """The message telling the assistant about one enterprise event."""
        facts = fact_lines(event.data)
        if spec.template is not None:
            variables = {
                "source": event.source,
                "type": event.type,
                "event_id": event.event_id,
                "occurred_at": event.occurred_at.isoformat(),
                "data": event.data,
                "customer": {"phone": event.customer.phone, "id": event.customer.id},
                "call": _call_view(call_control_id, call),
                "facts": "\n".join(facts),
            }
            body = self._templates.render(spec.template, variables)
        else:
            label = f"{event.source} event {event.type} (event {event.event_id})"
            who = identifiers({"customer": event.customer.id, "phone": event.customer.phone})
            if who:
                label += f" for {who}"
            body = "\n".join([label, *facts])
        headline = spec.headline or f"{humanise(event.source)} {humanise(event.type)}"
        instruction = spec.instruction or WHEN_RELEVANT
        return Message(role=spec.role, content=_compose(headline, body, instruction))

    @staticmethod
    def supervisor(message: SupervisorMessage) -> Message:
        """A supervisor's message goes in as written, with the role the supervisor chose."""
        return Message(role=message.role, content=message.content)
