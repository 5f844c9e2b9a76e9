import time
from typing import Any

import pytest
import requests

from cf_bulk_sync.simulator import Faults, Simulator, World
from cf_bulk_sync.simulator.server import busiest_window

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


def test_the_rate_limit_is_a_sliding_window() -> None:
    """A slot frees when its own request is a window old, not at a fixed boundary."""
    with Simulator(World(seed=1, jobs=2), rate_limit=(2, 0.6)) as sim:
        assert requests.get(url(sim), headers=HEADERS).status_code == 200
        time.sleep(0.4)
        assert requests.get(url(sim), headers=HEADERS).status_code == 200
        time.sleep(0.3)  # the first is out of the window, the second not
        assert requests.get(url(sim), headers=HEADERS).status_code == 200
        assert requests.get(url(sim), headers=HEADERS).status_code == 429
        assert sim.busiest_window(0.6) == 3  # the refused one arrived too


def test_the_busiest_window_is_counted_over_a_sliding_window() -> None:
    assert busiest_window([0.0, 1.0, 9.9, 10.0, 10.5, 30.0], 10.0) == 4


LEGACY = {"X-Auth-Email": "sim@example.com", "X-Auth-Key": "sim-global-key"}


def verify(
    sim: Simulator, account: str | None = None, headers: dict[str, str] | None = None
) -> requests.Response:
    where = "/user" if account is None else f"/accounts/{account}"
    return requests.get(f"{sim.base_url}{where}/tokens/verify", headers=headers or HEADERS)


INVALID_TOKEN = [{"code": 1000, "message": "Invalid API Token"}]


@pytest.mark.parametrize(
    "owner,user_status,account_status",
    [
        pytest.param("user", 200, 401, id="user-owned"),
        pytest.param("account", 401, 200, id="account-owned"),
    ],
)
def test_a_token_is_verified_at_its_owners_endpoint_only(
    owner: str, user_status: int, account_status: int
) -> None:
    with Simulator(World(seed=3, jobs=2), token_owner=owner) as sim:
        at_user, at_account = verify(sim), verify(sim, sim.world.account_id)
        assert (at_user.status_code, at_account.status_code) == (user_status, account_status)
        known, unknown = (at_user, at_account) if owner == "user" else (at_account, at_user)
        body = known.json()
        assert body["success"] is True and body["result"]["status"] == "active"
        assert len(body["result"]["id"]) == 32 and "expires_on" not in body["result"]
        assert unknown.json()["errors"] == INVALID_TOKEN
        assert sim.counts["token_verify"] == 2 and sim.counts["jobs"] == 0


def test_verify_rejects_a_wrong_token_and_a_foreign_account(simulator: Simulator) -> None:
    wrong = verify(simulator, headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401 and wrong.json()["errors"] == INVALID_TOKEN
    assert verify(simulator, headers=LEGACY).status_code == 401  # not an API token
    assert verify(simulator, "f" * 32).status_code == 404
    assert verify(simulator, "not-an-account").status_code == 400


@pytest.mark.parametrize("status", ["disabled", "expired"])
def test_a_disabled_or_expired_token_verifies_but_cannot_read(status: str) -> None:
    with Simulator(World(seed=3, jobs=2), token_status=status) as sim:
        result = verify(sim).json()["result"]
        assert result["status"] == status
        assert ("expires_on" in result) == (status == "expired")
        listed = requests.get(url(sim), headers=HEADERS)
        assert listed.status_code == 403 and listed.json()["errors"][0]["code"] == 10000


def test_a_token_without_the_permission_is_active_but_gets_403_on_the_bulk_endpoints(
    simulator: Simulator,
) -> None:
    simulator.token_can_read = False
    assert verify(simulator).json()["result"]["status"] == "active"
    job_id = next(iter(simulator.world.jobs))
    for tail in ("", f"/{job_id}", f"/{job_id}/messages"):
        response = requests.get(url(simulator, tail), headers=HEADERS)
        assert response.status_code == 403, tail
        assert response.json()["errors"] == [{"code": 10000, "message": "Authentication error"}]
    # the legacy key is not an API token: its access is untouched
    assert requests.get(url(simulator), headers=LEGACY).status_code == 200


def test_token_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="token_owner must be one of user, account"):
        Simulator(token_owner="organization")
    with pytest.raises(ValueError, match="token_status must be one of active, disabled, expired"):
        Simulator(token_status="revoked")
