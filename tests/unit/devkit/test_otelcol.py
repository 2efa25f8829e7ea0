"""The tracing test's collector: built once, located in the cache, its output decoded."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, TracesData

from devkit import otelcol
from devkit.errors import PrerequisiteMissing
from devkit.testing.otlp import read_exported


def test_a_built_collector_is_not_built_again(tmp_path: Path) -> None:
    """The cached binary is returned as is: no Go, no network."""
    binary = otelcol.binary(tmp_path)
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"")
    assert otelcol.build(tmp_path, say=lambda _: None) == binary
    assert otelcol.VERSION in str(binary)


def test_without_go_the_build_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``go`` on PATH: one error naming the Go version to install."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteMissing, match=r"Go is not installed.*Go 1\.26"):
        otelcol.build(tmp_path, say=lambda _: None)


def _message(name: str) -> bytes:
    span = Span(name=name, trace_id=b"\x01" * 16, span_id=b"\x02" * 8)
    data = TracesData(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])])
    raw = data.SerializeToString()
    return struct.pack(">I", len(raw)) + raw


def test_the_file_exporters_output_is_read_message_by_message() -> None:
    """Length-prefixed messages are decoded in order; one still being written waits."""
    whole = _message("a") + _message("b")
    partial = _message("c")[:-3]
    spans = read_exported(whole + partial)
    assert [(s.name, s.trace_id, s.span_id) for s in spans] == [
        ("a", "01" * 16, "02" * 8),
        ("b", "01" * 16, "02" * 8),
    ]
