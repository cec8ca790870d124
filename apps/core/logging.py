"""Logging helpers: a filter that stamps the current context onto every record, and a console format."""

import logging

from apps.core import context


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name in context.FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, context.get(name))
        return True


class ConsoleFormatter(logging.Formatter):
    """One readable line per record for a terminal: time, level, logger, message, then the known ids.

    ``12:00:01 INFO     apps.gateway.jobs  job queued  [request_id=3f2a… job_id=42]``
    """

    def __init__(self) -> None:
        super().__init__(fmt="%(asctime)s %(levelname)-8s %(name)s  %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{name}={value}" for name in context.FIELDS if (value := getattr(record, name, None)))
        if not ids:
            return line
        # The ids belong to the message line, before any traceback that follows it.
        first, newline, rest = line.partition("\n")
        return f"{first}  [{ids}]{newline}{rest}"
