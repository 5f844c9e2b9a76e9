"""A local simulator of Cloudflare Email Security's bulk action endpoints, for demos and tests."""

from .faults import FAULT_KINDS, Faults
from .server import DEFAULT_EMAIL, DEFAULT_KEY, DEFAULT_TOKEN, Simulator
from .world import World

__all__ = [
    "Simulator",
    "World",
    "Faults",
    "FAULT_KINDS",
    "DEFAULT_TOKEN",
    "DEFAULT_EMAIL",
    "DEFAULT_KEY",
]
