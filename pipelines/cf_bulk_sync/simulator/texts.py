"""Pools of names and the failure texts the simulator writes into `status_message`.

The failure texts carry variable tokens (addresses, ids, numbers, hosts, tails) and several
phrasings of one cause, the way mail providers' do, so that the failure-reason rule
(`cf_bulk_sync.reasons`) is exercised on realistic input.
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

# Each entry is one kind of failure: phrasings of a cause, the same words around variable tokens
# (addresses, message ids, request ids, counts, UUIDs, HTTP codes, hosts, tails after ':' or
# '('), as real mail providers write them, and beside them a related cause in other words
# (ErrorItemNotFound beside "Message not found in mailbox"). The number of entries per status
# is part of the world's random stream (`reason` draws one); which phrasing a message gets is
# drawn from the values already drawn for it, so adding a phrasing changes no other part of a
# world.
FAILURES = (
    (
        "Mailbox {addr} not found",
        "Mailbox not found: {addr}",
        "Mailbox not found ({addr})",
    ),
    (
        "Message not found in mailbox",
        "Message not found in mailbox {addr}",
        "Message {msgid} not found in mailbox",
        "Message {msgid} not found in mailbox {addr}",
        "ErrorItemNotFound: The specified object was not found in the store.",
    ),
    (
        "Graph API error {code}: Service Unavailable (request-id: {uuid})",
        "Graph API error {code}",
        "Graph API error {code}: Internal Server Error, client-request-id: {uuid}",
    ),
    (
        "Throttled by Microsoft Graph, retry in {secs}s",
        "Throttled by Microsoft Graph. Retry after {secs} seconds.",
        "ApplicationThrottled: Application is over its MailboxConcurrency limit.",
    ),
    (
        "Access denied: insufficient permissions for mailbox {addr} (code 0x{hex})",
        "Access denied to mailbox",
        "Access denied to mailbox {addr}",
    ),
    (  # a folder it may not write to; a message too large (family other)
        "Destination folder {folder} not accessible: {addr}",
        "Message is too large ({n} MB)",
        "Message {msgid} is too large",
    ),
    (
        "Timeout after {secs} seconds while moving message {uuid}",
        "Timeout after {n} ms while moving message {msgid}",
        "Connection to mail server {host} timed out",
    ),
)
SKIPS = (
    ("Message already in destination folder", "Message {msgid} already in destination folder"),
    (
        "Recipient {addr} is outside the protected domains",
        "Recipient {addr} is outside the protected domains (policy '{folder}')",
    ),
    (
        "Message already moved by another action (job {uuid})",
        "Duplicate message in job",
        "Duplicate message in job {uuid}",
        "Duplicate message {msgid} in job",
    ),
)
CANCELS = (
    ("Cancelled by {addr}",),
    (
        "Job cancelled before the message was processed",
        "Job {uuid} cancelled before the message was processed",
    ),
)
HOSTS = ("outlook.office365.com", "graph.microsoft.com", "mx1.mail.example.net")


def address(rng: random.Random) -> str:
    return f"{rng.choice(USERS)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def rng_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def fill(phrasings: tuple[str, ...], rng: random.Random) -> str:
    values = dict(
        addr=address(rng),
        msgid=f"<{rng.getrandbits(48):012x}@{rng.choice(DOMAINS)}>",
        code=rng.choice((500, 502, 503, 504)),
        uuid=rng_uuid(rng),
        secs=rng.choice((5, 30, 60, 120)),
        hex=f"{rng.getrandbits(32):08X}",
        folder=rng.choice(DESTINATIONS),
    )
    # drawn from what was drawn above, not from `rng`: the world's stream stays as it was
    own = random.Random(str(values["uuid"]))
    values.update(n=own.choice((1, 3, 25, 250)), host=own.choice(HOSTS))
    return own.choice(phrasings).format(**values)


def reason(status: str, rng: random.Random) -> str:
    pool = {"FAILED": FAILURES, "SKIPPED": SKIPS, "CANCELLED": CANCELS}[status]
    return fill(rng.choice(pool), rng)
