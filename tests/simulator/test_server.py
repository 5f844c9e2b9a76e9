import time
from typing import Any

import pytest
import requests

from cf_bulk_sync.simulator import Faults, Simulator, World

HEADERS = {"Authorization": "Bearer sim-token"}


def url(sim: Simulator, tail: str = "") -> str:
    return f"{sim.base_url}/accounts/{sim.world.account_id}/email-security/investigate/bulk{tail}"


def walk(sim: Simulator, tail: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = requests.get(url(sim, tail), params=query, headers=HEADERS).json()
        assert body["success"] is True and body["result_info"]["count"] == len(body["result"])
        items.extend(body["result"])
        cursor = body["result_info"]["next"]
        if not cursor:
            return items


def test_cursor_paging_lists_every_job_once(simulator: Simulator) -> None:
    jobs = walk(simulator, "", per_page=5)
    assert [j["job_id"] for j in jobs] == list(simulator.world.jobs)
    assert simulator.counts["jobs"] == -(-len(jobs) // 5)


def test_message_paging_matches_truth_per_status(simulator: Simulator) -> None:
    job_id = max(simulator.world.jobs, key=lambda j: len(simulator.world.jobs[j].messages))
    messages = walk(simulator, f"/{job_id}/messages", per_page=7)
    truth = {m: s for (j, m), s in simulator.world.truth_messages().items() if j == job_id}
    assert {m["message_id"]: m["status"] for m in messages} == truth
    failed = walk(simulator, f"/{job_id}/messages", per_page=3, status="FAILED")
    assert {m["message_id"] for m in failed} == {m for m, s in truth.items() if s == "FAILED"}


def test_result_info_has_dead_fields_at_zero_and_a_previous_cursor(simulator: Simulator) -> None:
    first = requests.get(url(simulator), params={"per_page": 2}, headers=HEADERS).json()
    info = first["result_info"]
    assert (info["page"], info["total_count"], info["previous"]) == (0, 0, None)
    second = requests.get(
        url(simulator), params={"per_page": 2, "cursor": info["next"]}, headers=HEADERS
    ).json()
    back = requests.get(
        url(simulator),
        params={"per_page": 2, "cursor": second["result_info"]["previous"]},
        headers=HEADERS,
    ).json()
    assert back["result"] == first["result"]


def test_per_page_is_capped_at_1000_and_validated(simulator: Simulator) -> None:
    body = requests.get(url(simulator), params={"per_page": 5000}, headers=HEADERS).json()
    assert body["result_info"]["per_page"] == 1000
    bad = requests.get(url(simulator), params={"per_page": "ten"}, headers=HEADERS)
    assert bad.status_code == 400 and bad.json()["success"] is False


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda c: c[:-3] + ("AAA" if not c.endswith("AAA") else "BBB"), id="tampered"),
        pytest.param(lambda c: "not-a-cursor", id="garbage"),
    ],
)
def test_bad_cursors_get_400(simulator: Simulator, mangle: Any) -> None:
    cursor = requests.get(url(simulator), params={"per_page": 2}, headers=HEADERS).json()[
        "result_info"
    ]["next"]
    response = requests.get(
        url(simulator), params={"per_page": 2, "cursor": mangle(cursor)}, headers=HEADERS
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 10021


def test_expired_and_foreign_cursors_get_400(simulator: Simulator) -> None:
    cursor = requests.get(url(simulator), params={"per_page": 2}, headers=HEADERS).json()[
        "result_info"
    ]["next"]
    foreign = requests.get(
        url(simulator), params={"per_page": 3, "cursor": cursor}, headers=HEADERS
    )
    assert foreign.status_code == 400
    simulator.expire_cursors()
    stale = requests.get(url(simulator), params={"per_page": 2, "cursor": cursor}, headers=HEADERS)
    assert stale.status_code == 400 and "expired" in stale.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "headers,status",
    [
        pytest.param({}, 403, id="none"),
        pytest.param({"Authorization": "Bearer wrong"}, 403, id="wrong-token"),
        pytest.param(
            {"X-Auth-Email": "sim@example.com", "X-Auth-Key": "sim-global-key"},
            200,
            id="legacy-key",
        ),
        pytest.param(
            {"X-Auth-Email": "sim@example.com", "X-Auth-Key": "nope"}, 403, id="legacy-wrong"
        ),
    ],
)
def test_auth(simulator: Simulator, headers: dict[str, str], status: int) -> None:
    response = requests.get(url(simulator), headers=headers)
    assert response.status_code == status
    if status == 403:
        assert response.json()["errors"] == [{"code": 10000, "message": "Authentication error"}]


def test_unknown_job_and_account(simulator: Simulator) -> None:
    missing = requests.get(url(simulator, "/00000000-0000-4000-8000-000000000000"), headers=HEADERS)
    assert missing.status_code == 404 and missing.json()["success"] is False
    other = requests.get(
        url(simulator).replace(simulator.world.account_id, "f" * 32), headers=HEADERS
    )
    assert other.status_code == 404
    malformed = requests.get(
        url(simulator).replace(simulator.world.account_id, "xyz"), headers=HEADERS
    )
    assert malformed.status_code == 400 and malformed.json()["errors"][0]["code"] == 7003


def test_single_job_endpoint_returns_the_job_with_counters(simulator: Simulator) -> None:
    job_id = next(iter(simulator.world.jobs))
    body = requests.get(url(simulator, f"/{job_id}"), headers=HEADERS).json()
    assert body["result"] == simulator.world.truth_jobs()[job_id]
    assert simulator.counts["job"] == 1


def test_admin_endpoints_move_time_and_count(simulator: Simulator) -> None:
    requests.get(url(simulator), headers=HEADERS)
    admin = f"http://127.0.0.1:{simulator.port}/__admin"
    assert requests.get(f"{admin}/requests").json() == {"jobs": 1}
    changes = requests.post(f"{admin}/advance", params={"steps": 2}).json()
    assert len(changes["created"]) == 2 and all(
        j in simulator.world.jobs for j in changes["created"]
    )
    requests.post(f"{admin}/reset-counts")
    assert simulator.counts == {}


@pytest.mark.parametrize(
    "kind,check",
    [
        pytest.param(
            "429", lambda r: r.status_code == 429 and r.headers["Retry-After"] == "1", id="429"
        ),
        pytest.param("503", lambda r: r.status_code == 503 and not r.json()["success"], id="503"),
        pytest.param(
            "html", lambda r: r.status_code == 502 and r.text.startswith("<html>"), id="html"
        ),
        pytest.param("truncated", lambda r: r.status_code == 200 and _not_json(r), id="truncated"),
    ],
)
def test_faults_answer_as_configured(kind: str, check: Any) -> None:
    with Simulator(World(seed=1, jobs=2), faults=Faults(rate=1.0, kinds=(kind,))) as sim:
        assert check(requests.get(url(sim), headers=HEADERS))
        assert sim.faults.injected == 1


def _not_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return True
    return False


def test_reset_fault_drops_the_connection() -> None:
    faults = Faults(rate=1.0, kinds=("reset",))
    with (
        Simulator(World(seed=1, jobs=2), faults=faults) as sim,
        pytest.raises(requests.ConnectionError),
    ):
        requests.get(url(sim), headers=HEADERS)


def test_fault_rate_is_seeded_and_about_right() -> None:
    def draws(seed: int) -> list:
        faults = Faults(rate=0.2, seed=seed)
        return [faults.pick() for _ in range(1000)]

    assert draws(4) == draws(4)
    injected = sum(1 for d in draws(4) if d)
    assert 150 < injected < 250


def test_latency_is_added() -> None:
    with Simulator(World(seed=1, jobs=1), latency=0.2) as sim:
        started = time.monotonic()
        requests.get(url(sim), headers=HEADERS)
        assert time.monotonic() - started >= 0.2


def test_first_page_after_expiry_carries_a_fresh_cursor(simulator: Simulator) -> None:
    first = requests.get(url(simulator), params={"per_page": 2}, headers=HEADERS).json()
    simulator.expire_cursors()
    again = requests.get(url(simulator), params={"per_page": 2}, headers=HEADERS).json()
    assert again["result_info"]["next"] != first["result_info"]["next"]
    follow = requests.get(
        url(simulator),
        params={"per_page": 2, "cursor": again["result_info"]["next"]},
        headers=HEADERS,
    )
    assert follow.status_code == 200


def test_rate_limit_answers_429_with_retry_after() -> None:
    with Simulator(World(seed=1, jobs=2), rate_limit=(3, 60.0)) as sim:
        statuses = [requests.get(url(sim), headers=HEADERS).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        last = requests.get(url(sim), headers=HEADERS)
        assert 1 <= int(last.headers["Retry-After"]) <= 60
        assert sim.counts["rate_limited"] == 3 and len(sim.request_times) == 6
