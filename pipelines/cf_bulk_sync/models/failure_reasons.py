"""The failure-reason rule: a message's `status_message` reduced to the reason it states.

Texts that differ only in volatile details (addresses, ids, numbers, retry tails) get one
reason, so failures can be counted by reason. The rule runs here, in Python, once per distinct
text (see `reason_texts`), not in SQL: every warehouse reads regular expressions differently
(flags, back-references, whole-string matching), and a grouping that changes with the
destination is silently wrong. The models only join the derived table.

What a detail becomes, as log template miners (Drain) and error trackers (Sentry) do it:
- an appendix is dropped: `(...)` and `[...]` details, request/trace ids, a detail after ": ",
  "retry in 30s" tails;
- a number becomes `<n>` ("Timeout after <n> seconds"), any other word holding a digit `<id>`,
  a UUID `<id>`, an enclosed `<message-id>` `<message-id>`;
- an e-mail address (or its `--pseudonymize` pseudonym) becomes `<address>` where it completes
  the sentence ("Cancelled by <address>") and is dropped where the sentence reads on without
  it: inside the sentence it names the mailbox the sentence is about, which the same API also
  says as an appendix ("Mailbox a@x.com not found" = "Mailbox not found: b@y.org" = "Mailbox
  not found").
A text with nothing left but placeholders, or nothing at all, is `unknown`.

Change the rule only together with `RULE_VERSION`: the stored reasons are derived again.
"""

import re

from ..source.privacy import PREFIX as PSEUDONYM_PREFIX

RULE_VERSION = 2  # 1 was the regex SQL of stg_bulk_job_messages
UNKNOWN = "unknown"
# The rule reads a text's first characters only: a reason is one short sentence, and several
# steps below scan from every position of what they are given (an address, a word holding a
# digit), which takes hours on a text of megabytes (the API's texts are not bounded).
MAX_TEXT = 1000

# Placeholders are control characters while the rule runs: the later steps look for letters
# and digits, which must not match inside a placeholder; they are written out at the end.
_ADDRESS, _ID, _MESSAGE_ID, _NUMBER = "\x01", "\x02", "\x03", "\x04"
_SHOWN = {_ADDRESS: "<address>", _ID: "<id>", _MESSAGE_ID: "<message-id>", _NUMBER: "<n>"}

# an address the sync pseudonymised (`--pseudonymize`) is still an address
_PSEUDONYM = re.compile("<" + re.escape(PSEUDONYM_PREFIX) + r"[0-9a-f]+>")
_ENCLOSED_ID = re.compile(r"<[^>]*>")
_ENCLOSED_DETAIL = re.compile(r"\([^)]*\)|\[[^]]*\]")
_ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+='-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_REQUEST_ID = re.compile(r"(request|req|trace|correlation)[ _-]?id\s*[:=#]?\s*[^ ,;]+", re.I)
_RETRY_TAIL = re.compile(
    r"[,;.]?\s*(please\s+)?(retry|try again)\s+(in|after)\s+[0-9]+\s*[a-z]*\.?\s*$", re.I
)
_COLON_DETAIL = re.compile(r":\s.*$", re.S)
_BEFORE_COLON = re.compile(r"^[^:]*:\s", re.S)
_WORD = re.compile(r"[A-Za-z]{2,}")
_DIGIT_WORD = re.compile(r"[^\s\x01-\x04]*[0-9][^\s\x01-\x04]*")
_NUMBER_RE = re.compile(r"[0-9]+([.,][0-9]+)?")
# an address followed by more of the sentence (a letter after it)
_INNER_ADDRESS = re.compile(_ADDRESS + r"(?=\s*[A-Za-z])")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,;.])")
_EDGES = re.compile(r"^[ ,;:.#=-]+|[ ,;:.#=-]+$")


def failure_reason(text: str | None) -> str:
    """The reason `text` states, with its details as placeholders; `unknown` when none."""
    if text is None:
        return UNKNOWN
    reason = _PSEUDONYM.sub(f" {_ADDRESS} ", text[:MAX_TEXT])
    reason = _ENCLOSED_ID.sub(f" {_MESSAGE_ID} ", reason)
    reason = _ENCLOSED_DETAIL.sub(" ", reason)
    reason = _ADDRESS_RE.sub(f" {_ADDRESS} ", reason)
    reason = _UUID.sub(f" {_ID} ", reason)
    reason = _REQUEST_ID.sub(" ", reason)
    reason = _RETRY_TAIL.sub(" ", reason)
    reason = _without_colon_detail(reason)
    reason = _DIGIT_WORD.sub(_digit_placeholder, reason)
    reason = _INNER_ADDRESS.sub(" ", reason)
    reason = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACES.sub(" ", reason))
    reason = _EDGES.sub("", reason)
    if not _WORD.search(reason):
        return UNKNOWN
    for mark, shown in _SHOWN.items():
        reason = reason.replace(mark, shown)
    return reason


def _without_colon_detail(reason: str) -> str:
    """A detail after ": " is dropped, unless nothing but details came before the colon
    ("erin@example.com: Mailbox is full")."""
    before = _COLON_DETAIL.sub("", reason, count=1)
    if _WORD.search(before):
        return before
    return _BEFORE_COLON.sub("", reason, count=1)


def _digit_placeholder(word: re.Match[str]) -> str:
    return f" {_NUMBER if _NUMBER_RE.fullmatch(word.group(0)) else _ID} "
