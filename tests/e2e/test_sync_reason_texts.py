"""The sync loads the failure reasons of the texts it fetches in its own load package, so the
build after a run has none left to derive and loads nothing of its own (a dlt load costs more
than the rest of a build that changed one job)."""

from pathlib import Path
from typing import Any

import pytest

from cf_bulk_sync.loading.pipeline import sync
from cf_bulk_sync.models.runner import build_models
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.reasons import texts as reason_texts
from cf_bulk_sync.reasons.rule import RULE_VERSION
from cf_bulk_sync.reasons.texts import text_hash
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World
from cf_bulk_sync.source import settings

from ..support.warehouse import duckdb_pipeline, query

pytestmark = [pytest.mark.e2e]
RAW = "cloudflare_email_security"


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="arrow-pages"),
        # pages read as dicts: the texts are those stored, pseudonymised
        pytest.param(
            {"pseudonymize_recipients": True, "pseudonymization_key": "k" * 32}, id="dict-pages"
        ),
    ],
)
def test_a_run_loads_the_reasons_of_its_texts_with_its_messages(
    tmp_path: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # batches of 3 texts: a text met again in a later batch of the same package is kept once;
    # from 2 texts on as Arrow tables, so one package holds texts of both kinds (a last batch
    # of one text goes as a dict row)
    monkeypatch.setattr(settings, "REASON_BATCH_TEXTS", 3)
    monkeypatch.setattr(reason_texts, "ARROW_FROM", 2)
    pipeline = duckdb_pipeline(tmp_path)
    db = tmp_path / "w.duckdb"
    with Simulator(World(seed=5, jobs=6, messages=(20, 90))) as sim:
        args = dict(account_id=sim.world.account_id, api_token=DEFAULT_TOKEN, base_url=sim.base_url)
        result = sync(pipeline, per_page=25, **args, **options)
        assert decide(result).exit_code == 0, result.error
    stored = {
        row[0]
        for row in query(
            db,
            f"select distinct status_message from {RAW}.bulk_job_messages"
            " where status_message is not null and status_message <> ''",
        )
    }
    assert len(stored) > 5
    texts = query(
        db,
        f"select text_hash, status_message, rule_version, _dlt_load_id"
        f" from {RAW}.failure_reason_texts",
    )
    assert {row[1] for row in texts} == stored and len(texts) == len(stored)
    assert all(row[0] == text_hash(row[1]) and row[2] == RULE_VERSION for row in texts)
    # in the messages' own package
    message_loads = {r[0] for r in query(db, f"select _dlt_load_id from {RAW}.bulk_job_messages")}
    assert {row[3] for row in texts} <= message_loads
    loads = query(db, f"select count(*) from {RAW}._dlt_loads")
    build = build_models(pipeline)
    assert build.blocking_failures == []
    assert query(db, f"select count(*) from {RAW}._dlt_loads") == loads
    assert query(db, f"select count(*) from {RAW}_reporting.stg_bulk_job_messages") == query(
        db, f"select count(*) from {RAW}.bulk_job_messages"
    )
    reasons = query(
        db,
        f"select count(*) from {RAW}_reporting.stg_bulk_job_messages"
        " where status_message is not null and status_message <> '' and failure_reason is null",
    )
    assert reasons == [(0,)]
