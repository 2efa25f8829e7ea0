"""The streams worker's own errors (the whole hierarchy is drawn in ``callstream.errors``)."""

from __future__ import annotations

from callstream.errors import CallstreamError


class RenderError(CallstreamError):
    """A message template could not be rendered for one input; that input is dead-lettered."""


class ToolBackendError(CallstreamError):
    """A tool's HTTP backend did not give a usable answer."""


class ToolBackendUnavailable(ToolBackendError):
    """The backend timed out, could not be reached, or answered 5xx; worth another attempt."""


class ToolBackendRejected(ToolBackendError):
    """The backend refused the request (4xx) or answered something unusable; do not retry."""


class SchemaRegistryUnavailable(CallstreamError):
    """The Schema Registry did not answer usably (unreachable, 5xx, auth refused); retry later.

    Never a reason to dead-letter: the record waits, its partition does not advance.
    """
