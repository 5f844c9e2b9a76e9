"""`report` on a real sync: FAILED messages by family and the top FAILED reasons, SKIPPED and
CANCELLED apart and labelled, a family filter, and the reasons no family rule matched."""

import pytest

from cf_bulk_sync.errors import ConfigurationError
from cf_bulk_sync.models.runner import build_models
from cf_bulk_sync.reporting.report import build_report

from ..support.syncer import Syncer

pytestmark = pytest.mark.e2e

REPORTING = "cloudflare_email_security_reporting"


def section(text: str, title: str) -> list[str]:
    """The rows of the table under the line starting with `title` (header and rule dropped)."""
    block = next(b for b in text.split("\n\n") if b.startswith(title))
    return block.splitlines()[3:]


def test_report_groups_failures_by_family_and_keeps_statuses_apart(syncer: Syncer) -> None:
    syncer.run(per_page=20)
    assert build_models(syncer.pipeline()).blocking_failures == []
    text = build_report(syncer.pipeline(), top=50)
    assert "fail % of processed" in text.splitlines()[1]
    reasons = {
        status: {r: (f, n) for r, f, n in rows}
        for status in ("FAILED", "SKIPPED", "CANCELLED")
        for rows in [
            syncer.query(
                f"select failure_reason, reason_family, count_messages"
                f" from {REPORTING}.failure_reasons where message_status = '{status}'"
            )
        ]
    }
    assert all(reasons.values()), reasons  # the simulated account has all three
    top = section(text, "Top FAILED reasons")
    # FAILED reasons only, each with its family and count, the biggest first
    shown = [(r, f, n) for r, (f, n) in reasons["FAILED"].items()]
    assert len(top) == len(shown)
    for line, (reason, family, count) in zip(
        top, sorted(shown, key=lambda r: (-r[2], r[0])), strict=True
    ):
        assert line.startswith(reason) and family in line and f" {count} " in f"{line} "
    for status in ("SKIPPED", "CANCELLED"):
        rows = section(text, f"{status} reasons (not failures: shown apart)")
        assert {line.split("  ")[0] for line in rows} == set(reasons[status])
    # the families of all FAILED messages add up to them
    families = section(text, "FAILED messages by reason family")
    total = sum(n for _, n in reasons["FAILED"].values())
    counted = {}
    for line in families:
        family, messages = line.rsplit(None, 4)[0], int(line.split()[-4])
        counted[family.strip()] = messages
    assert sum(counted.values()) == total
    assert set(counted) == {f for f, _ in reasons["FAILED"].values()}


def test_report_filters_by_family_and_lists_the_unknown_reasons(syncer: Syncer) -> None:
    syncer.run(per_page=20)
    build_models(syncer.pipeline())
    family = "throttling/quota"
    text = build_report(syncer.pipeline(), top=50, family=family)
    top = section(text, f"Top FAILED reasons in family {family}")
    assert top and all(f"  {family}  " in line for line in top)
    with pytest.raises(ConfigurationError, match="no reason family 'throttle'"):
        build_report(syncer.pipeline(), family="throttle")
    others = syncer.query(
        f"select failure_reason, sum(count_messages) from {REPORTING}.failure_reasons"
        " where reason_family = 'other' group by 1"
    )
    unknown = build_report(syncer.pipeline(), top=50, unknown_reasons=True)
    rows = unknown.splitlines()[3:]
    assert unknown.startswith("Reasons in family other")
    assert {line.split("  ")[1].strip() for line in rows if line.strip()} == {r for r, _ in others}
