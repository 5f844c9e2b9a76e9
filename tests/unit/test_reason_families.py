"""The family of a reason: the shipped mapping, a user's rules before it (config table, then
their CSV), bad rules named in one line, and a digest that changes with the mapping."""

from pathlib import Path

import pytest

from cf_bulk_sync.errors import ConfigurationError
from cf_bulk_sync.reasons.families import FamilyRules, current_rules, shipped_rules
from cf_bulk_sync.reasons.names import FAMILIES, OTHER


@pytest.mark.parametrize(
    "reason,family",
    [
        pytest.param("Cancelled", "excluded by policy", id="cancelled-by-user"),
        pytest.param("Cancelled by policy", "excluded by policy", id="cancelled-by-policy"),
        pytest.param("Job cancelled before the message was processed", "excluded by policy"),
        pytest.param("Message already moved by another action", "already done or duplicate"),
        pytest.param("Rate limit exceeded", "throttling/quota", id="throttling"),
        pytest.param("ErrorAccessDenied", "permission/auth", id="graph-code"),
        pytest.param("Mailbox not found", "not found", id="not-found"),
        pytest.param("Graph API error", "provider error", id="provider"),
        pytest.param("Moved message", OTHER, id="other"),
        pytest.param("unknown", OTHER, id="unknown"),
    ],
)
def test_the_shipped_mapping(reason: str, family: str) -> None:
    assert current_rules().family(reason) == family


def test_the_shipped_mapping_uses_the_known_families_only() -> None:
    assert {family for _, family in shipped_rules()} <= set(FAMILIES)


def test_a_users_rules_come_first_config_then_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = current_rules()
    file = tmp_path / "families.csv"
    file.write_text(
        '# mine\npattern,family\nmailbox is full,mailbox hygiene\n"graph, api",provider error\n'
    )
    monkeypatch.setenv("CF_BULK_SYNC__REASON_FAMILIES", '{"^moved": "already done or duplicate"}')
    monkeypatch.setenv("CF_BULK_SYNC__REASON_FAMILIES_FILE", str(file))
    rules = current_rules()
    assert rules.rules[:3] == (
        ("^moved", "already done or duplicate"),
        ("mailbox is full", "mailbox hygiene"),
        ("graph, api", "provider error"),
    )
    assert rules.family("Moved message") == "already done or duplicate"
    assert rules.family("Mailbox is full") == "mailbox hygiene"
    assert rules.family("Mailbox not found") == "not found"
    assert rules.digest != shipped.digest


@pytest.mark.parametrize(
    "setting,value,says",
    [
        pytest.param("REASON_FAMILIES", '{"(unclosed": "x"}', "not a regular expression", id="re"),
        pytest.param("REASON_FAMILIES", '{"x": ""}', "needs a family name", id="no-family"),
        pytest.param("REASON_FAMILIES_FILE", "/nonexistent/f.csv", "cannot be read", id="file"),
    ],
)
def test_a_bad_rule_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, setting: str, value: str, says: str
) -> None:
    monkeypatch.setenv(f"CF_BULK_SYNC__{setting}", value)
    with pytest.raises(ConfigurationError, match=says) as raised:
        current_rules()
    assert "\n" not in str(raised.value)


def test_a_csv_row_without_a_family_is_named(tmp_path: Path) -> None:
    from cf_bulk_sync.reasons.families import read_rules

    with pytest.raises(ConfigurationError, match="is not `pattern,family`"):
        read_rules("pattern,family\njust a pattern\n", "mine.csv")


def test_the_digest_follows_the_rules() -> None:
    a = FamilyRules((("x", "other"),))
    assert a.digest == FamilyRules((("x", "other"),)).digest
    assert a.digest != FamilyRules((("x", "not found"),)).digest
