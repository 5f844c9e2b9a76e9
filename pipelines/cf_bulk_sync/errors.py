"""The project's errors: one root, one subclass per kind of failure a user must act on.

Messages name the cause and the fix in one line; none of them ever contains a credential.
The Cloudflare API's errors are in `source.errors`, under the same root.
"""


class CfBulkSyncError(Exception):
    """Base of every error cf-bulk-sync raises on purpose."""


class ConfigurationError(CfBulkSyncError):
    """Bad input found before any request was made."""


class MissingDriverError(ConfigurationError):
    """The destination's Python driver is not installed: the message names the package (an
    extra of cf-bulk-sync) to install. Exit 2, like other usage a command cannot start with."""


class RunLockedError(CfBulkSyncError):
    """Another process holds a lock this command needs (another run of the same pipeline);
    the command changed nothing."""


class WarehouseBusyError(RunLockedError):
    """The DuckDB warehouse stayed in use past the bounded wait: written by a sync while a
    reader waited, or read while the sync waited."""


class ModelError(CfBulkSyncError):
    """A model or assertion could not be found, compiled or built."""
