"""A local OTLP/HTTP receiver (protobuf, optionally gzip), so tests run the real OTLP exporter over HTTP.

It serves ``POST /v1/traces`` and ``POST /v1/metrics``, decodes the requests with the
``opentelemetry-proto`` messages the exporter itself uses, and keeps the raw decompressed bodies
for "does this string appear anywhere" checks. For tests that need no HTTP, feed an
``InMemorySpanExporter`` to :func:`common.telemetry.otel_backend.build_providers` instead; it
sits behind the same allow-list wrapper.

Example::

    with OtlpReceiver() as otlp:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint}
        ...
        spans = otlp.spans()
"""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.support.loopback_server import LoopbackServer

__all__ = ["OtlpReceiver", "ReceivedSpan"]


def _value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


@dataclass(frozen=True, slots=True)
class ReceivedSpan:
    """A span as it arrived (ids in hex)."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    resource: dict[str, Any]
    status_code: int
    status_message: str
    start_ns: int = 0
    end_ns: int = 0
    scope: str = ""
    links: list[str] = field(default_factory=list[str])


class OtlpReceiver(LoopbackServer):
    """The server; listens on 127.0.0.1 at a free port. Use as a context manager."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.trace_requests: list[ExportTraceServiceRequest] = []
        self.metric_requests: list[ExportMetricsServiceRequest] = []
        self._lock = threading.Lock()
        super().__init__(_handler_for(self))

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>``, the value of ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
        return f"http://{self.host_port}"

    def raw(self) -> bytes:
        """Every decompressed body received, concatenated."""
        return b"\n".join(list(self.bodies))

    def spans(self) -> list[ReceivedSpan]:
        """Every span received, in arrival order."""
        out: list[ReceivedSpan] = []
        for request in list(self.trace_requests):
            for rs in request.resource_spans:
                resource = {a.key: _value(a.value) for a in rs.resource.attributes}
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        out.append(
                            ReceivedSpan(
                                name=s.name,
                                trace_id=s.trace_id.hex(),
                                span_id=s.span_id.hex(),
                                parent_span_id=s.parent_span_id.hex(),
                                kind=s.kind,
                                attributes={a.key: _value(a.value) for a in s.attributes},
                                events=[(e.name, {a.key: _value(a.value) for a in e.attributes}) for e in s.events],
                                resource=resource,
                                status_code=s.status.code,
                                status_message=s.status.message,
                                start_ns=s.start_time_unix_nano,
                                end_ns=s.end_time_unix_nano,
                                scope=ss.scope.name,
                                links=[link.span_id.hex() for link in s.links],
                            )
                        )
        return out

    def metric_points(self) -> dict[str, list[tuple[dict[str, Any], float]]]:
        """Metric name → ``(attributes, value)`` per data point (sums: value; histograms: sum)."""
        out: dict[str, list[tuple[dict[str, Any], float]]] = {}
        for request in list(self.metric_requests):
            for rm in request.resource_metrics:
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        kind = m.WhichOneof("data")
                        points = getattr(m, kind).data_points if kind else []
                        for p in points:
                            attrs = {a.key: _value(a.value) for a in p.attributes}
                            value = p.sum if kind == "histogram" else (p.as_double or p.as_int)
                            out.setdefault(m.name, []).append((attrs, float(value)))
        return out

    def wait_for_spans(self, count: int, timeout: float = 5.0) -> list[ReceivedSpan]:
        """Wait until at least ``count`` spans arrived."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.spans()
            if len(spans) >= count or time.monotonic() > deadline:
                return spans
            time.sleep(0.02)

    def _receive(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        with self._lock:
            self.bodies.append(body)
            self.headers.append(headers)
            if path == "/v1/traces":
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                self.trace_requests.append(request)
            elif path == "/v1/metrics":
                metrics = ExportMetricsServiceRequest()
                metrics.ParseFromString(body)
                self.metric_requests.append(metrics)


def _handler_for(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if (self.headers.get("content-encoding") or "").lower() == "gzip":
                body = gzip.decompress(body)
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver._receive(self.path.split("?", 1)[0], body, headers)  # pyright: ignore[reportPrivateUsage]
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
