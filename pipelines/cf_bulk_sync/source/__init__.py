"""dlt source for Cloudflare Email Security bulk action jobs and the messages of each job.

The source and its resources are in `resources`. They are imported when first asked for, not
with this package: the reading commands (`report`, `dashboard`, `check`) use the light modules
beside them (`settings`, `stats`, `secrets`), and importing the resources brings dlt's extract
machinery, pyarrow and requests (about 0.3 s of a command that takes 0.5 s).
"""

from typing import TYPE_CHECKING, Any

from .stats import SyncStats

if TYPE_CHECKING:
    from .resources import cloudflare_email_security

__all__ = ["cloudflare_email_security", "SyncStats"]


def __getattr__(name: str) -> Any:
    if name == "cloudflare_email_security":
        from .resources import cloudflare_email_security

        return cloudflare_email_security
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
