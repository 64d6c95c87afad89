"""Structured logging for every process of the project (worker, admin tool, CLI).

Log lines carry the case reference and workflow id as fields, never a name:
nothing the journey holds has one. Temporal's own ``workflow.logger`` and
``activity.logger`` go through the same renderer via the standard library.

Every event is one line, failures included: the exception's type, message and
the frame it was raised in, never a traceback with its local variables (they
hold request fields, and rendering them stalled the worker). SQL parameters and
HTTP headers are never logged: engines hide parameters, and the loggers that
could print a statement or a request stay at WARNING whatever the level.

One setting picks the shape, ``CPJ_LOG_FORMAT``: ``json`` (one object a line, with ``event``, ``level``
and ``timestamp``, what a log collector reads) or ``console`` (for a person at a terminal). Unset, it
is ``json`` when ``CPJ_ENV=production`` or when the log is not a terminal (a container, a file, a pipe),
so a deployment that forgets the setting still ships lines a collector can parse. uvicorn's own
lines (``cpj web``, ``cpj up``) come through here too: a request is its method, path and status, never
its query string (a search box may hold whatever someone typed) nor a one-time link's token.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import IO, Any

import structlog

_configured = False

# Loggers that at INFO or DEBUG would print SQL statements or HTTP requests (URLs, headers);
# alembic's steps at every start are summed up by our own "records schema upgraded".
QUIET_LOGGERS = ("sqlalchemy", "urllib3", "requests", "httpx", "httpcore", "notifications_python_client", "alembic")

FORMATS = ("json", "console")
#: The fields a request's line carries (set by :class:`RequestLine`); no other ``extra`` reaches the log.
REQUEST_FIELDS = ("method", "path", "status", "client")


def log_format(stream: IO[str]) -> str:
    """``CPJ_LOG_FORMAT`` when set; else json in production or when ``stream`` is not a terminal."""
    chosen = os.environ.get("CPJ_LOG_FORMAT", "").strip().lower()
    if chosen:
        if chosen not in FORMATS:
            raise SystemExit(f"error: CPJ_LOG_FORMAT is {chosen!r}; it is json or console")
        return chosen
    if os.environ.get("CPJ_ENV", "").strip().lower() == "production":
        return "json"
    isatty = getattr(stream, "isatty", None)
    return "console" if isatty is not None and isatty() else "json"


def configure_logging(level: str | None = None, *, stream: IO[str] | None = None, force: bool = False) -> None:
    global _configured
    if _configured and not force:
        return
    level = (level or os.environ.get("CPJ_LOG_LEVEL", "INFO")).upper()
    stream = stream or sys.stderr
    renderer = (
        structlog.processors.JSONRenderer()
        if log_format(stream) == "json"
        # plain_traceback is never reached (one_line_failure runs first); it keeps rich's out for good.
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(allow=REQUEST_FIELDS)],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                one_line_failure,
                one_line,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(found, RequestLine) for found in access.filters):
        access.addFilter(RequestLine())
    if not _configured:
        # Before this process's first Temporal client: the SDK's core (Rust) logs through ours, not its own console format.
        from temporalio.runtime import Runtime, TelemetryConfig

        Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=temporal_core_logging())),
                            error_if_already_set=False)
    _configured = True


def temporal_core_logging() -> Any:
    """The SDK core's own log (warnings and up) forwarded to the ``temporalio.core`` logger, so rendered as ours.

    A runtime made elsewhere (the worker's, exporting metrics) passes this as ``TelemetryConfig(logging=...)``.
    """
    from temporalio.runtime import LogForwardingConfig, LoggingConfig, TelemetryFilter

    return LoggingConfig(filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                         forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")))


class RequestLine(logging.Filter):
    """uvicorn's access line as fields: method, path without its query string, status, client.

    uvicorn hands its access logger ``(client, method, path with query, http version, status)``; the
    query string and a first-run link's token are dropped before anything renders the line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, full_path, _version, status = args
            record.msg, record.args = "request", ()
            record.method, record.path, record.status, record.client = method, safe_path(str(full_path)), status, client
        return True


def safe_path(full_path: str) -> str:
    path = full_path.split("?", 1)[0]
    if path.startswith("/first-run/"):
        return "/first-run/…"  # the one-time token makes the first administrator
    return path


def one_line_failure(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Replaces a traceback by ``error`` ("Type: message") and ``at`` (the frame that raised)."""
    exc_info = event_dict.pop("exc_info", None)
    event_dict.pop("stack_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[1] is not None:
        error, tb = exc_info[1], exc_info[2]
        event_dict["error"] = f"{type(error).__name__}: {error}"
        if tb is not None:
            frame = traceback.extract_tb(tb)[-1]
            event_dict["at"] = f"{frame.filename}:{frame.lineno} in {frame.name}"
    if "exception" in event_dict:  # a traceback some processor already formatted: keep its last line
        lines = str(event_dict.pop("exception")).strip().splitlines()
        event_dict.setdefault("error", lines[-1] if lines else "")
    return event_dict


def one_line(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Escapes line breaks in text values, so a message with a newline cannot start a line of its own."""
    for key, value in event_dict.items():
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            event_dict[key] = value.replace("\r", "\\r").replace("\n", "\\n")
    return event_dict


def get_logger(name: str, **context: object) -> structlog.stdlib.BoundLogger:
    logger = structlog.get_logger(name)
    # Binding makes the logger concrete; a module-level logger must stay lazy until logging is configured.
    return logger.bind(**context) if context else logger
