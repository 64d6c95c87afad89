"""Structured logging for every process of the project (worker, admin tool, CLI).

Log lines carry the case reference and workflow id as fields, never a name:
nothing the journey holds has one. Temporal's own ``workflow.logger`` and
``activity.logger`` go through the same renderer via the standard library.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog

_configured = False


def configure_logging(level: str | None = None) -> None:
    global _configured
    if _configured:
        return
    level = (level or os.environ.get("CPJ_LOG_LEVEL", "INFO")).upper()
    renderer = (
        structlog.processors.JSONRenderer()
        if os.environ.get("CPJ_LOG_FORMAT", "console") == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _configured = True


def get_logger(name: str, **context: object) -> structlog.stdlib.BoundLogger:
    logger = structlog.get_logger(name)
    # Binding makes the logger concrete; a module-level logger must stay lazy until logging is configured.
    return logger.bind(**context) if context else logger
