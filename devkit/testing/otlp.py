"""A real OpenTelemetry Collector for tests, and the spans it received, decoded.

``running_collector`` starts the collector ``devkit.otelcol`` built, as a
process of the test's own: its OTLP/HTTP receiver on a free loopback port
(the services' ``OTEL_EXPORTER_OTLP_ENDPOINT``), its file exporter writing
every batch it received, protobuf-encoded, to a file in the test's
directory, and its own telemetry off (so it opens no other port). The file's
``TracesData`` messages are decoded with ``opentelemetry-proto`` into
``ReceivedSpan`` values, which a test reads with ``spans()`` or waits on
with ``wait_for_trace``.
"""

from __future__ import annotations

import contextlib
import struct
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

from devkit.stack import free_port
from devkit.stack.ports import accepts
from devkit.testing.polling import wait_until

STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, as much of it as a test asserts on (ids in lowercase hex)."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    """Empty for a root span."""
    kind: int
    """OTLP's ``Span.SpanKind``: 1 internal, 2 server, 3 client, 4 producer."""
    attributes: dict[str, Any]
    links: tuple[tuple[str, str], ...]
    """(trace id, span id) of each linked span."""


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    return None if kind is None else getattr(value, kind)


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def decode_spans(message: bytes) -> list[ReceivedSpan]:
    """The spans of one ``TracesData`` (an OTLP export request has the same encoding)."""
    data = TracesData.FromString(message)
    spans: list[ReceivedSpan] = []
    for resource_spans in data.resource_spans:
        service = str(_attributes(resource_spans.resource.attributes).get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            spans.extend(
                ReceivedSpan(
                    service=service,
                    name=span.name,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    kind=span.kind,
                    attributes=_attributes(span.attributes),
                    links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
                )
                for span in scope_spans.spans
            )
    return spans


def read_exported(raw: bytes) -> list[ReceivedSpan]:
    """Every span in the file exporter's ``proto`` output: messages, each after its length
    (4 bytes, big-endian). A message still being written is left for the next read."""
    spans: list[ReceivedSpan] = []
    at = 0
    while at + 4 <= len(raw):
        (size,) = struct.unpack_from(">I", raw, at)
        if at + 4 + size > len(raw):
            break
        spans.extend(decode_spans(raw[at + 4 : at + 4 + size]))
        at += 4 + size
    return spans


class Collector:
    """A running collector: where to export to, and what it has received so far."""

    def __init__(self, endpoint: str, output: Path) -> None:
        self.endpoint = endpoint
        """``OTEL_EXPORTER_OTLP_ENDPOINT`` for the services (exporters add ``/v1/traces``)."""
        self._output = output

    def spans(self, trace_id: str | None = None) -> list[ReceivedSpan]:
        """Every span received, or those of one trace."""
        raw = self._output.read_bytes() if self._output.exists() else b""
        return [s for s in read_exported(raw) if trace_id is None or s.trace_id == trace_id]

    def wait_for_trace(
        self, trace_id: str, names: set[str], *, timeout_s: float = 30.0
    ) -> list[ReceivedSpan]:
        """The spans of ``trace_id`` once a span of every one of ``names`` has arrived."""

        def complete() -> list[ReceivedSpan] | None:
            spans = self.spans(trace_id)
            return spans if names <= {span.name for span in spans} else None

        found: list[ReceivedSpan] = wait_until(
            complete, timeout_s=timeout_s, what=f"spans {sorted(names)} of trace {trace_id}"
        )
        return found


def _config(port: int, output: Path) -> str:
    return f"""\
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
exporters:
  file:
    path: {output}
    format: proto
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
"""


@contextlib.contextmanager
def running_collector(binary: Path, workdir: Path) -> Iterator[Collector]:
    """The collector at ``binary`` running until the block ends (its log in ``workdir``)."""
    port = free_port()
    output = workdir / "spans.otlp"
    config = workdir / "otelcol.yaml"
    config.write_text(_config(port, output))
    with (workdir / "otelcol.log").open("wb") as log:
        process = subprocess.Popen(
            [str(binary), "--config", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(
                lambda: process.poll() is not None or accepts(port),
                timeout_s=30,
                what="the OpenTelemetry Collector to listen",
            )
            if process.poll() is not None:
                log.flush()
                text = (workdir / "otelcol.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the OpenTelemetry Collector exited at start:\n{text}")
            yield Collector(f"http://127.0.0.1:{port}", output)
        finally:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
