"""Logging filters used by ``settings.LOGGING``."""

from __future__ import annotations

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """Requests Django answers with a 4xx are logged as one WARNING line, without a traceback.

    Django logs a multipart body without a boundary (``django.request``) and every
    ``SuspiciousOperation``, such as a disallowed Host (``django.security.*``, at
    ERROR), with the exception's traceback, although the client is at fault and
    the traceback only shows Django's own request parsing. Records of answers
    of 500 and up keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            if record.levelno > logging.WARNING:
                record.levelno = logging.WARNING
                record.levelname = logging.getLevelName(logging.WARNING)
        return True


class QuietRoutineTasks(logging.Filter):
    """Drops Celery's INFO lines about the periodic sweep (sent, received, succeeded).

    Beat sends ``stylizer.sweep_stylizations`` every ``STYLIZER_SWEEP_SECONDS``;
    three lines each time would bury the log. The sweep's own line when it
    requeues or dispatches something, and every warning and error, stay.
    """

    ROUTINE = ("stylizer.sweep_stylizations", "sweep-stylizations")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not record.name.startswith("celery"):
            return True
        message = record.getMessage()
        return not any(name in message for name in self.ROUTINE)
