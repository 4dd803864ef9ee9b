"""Structured JSON logs, each line carrying the request id."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from app.core.config import Settings


def configure(settings: Settings) -> None:
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {"levelname": "level", "correlation_id": "request_id"},
            "timestamp": "time",
        }
        if settings.log_json
        else {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"}
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": "asgi_correlation_id.CorrelationIdFilter"}},
            "formatters": {"default": formatter},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "default",
                    "filters": ["request_id"],
                }
            },
            "loggers": {
                "jobpath": {
                    "level": settings.log_level,
                    "propagate": False,
                    "handlers": ["stderr"],
                },
                "uvicorn": {"level": "INFO", "propagate": False, "handlers": ["stderr"]},
                "uvicorn.access": {"level": "WARNING", "propagate": False, "handlers": ["stderr"]},
            },
            "root": {"level": "WARNING", "handlers": ["stderr"]},
        }
    )
