"""A request that reaches no server (closed port, unknown host, no TLS, connect timeout) fails at
once, naming host, port and base_url, with the client's default retry settings; one that fails
after the API answered is retried as before. Every address is on loopback (the unknown host
is answered by a patched resolver)."""

import socket
import time
from collections.abc import Iterator

import pytest
import requests
import requests_mock
from urllib3.exceptions import MaxRetryError, NewConnectionError

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World
from cf_bulk_sync.source import settings
from cf_bulk_sync.source.client import CloudflareAuth, CloudflareClient
from cf_bulk_sync.source.errors import TransientAPIError

from .fakes import ACCOUNT, BASE, PREFIX, ok

UNKNOWN_HOST = "cf-bulk-sync-test.invalid"


def default_client(base_url: str, **kwargs: float) -> CloudflareClient:
    """The client as a run makes it: 5 attempts, exponential backoff from 1 s."""
    return CloudflareClient(CloudflareAuth(DEFAULT_TOKEN), base_url=base_url, **kwargs)  # type: ignore[arg-type]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unknown_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The resolver answers for UNKNOWN_HOST as a real one does for .invalid: no such name."""
    real = socket.getaddrinfo

    def resolve(host: object, *args: object, **kwargs: object) -> object:
        if host == UNKNOWN_HOST:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield


def failure_of(client: CloudflareClient) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(TransientAPIError) as caught:
        client.probe_jobs(ACCOUNT)
    return str(caught.value), time.monotonic() - started


def test_a_closed_port_fails_at_once_naming_host_port_and_base_url() -> None:
    port = closed_port()
    client = default_client(f"http://127.0.0.1:{port}/client/v4")
    message, seconds = failure_of(client)
    assert seconds < 10  # a generous bound: before, 4 retries waited 1+2+4+8 s
    assert message == (
        f"job list of account {ACCOUNT}: cannot connect to 127.0.0.1:{port} (connection"
        " refused: nothing listens on that port): check base_url (CLOUDFLARE_API_BASE_URL, or"
        " base_url under [sources.cloudflare_email_security] in .dlt/config.toml)"
    )
    assert (client.stats.requests, client.stats.retries) == (1, 0)


def test_an_unknown_host_names_dns(unknown_host: None) -> None:
    client = default_client(f"https://{UNKNOWN_HOST}/client/v4")
    message, _ = failure_of(client)
    assert f"cannot connect to {UNKNOWN_HOST}:443 (the host name does not resolve in DNS)" in (
        message
    )
    assert "check base_url (CLOUDFLARE_API_BASE_URL" in message
    assert client.stats.retries == 0


def test_tls_to_a_server_without_it_names_the_tls_error() -> None:
    with Simulator(World(seed=1, jobs=1, messages=(0, 1))) as sim:  # plain HTTP only
        client = default_client(sim.base_url.replace("http://", "https://"))
        message, seconds = failure_of(client)
    assert seconds < 10
    assert f"cannot connect to 127.0.0.1:{sim.port} (TLS failed: [SSL: " in message
    assert "CA bundle (REQUESTS_CA_BUNDLE)" in message
    assert client.stats.retries == 0


def test_requests_get_the_connect_timeout_apart_from_the_read_timeout() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, json=ok([]))
        list(default_client(BASE, timeout=12.5, connect_timeout=2.5).iter_jobs(ACCOUNT))
        assert mock.last_request.timeout == (2.5, 12.5)
        list(default_client(BASE).iter_jobs(ACCOUNT))
        assert mock.last_request.timeout == (settings.DEFAULT_CONNECT_TIMEOUT, 30.0)  # deadline


def test_a_connect_timeout_names_the_setting() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, exc=requests.ConnectTimeout("timed out"))
        client = default_client(BASE, connect_timeout=2.5)
        message, _ = failure_of(client)
    assert "cannot connect to api.test:443 (no connection within connect_timeout=2.5s)" in message
    assert "raise connect_timeout" in message and mock.call_count == 1


@pytest.mark.parametrize(
    "first",
    [
        pytest.param({"json": ok([])}, id="after-an-answer"),
        pytest.param({"text": "<html>maintenance</html>"}, id="after-a-malformed-answer"),
        pytest.param({"exc": requests.ReadTimeout("slow")}, id="after-a-slow-answer"),
    ],
)
def test_a_connection_refused_after_the_api_answered_is_retried(first: dict) -> None:
    refused = NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]
    lost = requests.ConnectionError(MaxRetryError(None, PREFIX, refused))  # type: ignore[arg-type]
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, [first, {"exc": lost}, {"exc": lost}, {"exc": lost}])
        client = default_client(BASE, backoff_factor=0, max_attempts=3)
        # a blip for a client that reached the API, not a wrong base_url: retried, then named
        with pytest.raises(TransientAPIError, match="cannot connect to api.test:443"):
            for _ in range(2):  # the answer ends the first probe; a bad one is retried in it
                client.probe_jobs(ACCOUNT)
        assert mock.call_count == (4 if "json" in first else 3)
    assert client.stats.retries == 2
