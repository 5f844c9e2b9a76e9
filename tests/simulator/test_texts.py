"""The simulator's failure texts: phrasings with real tokens that the failure-reason rule
groups back into their cause, and a choice of phrasing that leaves the world's random stream
as it was."""

import random

import pytest

from cf_bulk_sync.reasons.texts import derive_reasons
from cf_bulk_sync.simulator import texts

TEMPLATES = [t for pool in (texts.FAILURES, texts.SKIPS, texts.CANCELS) for e in pool for t in e]


def reasons_of(template: str, times: int = 100) -> tuple[set[str], set[str]]:
    """(the distinct texts, their distinct reasons) of `template` filled `times` times."""
    rng = random.Random(template)
    filled = {texts.fill((template,), rng) for _ in range(times)}
    return filled, set(derive_reasons(list(filled)))


@pytest.mark.parametrize("template", [pytest.param(t, id=t) for t in TEMPLATES])
def test_the_tokens_of_a_phrasing_never_split_its_reason(template: str) -> None:
    filled, reasons = reasons_of(template)
    # a folder name is a word of the sentence, not a token: one reason per folder
    expected = len(texts.DESTINATIONS) if "{folder} not accessible" in template else 1
    assert len(reasons) == expected, reasons
    assert len(filled) > 1 or "{" not in template  # the tokens make the texts distinct


def test_the_phrasings_of_one_cause_share_its_reason() -> None:
    phrasings = [t for t in TEMPLATES if "not found in mailbox" in t]
    assert len(phrasings) == 4
    assert set().union(*(reasons_of(t)[1] for t in phrasings)) == {"Message not found in mailbox"}
    duplicates = [t for t in TEMPLATES if t.startswith("Duplicate message")]
    assert set().union(*(reasons_of(t)[1] for t in duplicates)) == {"Duplicate message in job"}


def test_the_phrasing_drawn_leaves_the_worlds_stream_as_it_was() -> None:
    one, many = random.Random(7), random.Random(7)
    texts.fill(("only",), one)
    texts.fill(texts.FAILURES[1], many)
    assert one.random() == many.random()
