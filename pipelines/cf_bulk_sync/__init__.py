"""cf-bulk-sync: Cloudflare Email Security bulk action jobs and their messages, synced with dlt
into a warehouse and reported on in SQL."""

__version__ = "0.2.0"
