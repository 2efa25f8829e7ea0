"""Every error callstream raises on purpose, in one hierarchy rooted here.

The shared errors live in this module; each service's own errors live in that
service's ``errors`` module and derive from ``CallstreamError`` too::

    CallstreamError
    ├── ConfigError                  settings or YAML config invalid; fix and restart
    ├── RecordError                  a Kafka record that is not what its topic promises
    ├── KafkaError
    │   ├── KafkaUnavailable         the broker did not answer or acknowledge in time (retryable)
    │   │   └── ProducerQueueFull    the producer's bounded local queue is full (retryable)
    │   ├── PublishFailed            the broker or client refused a record (unknown topic, ...)
    │   └── TopicError               a topic could not be created or has the wrong shape
    │
    │   ingress/errors.py
    ├── WebhookSignatureError        a webhook's ED25519 signature or timestamp did not verify
    ├── RequestRejected              an HTTP request the ingress refuses (status, code, detail)
    │   streams/errors.py
    ├── RenderError                  a message template failed for one input (dead-lettered)
    ├── SchemaRegistryUnavailable    the Schema Registry cannot be asked (retried, never a DLQ)
    ├── ToolBackendError             a tool's HTTP backend did not give a usable answer
    │   ├── ToolBackendUnavailable   timeout, connection failure or 5xx (retryable)
    │   └── ToolBackendRejected      4xx, or an answer too large to publish (permanent)
    │   injector/errors.py
    ├── RemoteError                  the call-control API (Add Messages) could not be used
    │   ├── RemoteUnavailable        no reply: timeout or connection failure (retryable)
    │   └── CredentialsRejected      401/403: the API key is wrong (permanent; the injector halts)
    │   devkit/errors.py
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
