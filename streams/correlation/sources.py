"""Where a record from an enterprise source topic goes next (the first, stateless step).

Source topics are the enterprise's own: any partition count, any key. So
nothing is decided on them except *where to look the event up*: an event that
names its call goes to the call's partition (``streams.by-call``), one that
carries correlation keys goes to the partition of its first key
(``streams.by-key``), and one that is not valid goes to the dead letters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from callstream.config import SourceSpec
from callstream.config.services import CorrelationKeyKind
from callstream.errors import RecordError
from callstream.records import decode_source_event
from streams.correlation.keys import event_keys
from streams.correlation.route import Route
from streams.decide.outputs import DeadLetterOut, ForwardToCall, ForwardToKey, Output
from streams.state.held import Origin


def route_source_record(
    raw: bytes | None,
    key: bytes | None,
    origin: Origin,
    *,
    sources: Mapping[str, SourceSpec],
    order: Sequence[CorrelationKeyKind],
    region: str,
) -> Output:
    """The one output for a record from source ``origin.source``'s topic."""
    name = origin.source or ""
    spec = sources.get(name)
    if spec is None:
        return DeadLetterOut(
            raw, origin, "unknown_source", f"no source named {name!r} is configured", key=key
        )
    try:
        event = decode_source_event(
            name, raw, spec.fields, fallback_time=datetime.fromtimestamp(origin.timestamp, UTC)
        )
    except RecordError as exc:
        return DeadLetterOut(raw, origin, exc.reason, exc.detail, key=key)
    assert raw is not None  # decode_source_event refuses a missing value
    if event.call_control_id is not None:
        return ForwardToCall(event.call_control_id, "source", raw, origin)
    keys = event_keys(event, order, region)
    if not keys:
        error = (
            f"{name} event {event.event_id}: no usable correlation key (phone "
            f"{event.customer.phone!r} is not a phone number in region {region}, and the "
            "customer id is missing, or the key is not among streams.correlation_keys)"
        )
        return DeadLetterOut(raw, origin, "schema", error, key=key)
    return ForwardToKey(Route(keys), raw, origin)
