"""devkit's own errors (the whole hierarchy is drawn in ``callstream.errors``)."""

from __future__ import annotations

from callstream.errors import CallstreamError


class LocalKafkaError(CallstreamError):
    """The embedded development broker could not be fetched, started, or stopped."""


class PrerequisiteMissing(LocalKafkaError):
    """A program the embedded broker needs (Java 17+, Maven) is not installed."""


class DevStackError(CallstreamError):
    """A service started by ``callstream dev`` exited or did not become ready."""
