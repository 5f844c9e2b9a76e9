"""Faults the simulator can inject, at a rate and from a seed, so runs are repeatable."""

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

FAULT_KINDS = ("429", "500", "502", "503", "truncated", "html", "reset", "slow")


@dataclass
class Faults:
    """`rate` of requests (0..1) get one of `kinds`, drawn from `seed`."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: int = 1
    slow_seconds: float = 0.3
    injected: int = 0
    by_kind: Counter = field(default_factory=Counter, init=False)
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not 0 <= self.rate <= 1:
            raise ValueError(f"faults: rate must be in 0..1 and kinds in {FAULT_KINDS}")
        self._rng = random.Random(self.seed)

    def pick(self) -> str | None:
        if not self.rate:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            self.injected += 1
            kind = self._rng.choice(self.kinds)
            self.by_kind[kind] += 1
            return kind
