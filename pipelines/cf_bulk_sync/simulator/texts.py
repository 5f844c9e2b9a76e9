"""Pools of names and the failure texts the simulator writes into `status_message`.

The failure texts carry volatile details (addresses, ids, numbers) the way Cloudflare's do, so
that the SQL models' reason normalisation is exercised on realistic input.
"""

import random
import uuid

DOMAINS = ("example.com", "corp.example.org", "mail.example.net", "subsidiary.example.co.uk")
USERS = ("alice", "bob", "carol.smith", "d.jones", "finance", "hr-team", "it.support", "zoe_w")
DESTINATIONS = (
    "Inbox",
    "JunkEmail",
    "DeletedItems",
    "RecoverableItemsDeletions",
    "RecoverableItemsPurges",
)
DISPOSITIONS = ("MALICIOUS", "MALICIOUS-BEC", "SUSPICIOUS", "SPOOF", "SPAM", "BULK")
COMMENTS = (
    "Remove phishing campaign reported by SOC",
    "Release false positives from quarantine",
    "Invoice fraud wave, move to junk",
    "Purge malware attachments",
    None,
)

FAILURES = (
    "Mailbox {addr} not found",
    "Message {msgid} not found in mailbox",
    "Graph API error {code}: Service Unavailable (request-id: {uuid})",
    "Throttled by Microsoft Graph, retry in {secs}s",
    "Access denied: insufficient permissions for mailbox {addr} (code 0x{hex})",
    "Destination folder {folder} not accessible: {addr}",
    "Timeout after {secs} seconds while moving message {uuid}",
)
SKIPS = (
    "Message already in destination folder",
    "Recipient {addr} is outside the protected domains",
    "Message already moved by another action (job {uuid})",
)
CANCELS = ("Cancelled by {addr}", "Job cancelled before the message was processed")


def address(rng: random.Random) -> str:
    return f"{rng.choice(USERS)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def rng_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def fill(template: str, rng: random.Random) -> str:
    return template.format(
        addr=address(rng),
        msgid=f"<{rng.getrandbits(48):012x}@{rng.choice(DOMAINS)}>",
        code=rng.choice((500, 502, 503, 504)),
        uuid=rng_uuid(rng),
        secs=rng.choice((5, 30, 60, 120)),
        hex=f"{rng.getrandbits(32):08X}",
        folder=rng.choice(DESTINATIONS),
    )


def reason(status: str, rng: random.Random) -> str:
    pool = {"FAILED": FAILURES, "SKIPPED": SKIPS, "CANCELLED": CANCELS}[status]
    return fill(rng.choice(pool), rng)
