"""dlt's log on the command line, one line per record: dlt logs a failed load job with the
whole traceback of the destination's error, and a failed write (a full disk) with its
exception, tens of lines per failure in a cron log. The command's own error line names the
cause; with `--debug` the filter is not installed and the tracebacks show (see cli.main)."""

import logging

TRACEBACK = "Traceback (most recent call last)"


class OneLineFilter(logging.Filter):
    """Cuts a record's text before a traceback it quotes and drops attached exception info."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TRACEBACK in message:
            head = message.split(TRACEBACK, 1)[0].rstrip()
            record.msg, record.args = f"{head} (the traceback: --debug)", None
        record.exc_info = record.exc_text = None
        return True


def one_line_logs(logger: logging.Logger | None = None) -> None:
    """Installs `OneLineFilter` on dlt's logger (once)."""
    logger = logger or logging.getLogger("dlt")
    if not any(isinstance(f, OneLineFilter) for f in logger.filters):
        logger.addFilter(OneLineFilter())
