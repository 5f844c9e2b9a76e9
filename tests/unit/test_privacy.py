from pathlib import Path

import duckdb
import requests_mock

from cf_bulk_sync.loading.pipeline import sync
from cf_bulk_sync.source.privacy import Pseudonymizer

from ..support.warehouse import duckdb_pipeline
from .fakes import ACCOUNT, BASE, J1, FakeAPI, job, message


def test_same_address_same_pseudonym_other_key_other_pseudonym() -> None:
    one, two = Pseudonymizer("k1"), Pseudonymizer("k2")
    assert one.pseudonym("Alice@Example.com") == one.pseudonym(" alice@example.com")
    assert one.pseudonym("alice@example.com") != one.pseudonym("bob@example.com")
    assert one.pseudonym("alice@example.com") != two.pseudonym("alice@example.com")
    assert one.pseudonym("alice@example.com").startswith("anon-")
    assert "k1" not in repr(one)


def test_every_address_in_an_item_is_replaced() -> None:
    item = {
        "message_id": "m1",
        "action_params": {"client_recipient": "alice@example.com", "type": "MOVE"},
        "status_message": "Mailbox alice@example.com not found; cc bob@example.org",
        "message": {"from": "eve@evil.example", "to": ["carol@example.com"], "size": 3},
    }
    p = Pseudonymizer("key")
    p.apply(item)
    text = str(item)
    assert "@" not in text
    assert item["action_params"]["client_recipient"] == p.pseudonym("alice@example.com")
    assert item["status_message"] == (
        f"Mailbox <{p.pseudonym('alice@example.com')}> not found;"
        f" cc <{p.pseudonym('bob@example.org')}>"
    )
    assert item["message"]["size"] == 3
    p.apply(item)  # applying twice changes nothing
    assert item["action_params"]["client_recipient"] == p.pseudonym("alice@example.com")


def test_no_address_reaches_the_warehouse_when_pseudonymising(tmp_path: Path) -> None:
    with requests_mock.Mocker() as mock:
        FakeAPI(
            mock,
            [job(J1, total=2, status_message="Cancelled by boss@example.com")],
            {
                J1: [
                    message("m1", "FAILED", status_message="Mailbox x@example.com not found"),
                    message("m2"),
                ]
            },
        )
        pipeline = duckdb_pipeline(tmp_path)
        missing_key = sync(
            pipeline, account_id=ACCOUNT, api_token="t", base_url=BASE, pseudonymize_recipients=True
        )
        assert "pseudonymize_recipients needs a key" in missing_key.error
        result = sync(
            pipeline,
            account_id=ACCOUNT,
            api_token="t",
            base_url=BASE,
            pseudonymize_recipients=True,
            pseudonymization_key="secret-key",
        )
        assert result.error is None
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        tables = con.sql(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = 'cloudflare_email_security'"
            " and data_type = 'VARCHAR'"
        ).fetchall()
        leaks = [
            (t, c)
            for t, c in tables
            if con.sql(
                f'select count(*) from cloudflare_email_security."{t}" where "{c}" like \'%@%\''
            ).fetchall()[0][0]
        ]
        assert leaks == []
        recipients = con.sql(
            "select distinct action_params__client_recipient from"
            " cloudflare_email_security.bulk_job_messages"
        ).fetchall()
        assert recipients == [(Pseudonymizer("secret-key").pseudonym("a@example.com"),)]
