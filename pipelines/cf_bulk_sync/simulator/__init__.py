"""A local simulator of Cloudflare Email Security's bulk action endpoints, for demos and tests.

The server and the world are imported when first named: the command line lists the drift
kinds (`drift.DRIFT_KINDS`) in its help, and `--help` must not wait for an HTTP server."""

from typing import TYPE_CHECKING, Any

from .drift import DRIFT_KINDS, Drift
from .faults import FAULT_KINDS, Faults

if TYPE_CHECKING:
    from .server import DEFAULT_EMAIL, DEFAULT_KEY, DEFAULT_TOKEN, Simulator
    from .world import World

__all__ = [
    "Simulator",
    "World",
    "Faults",
    "FAULT_KINDS",
    "Drift",
    "DRIFT_KINDS",
    "DEFAULT_TOKEN",
    "DEFAULT_EMAIL",
    "DEFAULT_KEY",
]
_LAZY = {
    "Simulator": "server",
    "DEFAULT_TOKEN": "server",
    "DEFAULT_EMAIL": "server",
    "DEFAULT_KEY": "server",
    "World": "world",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{_LAZY[name]}", __name__), name)
