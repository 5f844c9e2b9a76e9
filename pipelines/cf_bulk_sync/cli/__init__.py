"""`cf-bulk-sync`, the command line: parsing in `parser`, one function per command in `commands`."""

from .main import main

__all__ = ["main"]
