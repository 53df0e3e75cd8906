"""Filters of the log configuration (``LOGGING`` in ``xingji.settings``)."""

from __future__ import annotations

import logging


class OneLineRefusals(logging.Filter):
    """A refused request (4xx: 403, 404 …) is one line in the log, without the exception's traceback.

    Django logs a refusal on ``django.request`` with the exception attached,
    which the formatter writes out as a traceback: for a refusal that is noise
    (the line says who asked for what; nothing went wrong in the code). A
    server error (5xx) keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
