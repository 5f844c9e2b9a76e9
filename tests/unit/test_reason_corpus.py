"""The failure-reason rule measured on a corpus of phrasings with their expected cause
(tests/data/failure_reason_corpus.csv: the token kinds the rule drops, and the error texts
Microsoft Graph and the Gmail API document): precision and recall of the grouping, and the
family of each cause."""

import csv
from itertools import combinations
from pathlib import Path

from cf_bulk_sync.reasons.families import current_rules
from cf_bulk_sync.reasons.texts import derive_reasons

CORPUS = Path(__file__).parents[1] / "data" / "failure_reason_corpus.csv"


def corpus() -> list[dict[str, str]]:
    with CORPUS.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def pair_scores(expected: list[str], got: list[str]) -> tuple[float, float]:
    """Pairwise precision (pairs put together that belong together) and recall (pairs that
    belong together put together)."""
    together = same = both = 0
    for i, j in combinations(range(len(expected)), 2):
        same_cause, same_group = expected[i] == expected[j], got[i] == got[j]
        together += same_group
        same += same_cause
        both += same_cause and same_group
    return both / together, both / same


def test_the_corpus_is_large_and_covers_each_cause_more_than_once() -> None:
    rows = corpus()
    causes = {r["cause"] for r in rows}
    assert len(rows) >= 200
    assert len(causes) >= 70
    assert all(sum(r["cause"] == c for r in rows) >= 2 for c in causes)


def test_each_phrasing_falls_in_its_cause_and_no_two_causes_merge() -> None:
    rows = corpus()
    expected = [r["cause"] for r in rows]
    got = derive_reasons([r["text"] for r in rows])
    precision, recall = pair_scores(expected, got)
    print(
        f"\ncorpus: {len(rows)} texts, {len(set(expected))} causes, {len(set(got))} groups;"
        f" precision {precision:.3f}, recall {recall:.3f}"
    )
    wrong = [(r["text"], r["cause"], g) for r, g in zip(rows, got, strict=True) if g != r["cause"]]
    assert wrong == []
    assert (precision, recall) == (1.0, 1.0)
    assert len(set(got)) == len(set(expected))


def test_each_cause_gets_its_family_from_the_shipped_mapping() -> None:
    rules = current_rules()
    wrong = {
        (r["cause"], r["family"], rules.family(r["cause"]))
        for r in corpus()
        if rules.family(r["cause"]) != r["family"]
    }
    assert wrong == set()
