"""The checks of `cf-bulk-sync check` that ask the API (see `cli.check`): the configuration as
the source takes it, the token (Cloudflare's verify endpoints; where a proxy or mirror has none,
the bulk list), and each account's bulk list; and `Check`, the line every check prints."""

import inspect
from dataclasses import dataclass
from typing import Any

from ..errors import CfBulkSyncError
from ..source import cloudflare_email_security
from ..source.client import CloudflareClient
from ..source.connect import make_client
from ..source.envelope import TOKEN_FIX
from ..source.errors import AccountError, AuthenticationError, describe_errors
from ..source.helpers import account_ids_of

OK, FAILED, WARN, SKIP, HELD = "ok", "FAILED", "warn", "skip", "HELD"
NEW_TOKEN = (
    "create or roll an API token with 'Cloud Email Security: Read' (dashboard: My Profile > API"
    " Tokens, or Manage Account > Account API Tokens) and set CLOUDFLARE_API_TOKEN"
)
BASE_URL_FIX = "check base_url and the network, then try again"
NO_ROUTE = 7000  # Cloudflare's "No route for that URI"
PERMISSION_FIX = (
    "edit the token: add the permission Account > Cloud Email Security > Read and include this"
    " account in its account resources"
)


@dataclass
class Check:
    name: str
    state: str  # OK, FAILED, WARN, SKIP or HELD
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        head = f"  {self.state:<7} {self.name}: {self.detail}"
        return [head, f"  {'':<7} fix: {self.fix}"] if self.fix else [head]


def api_checks(values: dict[str, Any], explicit: dict[str, Any]) -> list[Check]:
    """The configuration as the source takes it, then the token and each account."""
    try:
        cloudflare_email_security(**explicit)  # validates everything a run would, no request
        accounts = account_ids_of(values["account_id"])
        # the client's own settings, by its signature: a setting added there is passed here
        wanted = inspect.signature(make_client).parameters
        client = make_client(**{key: value for key, value in values.items() if key in wanted})
    except CfBulkSyncError as e:
        return [Check("configuration", FAILED, str(e), "set or correct the value named here")]
    auth = "an API token" if client.uses_token else "the legacy global API key"
    checks = [Check("configuration", OK, f"{len(accounts)} account(s), {auth}")]
    token = token_check(client, accounts)
    checks.append(token)
    for account in accounts:
        if token.state in (OK, WARN):
            checks.append(account_check(client, account))
        else:
            checks.append(Check(f"account {account}", SKIP, "not checked: the token failed"))
    return checks


def token_check(client: CloudflareClient, accounts: list[str]) -> Check:
    if not client.uses_token:
        return Check(
            "token",
            OK,
            "legacy global API key: Cloudflare verifies API tokens only; the account check"
            " proves access",
        )
    try:
        token = client.verify_token(accounts)
    except AuthenticationError as e:
        if e.status_code == 404 and NO_ROUTE in e.codes and accounts:
            return unverifiable_token(client, accounts[0], e)
        where = "/user/tokens/verify" + (" or any account's /tokens/verify" if accounts else "")
        detail = f"HTTP {e.status_code}, {describe_errors(e.errors)}"
        return Check("token", FAILED, f"not recognised at {where} ({detail})", NEW_TOKEN)
    except CfBulkSyncError as e:
        return Check("token", FAILED, str(e), BASE_URL_FIX)
    detail = f"{token.status} ({token.owner} token, verified at {token.path})"
    if token.expires_on:
        detail += f", expires on {token.expires_on}"
    return Check("token", OK if token.active else FAILED, detail, "" if token.active else NEW_TOKEN)


def unverifiable_token(
    client: CloudflareClient, account: str, refused: AuthenticationError
) -> Check:
    """The API here has no verify route (a proxy, a mirror): the token is judged by the bulk
    list of `account` instead, a warning when that answers."""
    detail = f"HTTP {refused.status_code}, {describe_errors(refused.errors)}"
    try:
        client.probe_jobs(account)
    except AuthenticationError as e:
        listed = f"HTTP {e.status_code}, {describe_errors(e.errors)}"
        return Check(
            "token",
            FAILED,
            f"no verify route here ({detail}) and the bulk list refused it ({listed})",
            NEW_TOKEN,
        )
    except CfBulkSyncError as e:
        return Check("token", FAILED, f"no verify route here ({detail}); {e}", BASE_URL_FIX)
    return Check(
        "token",
        WARN,
        f"could not verify the token here (/user/tokens/verify: {detail}); the bulk list answered",
    )


def account_check(client: CloudflareClient, account: str) -> Check:
    name = f"account {account}"
    try:
        client.probe_jobs(account)
    except AuthenticationError as e:
        detail = f"HTTP {e.status_code}, {describe_errors(e.errors)}"
        return Check(
            name,
            FAILED,
            f"the token may not read its bulk action jobs ({detail}): it lacks the permission"
            " 'Cloud Email Security: Read'",
            PERMISSION_FIX,
        )
    except AccountError as e:
        return Check(name, FAILED, str(e), "set account_id to an account your token can read")
    except CfBulkSyncError as e:
        fix = f"check base_url and the network, then try again; {TOKEN_FIX}"
        return Check(name, FAILED, str(e), fix)
    return Check(name, OK, "can read its bulk action jobs ('Cloud Email Security: Read')")
