"""Logging helpers: a filter that stamps the current context onto every record."""

import logging

from apps.core import context


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name in context.FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, context.get(name))
        return True
