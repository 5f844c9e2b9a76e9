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


class JsonColumnNotice(logging.Filter):
    """Drops dlt's warning that the Arrow and declared hints of `bulk_job_messages` differ.

    The one difference is `message`: declared JSON, and Arrow can carry JSON only as text. dlt
    keeps the declared type, which is what we want, but warns on every item, burying a cron
    log. The test loading the same data through both paths guards the tables' real shape.
    """

    NOTICE = "In resource: bulk_job_messages, when merging arrow schema with dlt schema"

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.NOTICE)


def quiet_json_column_notice(logger: logging.Logger) -> None:
    if not any(isinstance(f, JsonColumnNotice) for f in logger.filters):
        logger.addFilter(JsonColumnNotice())
