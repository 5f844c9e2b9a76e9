"""One SQL model as the runner plans and writes it: its file, what it reads, how it is built.
Its own module because the plan (`incremental`) and the writer (`materialize`) take models
too, and both sit below the runner, which alone imports them."""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp


@dataclass
class Model:
    name: str
    path: Path
    # the model's parsed SQL, made when first asked for (`tree`): a build whose statements are
    # all kept (see sql_cache) needs none
    parse: Callable[[], exp.Expression] = field(repr=False)
    reads: set[str]
    # marts built per job (`-- incremental: job_id`): see `incremental`
    key: str | None = None

    @functools.cached_property
    def tree(self) -> exp.Expression:
        return self.parse()

    @property
    def is_view(self) -> bool:
        """Staging models are views: they only rename and cast, so a table would copy every
        raw row on every build. Marts are tables: BI tools read them."""
        return self.path.parent.name == "staging"
