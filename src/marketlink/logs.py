"""structlog set-up: key-value lines on a console, JSON lines when MARKETLINK_LOG_JSON is set.
Nothing logs request bodies, tokens or secrets."""

import logging

import structlog


def configure_logging(level: str, json_lines: bool) -> None:
    renderer = structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        cache_logger_on_first_use=True,
    )
