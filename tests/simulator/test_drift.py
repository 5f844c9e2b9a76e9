"""The simulator's drift options, each seen on the wire: what is served changes, the truth not."""

import json
from typing import Any

import pytest
import requests

from cf_bulk_sync.simulator import DRIFT_KINDS, Drift, Simulator, World
from cf_bulk_sync.simulator.drift import EMPTY_PAGES

from .test_server import HEADERS, url


def get(sim: Simulator, tail: str = "", **params: Any) -> requests.Response:
    return requests.get(url(sim, tail), params=params, headers=HEADERS, timeout=10)


def pages(sim: Simulator, tail: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, raw, following `next`."""
    found, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = get(sim, tail, **query).json()
        found.append(body)
        cursor = body["result_info"]["next"]
        if not cursor:
            return found


@pytest.fixture
def sim() -> Any:
    with Simulator(World(seed=11, jobs=12, messages=(0, 60))) as running:
        yield running


def busy_job(sim: Simulator) -> str:
    return next(j for j, job in sim.world.jobs.items() if len(job.messages) > 20)


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown kinds"):
        Drift({"added-column"})
    assert len(DRIFT_KINDS) == len(set(DRIFT_KINDS))


def test_added_fields_are_served_on_jobs_and_messages(sim: Simulator) -> None:
    job_id = busy_job(sim)
    sim.drift.kinds |= {"added-scalar", "added-list", "added-object"}
    (job,) = [j for j in get(sim).json()["result"] if j["job_id"] == job_id]
    message = get(sim, f"/{job_id}/messages").json()["result"][0]
    for item in (job, message):
        assert isinstance(item["spam_score"], int) and isinstance(item["labels"], list)
        assert isinstance(item["delivery"]["hops"], list)
    sim.drift.kinds.clear()
    assert "labels" not in get(sim, f"/{job_id}/messages").json()["result"][0]


def test_a_type_change_follows_time(sim: Simulator) -> None:
    job_id = busy_job(sim)
    sim.drift.kinds.add("type-change")
    seen = set()
    for _ in range(3):
        verdict = get(sim, f"/{job_id}/messages").json()["result"][0]["verdict"]
        seen.add(type(verdict).__name__)
        sim.advance(create=0, delete=0)
    assert seen == {"int", "str", "dict"}


def test_a_poison_item_is_served_in_one_settled_job_only(sim: Simulator) -> None:
    sim.drift.kinds.add("poison-item")
    poisoned = sim.drift.poisoned(sim.world)
    assert poisoned is not None
    job, message = poisoned
    served = get(sim, f"/{job.fields['job_id']}/messages").content
    assert f'"retry_count":{10**30}'.encode() in served
    assert (job.fields["job_id"], message["message_id"]) not in sim.served_truth()
    assert len(sim.served_truth()) == len(sim.world.truth_messages()) - 1


def test_success_false_with_http_200(sim: Simulator) -> None:
    sim.drift.kinds.add("false-temporary")
    answers = [get(sim) for _ in range(14)]
    failed = [a for a in answers if a.json()["success"] is False]
    assert len(failed) == 2 and all(a.status_code == 200 for a in failed)
    assert "Internal server error" in failed[0].json()["errors"][0]["message"]
    sim.drift.kinds = {"false-one-job"}
    settled = next(j for j, job in sim.world.jobs.items() if job.status == "COMPLETED")
    for _ in range(2):
        answer = get(sim, f"/{settled}/messages")
        assert answer.status_code == 200 and answer.json()["success"] is False


def test_errors_listed_on_success(sim: Simulator) -> None:
    sim.drift.kinds.add("errors-on-success")
    body = get(sim).json()
    assert body["success"] is True and body["errors"][0]["code"] == 9000


def test_empty_pages_between_pages_keep_every_message(sim: Simulator) -> None:
    job_id = busy_job(sim)
    plain = pages(sim, f"/{job_id}/messages", per_page=10)
    sim.drift.kinds.add("empty-pages")
    drifted = pages(sim, f"/{job_id}/messages", per_page=10)
    assert len(drifted) == len(plain) + EMPTY_PAGES * (len(plain) - 1)
    assert [m for p in drifted for m in p["result"]] == [m for p in plain for m in p["result"]]
    assert sum(1 for p in drifted if not p["result"] and p["result_info"]["next"]) > 0


def test_a_404_on_a_later_page_of_a_busy_job_is_served_once(sim: Simulator) -> None:
    sim.drift.kinds.add("transient-404")
    busy = next(
        j
        for j, job in sim.world.jobs.items()
        if job.status in ("DISCOVERING", "PROCESSING") and len(job.messages) > 20
    )
    first = get(sim, f"/{busy}/messages", per_page=10).json()
    cursor = first["result_info"]["next"]
    assert get(sim, f"/{busy}/messages", per_page=10, cursor=cursor).status_code == 404
    assert get(sim, f"/{busy}").status_code == 200  # the job itself still answers
    assert get(sim, f"/{busy}/messages", per_page=10, cursor=cursor).status_code == 200


def test_ids_in_a_new_format_are_served_and_answered(sim: Simulator) -> None:
    sim.drift.kinds.add("id-format")
    listed = [j["job_id"] for j in get(sim).json()["result"]]
    assert all(j.startswith("bja_") and len(j) == 28 for j in listed)
    assert get(sim, f"/{listed[0]}").json()["result"]["job_id"] == listed[0]
    assert get(sim, f"/{listed[0]}/messages").status_code == 200
    old = next(iter(sim.world.jobs))
    assert get(sim, f"/{old}").status_code == 404
    assert {j for j, _ in sim.served_truth()} <= set(listed)


def test_a_byte_order_mark_before_every_json_body(sim: Simulator) -> None:
    sim.drift.kinds.add("bom")
    raw = get(sim).content
    assert raw.startswith(b"\xef\xbb\xbf") and json.loads(raw[3:])["success"] is True


def test_lowercase_statuses(sim: Simulator) -> None:
    sim.drift.kinds.add("lowercase-status")
    jobs = get(sim).json()["result"]
    assert {j["status"] for j in jobs} <= {"pending", "discovering", "processing", "completed"} | {
        "failed",
        "cancelled",
    }


def test_an_edge_block_answers_html_403_to_everything(sim: Simulator) -> None:
    sim.drift.kinds.add("edge-403")
    answer = get(sim)
    assert answer.status_code == 403 and answer.headers["Content-Type"] == "text/html"
    assert b"<title>Attention Required! | Cloudflare</title>" in answer.content
