"""cf-bulk-sync: Cloudflare Email Security bulk action jobs and their messages, synced with dlt
into a warehouse and reported on in SQL."""

import time

__version__ = "0.2.0"
# when the package was first imported: a command's start, for the time its summary gives
STARTED = time.monotonic()
