"""The worker's metrics: Temporal's own (the SDK's runtime) and ours (letters, overdue deadlines).

Two endpoints, both off unless configured, both plain HTTP meant for Prometheus on a private network
(the compose file's; no port is published):

- ``CPJ_TEMPORAL_METRICS_ADDRESS`` (``host:port``, e.g. ``0.0.0.0:9464``): the SDK's Prometheus
  exporter, ``temporal_*`` (polls, task latencies, cache size, slots). The SDK serves these from Rust
  and has no way to add ours to them, hence a second port.
- ``CPJ_METRICS_ADDRESS`` (``host:port``, e.g. ``0.0.0.0:9465``): ours, from ``prometheus_client``.

Labels are bounded sets named in code (a deadline's kind, a letter's template, an outcome): never a
case reference, a name or free text, so a metric can say nothing about a child.
"""

from __future__ import annotations

import os
import re
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, start_http_server
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from activities.log import temporal_core_logging
from domain.deadlines import KINDS

LETTERS = Counter(
    "cpj_letters",
    "Letters (notifications) by template and outcome: sent; already_sent (a retry found it sent); "
    "undelivered (refused for good: the journey records it); failed (to be retried)",
    ["template", "outcome"],
)
DEADLINES_OVERDUE = Counter(
    "cpj_deadlines_overdue",
    "Deadlines escalated as overdue, by the deadline's kind (counted once, when the record is first written)",
    ["kind"],
)

#: A template name is a word our workflows choose; anything else is not a label.
_TEMPLATE = re.compile(r"[a-z][a-z0-9_]{0,47}")


def template_label(template: str) -> str:
    return template if _TEMPLATE.fullmatch(template) else "other"


def count_overdue(record_kind: str) -> None:
    """Count an ``<kind>_overdue`` record (the escalation of a deadline of ``kind``); other records are not."""
    kind = record_kind.removesuffix("_overdue")
    if kind != record_kind:
        DEADLINES_OVERDUE.labels(kind=kind if kind in KINDS else "other").inc()


def _address(setting: str) -> tuple[str, int] | None:
    value = os.environ.get(setting, "").strip()
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{setting} is {value!r}; give it as host:port, like 0.0.0.0:9464")
    return host, int(port)


def temporal_runtime() -> Runtime | None:
    """The SDK's runtime exporting its metrics on ``CPJ_TEMPORAL_METRICS_ADDRESS``, or None when unset; its own
    warnings go to our log, as the default runtime's do (``activities.log``)."""
    address = _address("CPJ_TEMPORAL_METRICS_ADDRESS")
    if address is None:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{address[0]}:{address[1]}"),
                                             logging=temporal_core_logging()))


def serve_our_metrics() -> WSGIServer | None:
    """Serve our metrics on ``CPJ_METRICS_ADDRESS`` from a daemon thread; the server, or None when unset."""
    address = _address("CPJ_METRICS_ADDRESS")
    if address is None:
        return None
    server, _thread = start_http_server(address[1], addr=address[0])
    return server
