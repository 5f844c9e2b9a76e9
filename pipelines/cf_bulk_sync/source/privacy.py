"""Pseudonymisation of e-mail addresses before they are loaded."""

import hashlib
import hmac
import re
from typing import Any

ADDRESS = re.compile(r"[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PREFIX = "anon-"


class Pseudonymizer:
    """Replaces every e-mail address in a message item by a keyed hash (HMAC-SHA256 of the
    lower-cased address): `client_recipient` becomes `anon-<hash>`, an address inside a text
    becomes `<anon-<hash>>`. The same address always gives the same pseudonym, so recipients
    can still be counted and joined; without the key the address cannot be recovered."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def pseudonym(self, address: str) -> str:
        digest = hmac.new(self._key, address.strip().lower().encode(), hashlib.sha256)
        return PREFIX + digest.hexdigest()[:24]

    def apply(self, item: dict[str, Any]) -> dict[str, Any]:
        params = item.get("action_params")
        recipient = params.get("client_recipient") if isinstance(params, dict) else None
        if isinstance(recipient, str) and not recipient.startswith(PREFIX):
            params["client_recipient"] = self.pseudonym(recipient)  # type: ignore[index]
        for key, value in item.items():
            item[key] = self._walk(value)
        return item

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith(PREFIX):
                return value
            # inside text the pseudonym is bracketed, so reason normalisation drops it as a detail
            return ADDRESS.sub(lambda m: f"<{self.pseudonym(m.group(0))}>", value)
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        return value

    def __repr__(self) -> str:
        return "Pseudonymizer(<key redacted>)"
