"""dlt's log during a run, one line per record: dlt logs a failed load job with the whole
traceback of the destination's error, tens of lines per failure, in a cron log. The run's own
error line names the cause; `--debug` prints the run's traceback (see cli.main)."""

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
