"""Structured logging for every process of the project (worker, admin tool, CLI).

Log lines carry the case reference and workflow id as fields, never a name:
nothing the journey holds has one. Temporal's own ``workflow.logger`` and
``activity.logger`` go through the same renderer via the standard library.

Every event is one line, failures included: the exception's type, message and
the frame it was raised in, never a traceback with its local variables (they
hold request fields, and rendering them stalled the worker). SQL parameters and
HTTP headers are never logged: engines hide parameters, and the loggers that
could print a statement or a request stay at WARNING whatever the level.
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


def configure_logging(level: str | None = None, *, stream: IO[str] | None = None, force: bool = False) -> None:
    global _configured
    if _configured and not force:
        return
    level = (level or os.environ.get("CPJ_LOG_LEVEL", "INFO")).upper()
    renderer = (
        structlog.processors.JSONRenderer()
        if os.environ.get("CPJ_LOG_FORMAT", "console") == "json"
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
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
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
    _configured = True


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
