"""Every error callstream raises on purpose, in one hierarchy.

::

    CallstreamError
    ├── ConfigError                  settings or YAML config invalid; fix and restart
    ├── RecordError                  a Kafka record that is not what its topic promises
    ├── RenderError                  a message template failed for one input (dead-lettered)
    ├── ToolBackendError             a tool's HTTP backend did not give a usable answer
    │   ├── ToolBackendUnavailable   timeout, connection failure or 5xx (retryable)
    │   └── ToolBackendRejected      4xx, or an answer too large to publish (permanent)
    ├── KafkaError
    │   ├── KafkaUnavailable         the broker did not answer or acknowledge in time (retryable)
    │   │   └── ProducerQueueFull    the producer's bounded local queue is full (retryable)
    │   ├── PublishFailed            the broker or client refused a record (unknown topic, ...)
    │   └── TopicError               a topic could not be created or has the wrong shape
    ├── RemoteError                  the call-control API (Add Messages) could not be used
    │   ├── RemoteUnavailable        no reply: timeout or connection failure (retryable)
    │   └── CredentialsRejected      401/403: the API key is wrong (permanent; the injector halts)
    ├── WebhookSignatureError        a webhook's ED25519 signature or timestamp did not verify
    ├── RequestRejected              an HTTP request the ingress refuses (status, code, detail)
    ├── LocalKafkaError              the embedded development broker could not be run
    │   └── PrerequisiteMissing      Java or Maven is not installed
    └── DevStackError                a service of `callstream dev` failed to start or died

Permanent errors (bad configuration, bad records) and retryable ones (the
broker is away) are different types, so a caller decides by ``except`` clause,
never by parsing a message. Foreign exceptions are wrapped with
``raise ... from exc`` so the original traceback survives.
"""

from __future__ import annotations


class CallstreamError(Exception):
    """Base class of every error callstream raises on purpose."""


class ConfigError(CallstreamError):
    """The environment or the YAML config is invalid; the message names each bad field."""


class RecordError(CallstreamError):
    """A record failed to decode or validate against its schema.

    ``reason`` is a short machine-readable code (``invalid_json``, ``schema``,
    ``not_utf8``, ``too_large``) used as the dead-letter reason; ``detail`` is
    the human explanation.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class RenderError(CallstreamError):
    """A message template could not be rendered for one input; that input is dead-lettered."""


class ToolBackendError(CallstreamError):
    """A tool's HTTP backend did not give a usable answer."""


class ToolBackendUnavailable(ToolBackendError):
    """The backend timed out, could not be reached, or answered 5xx; worth another attempt."""


class ToolBackendRejected(ToolBackendError):
    """The backend refused the request (4xx) or answered something unusable; do not retry."""


class KafkaError(CallstreamError):
    """A Kafka operation failed."""


class KafkaUnavailable(KafkaError):
    """The broker did not answer or acknowledge within the allowed time; safe to retry."""


class ProducerQueueFull(KafkaUnavailable):
    """The producer's local queue is at its configured bound; the record was not taken."""


class PublishFailed(KafkaError):
    """The broker or the client refused a record (unknown topic, fatal producer state, ...)."""


class TopicError(KafkaError):
    """A topic could not be created, or exists with a shape callstream cannot use."""


class RemoteError(CallstreamError):
    """The call-control API could not be used."""


class RemoteUnavailable(RemoteError):
    """No reply from the remote: the request timed out or the connection failed; safe to retry.

    ``kind`` is ``"timeout"`` or ``"connection"``; the delivery policy decides by it.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class CredentialsRejected(RemoteError):
    """The remote answered 401 or 403: the API key is wrong or lacks permission. Not retryable."""


class LocalKafkaError(CallstreamError):
    """The embedded development broker could not be fetched, started, or stopped."""


class PrerequisiteMissing(LocalKafkaError):
    """A program the embedded broker needs (Java 17+, Maven) is not installed."""


class WebhookSignatureError(CallstreamError):
    """A webhook's signature, timestamp or signing key did not verify; the message says which."""


class RequestRejected(CallstreamError):
    """An HTTP request the ingress refuses, with the status and error code of its JSON body.

    ``detail`` is shown to the caller, so it never holds a secret or a raw signature.
    """

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


class DevStackError(CallstreamError):
    """A service started by ``callstream dev`` exited or did not become ready."""
