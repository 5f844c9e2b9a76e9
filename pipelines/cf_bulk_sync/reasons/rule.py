"""The failure-reason rule: a message's `status_message` reduced to the cause it states.

A text's reason is the text with its variable tokens dropped wherever they stand, so that texts
with the same words in the same order apart from those tokens are one cause:
- e-mail addresses (and the pseudonyms of `pseudonymize_recipients`), `<message-ids>`, UUIDs,
  URLs, host names, labelled ids ("request-id: ...", "req_id=..."), quoted values ('Archive'),
  durations with their preposition ("after 30 seconds", "in 5s"), and any word holding a digit
  (numbers, HTTP codes, hex and other ids, dates);
- tails: `(...)` and `[...]` details, an unclosed `(` and what follows, "retry in 30s" /
  "try again later", and what follows ": " (unless nothing but tokens or a generic word such
  as "Error" or "HTTP" came before the colon: then the part after it states the cause);
- dangling words the dropped tokens leave at the end ("Cancelled by", "..., code").
Case is normalised per word: a plain word (`mailbox`, `Mailbox`, `MAILBOX` in a shouted text)
is lower-cased, a word with inner capitals (`API`, `ErrorItemNotFound`, `notFound`) is kept as
written; the reason shown is that text with each sentence's first letter upper-cased. The
reason is both the group key and the text shown: a pure function of the text, so a new phrasing
of a known cause falls in the existing group under the existing name, and an incremental build
equals a full one.
A text with nothing left but tokens, or nothing at all, is `unknown`.

The token steps are regular expressions (RE2, linear in the text) that `texts.derive_reasons`
runs over a whole batch of texts at once as Arrow compute functions; the rest (`finish`) runs
once per distinct remainder. Change the rule only together with `RULE_VERSION`: the stored
reasons are derived again.
"""

import re

RULE_VERSION = 3  # 1: the regex SQL of stg_bulk_job_messages; 2: placeholders for tokens
UNKNOWN = "unknown"
# The rule reads a text's first characters only: a reason is one short sentence, and a few
# steps scan from every position of what they are given (the API's texts are not bounded).
MAX_TEXT = 1000

_UNIT = r"(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)"
_NUM = r"[0-9]+(?:[.,][0-9]+)?"

# (pattern, replacement), in order, in RE2's syntax (`texts.derive_reasons` runs them with
# Arrow's compute functions); the replacements only drop: tokens become a space or nothing
TOKEN_STEPS: tuple[tuple[str, str], ...] = (
    # retry tails first: they hold durations and numbers that would otherwise leave words behind
    (
        r"(?i)(?:[,;.!-]+ ?|^)(?:please )?(?:retry|try again)"
        r"(?: later| (?:in|after) [^ ]+(?: " + _UNIT + r")?)?[ .!]*$",
        "",
    ),
    # <message-id>, <anon-pseudonym>, <abc@def>: bracketed, no space inside
    (r"<[^<> ]+>", " "),
    # a labelled id with its label: "request-id: 4f6c", "req_id=abc", "trace id #7d1e"
    (
        r"(?i)\b(?:client[ _-]?)?(?:request|req|trace|correlation|activity)[ _-]?id"
        r" ?[:=#]? ?[^ ,;)\]]+",
        " ",
    ),
    (r"[A-Za-z0-9._%+='-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", " "),
    (r"(?i)\b[a-z][a-z0-9+.-]*://[^ ]*", " "),
    (r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", " "),
    (r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b", " "),
    # quoted values; an apostrophe inside a word (doesn't, O'Brien) opens nothing. Twice: a
    # match takes the character after it, which may open the next ('a' 'b')
    (r"(^|[^A-Za-z0-9])'[^']*'($|[^A-Za-z0-9])", r"\1 \2"),
    (r"(^|[^A-Za-z0-9])'[^']*'($|[^A-Za-z0-9])", r"\1 \2"),
    ('"[^"]*"|\u201c[^\u201d]*\u201d|\u2018[^\u2019]*\u2019', " "),
    # a duration with its preposition: "after 30 seconds", "in 5s", "for 2 minutes"
    (r"(?i)\b(?:(?:after|in|for|within|of) )?" + _NUM + r" ?" + _UNIT + r"\b(?: ago)?", " "),
    (r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}", " "),
    (r" ?[(\[{].*$", ""),
    # any other word holding a digit: numbers, codes, hex, ids, dates (not its punctuation)
    (r"[^ :;,()\[\]\"'!?]*[0-9][^ :;,()\[\]\"'!?]*", " "),
    # a base64 id (Graph item ids end in '=')
    (r"[A-Za-z0-9+/_-]{12,}=+", " "),
    (r"#", " "),
)
# "Graph API error 503: Service Unavailable" is the same cause as "Graph API error 429"; but in
# "Error: Mailbox not found" or "HTTP 404: Not Found" the words before the colon say nothing
_GENERIC_WORDS = (
    "error errors err failed failure fatal exception warning http https status code reason"
    " cause details detail info the an a api response server smtp"
)
GENERIC = frozenset(_GENERIC_WORDS.split())
_WORD = re.compile(r"[A-Za-z]{2,}")
_LOWER_CAMEL = re.compile(r"[a-z]+(?:[A-Z][a-z]*)+")
_SPACES = re.compile(r" {2,}")
_SENTENCE = re.compile(r"^[a-z]|(?<=[.!?] )[a-z]")
_SPACE_BEFORE = re.compile(r" +([,;.:!?])")
_REPEATED = re.compile(r"([,;:.!?-])(?: ?[,;:.!?-])+")
_EDGES = re.compile(r"^[ ,;:.!?#=/|*-]+|[ ,;:#=/|*-]+$|(?<=[a-zA-Z]) ?\.+$")
_EMPTY_ENCLOSURES = re.compile(r"\( *\)|\[ *\]|\{ *\}|< *>|\"\"|''")
# words a dropped token leaves dangling at the end: "Cancelled by", "Access denied, code"
_DANGLING_WORDS = (
    "by for in at of to from with on after before code codes status number no via as and"
    " or is was are"
)
DANGLING = frozenset(_DANGLING_WORDS.split())


def tidy(text: str) -> str:
    """Spaces and punctuation the dropped tokens left behind."""
    text = _EMPTY_ENCLOSURES.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _REPEATED.sub(r"\1", text)
    return _EDGES.sub("", text.strip())


def without_tail(text: str) -> str:
    """The part of `text` that states the cause: before the first ": ", unless that part holds
    nothing but generic words or a lowerCamel reason code (Gmail's `rateLimitExceeded: Rate
    Limit Exceeded`): then the next part is read."""
    parts = re.split(r": |:$", text)
    for part in parts[:-1]:
        words = _WORD.findall(part)
        generic = [w.lower() in GENERIC or _LOWER_CAMEL.fullmatch(w) for w in words]
        if not all(generic):
            return part
    return parts[-1]


def without_dangling(text: str) -> str:
    words = text.split(" ")
    while len(words) > 1 and words[-1].strip(",;:.-").lower() in DANGLING:
        words.pop()
    return " ".join(words)


def canonical_case(text: str) -> str:
    """Plain words lower-cased, words with inner capitals kept; a shouted text lower-cased."""
    if not any(c.islower() for c in text):
        return text.lower()
    return " ".join(w if _has_inner_capital(w) else w.lower() for w in text.split(" "))


def _has_inner_capital(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return any(c.isupper() for c in letters[1:])


def finish(stripped: str) -> str:
    """A text with its tokens dropped (`TOKEN_STEPS`) turned into its reason."""
    reason = tidy(stripped)
    reason = tidy(without_tail(reason))
    reason = tidy(without_dangling(reason))
    if not _WORD.search(reason):
        return UNKNOWN
    reason = canonical_case(reason)
    # each sentence starts upper-cased
    return _SENTENCE.sub(lambda m: m.group(0).upper(), reason)
