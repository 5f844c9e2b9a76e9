"""Every `cf-bulk-sync` command line the README and docs/ show goes through the CLI's own
parser: a flag that does not exist (renamed, removed, misspelt) fails here, naming the file and
line, instead of failing a user who copied it.

What counts as a command: in a fenced code block (not ```text, which shows output, nor
```python), every `cf-bulk-sync` word (bare or a path ending in it, after `&&`, `;` or an
environment prefix) and what follows it up to a shell operator or a comment; lines ending in
`\\` continue. A line holding `[` is a synopsis (`[--top N]`, `auto|bar`): its flags must exist
for its command. Every other line is parsed whole, placeholders (`<EU account>`) filled in. In
prose, each `cf-bulk-sync ...` code span's flags must exist for its command."""

import argparse
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from cf_bulk_sync.cli.parser import build_parser

from ..support.checkout import CHECKOUT

DOCUMENTS = [CHECKOUT / "README.md", *sorted((CHECKOUT / "docs").glob("*.md"))]
SKIPPED_LANGUAGES = {"text", "python", "toml", "json"}  # output, code, files: no command lines
PROGRAM = "cf-bulk-sync"
FENCE = re.compile(r"^\s*```\s*([\w-]*)")
YAML_RUN = re.compile(r"\brun:\s*(.*)")  # in a workflow, only a step's `run:` is a command
SPAN = re.compile(r"`(cf-bulk-sync(?: [^`]*)?)`")
PLACEHOLDER = re.compile(r"<[^<>]*>")
# a shell operator ends a command (`&&`, `>>`, `|` ...); `#` starts a comment
OPERATORS = set("&|;<>()")


@dataclass(frozen=True)
class Shown:
    """One command as a document shows it."""

    where: str  # file:line
    words: tuple[str, ...]  # after `cf-bulk-sync`
    synopsis: bool  # flags only: the line shows alternatives and optional parts


def logical_lines(block: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The block's lines with continuations joined, each with its first line number: a line
    ending in `\\`, and in a synopsis an indented line of optional parts (`    [--quiet]`)."""
    joined: list[tuple[int, str]] = []
    continued = False
    for number, line in block:
        if continued or (joined and line.startswith(" ") and line.lstrip().startswith("[")):
            start, before = joined.pop()
            line = f"{before} {line}"
        else:
            start = number
        continued = line.rstrip().endswith("\\")
        joined.append((start, line.rstrip().removesuffix("\\")))
    return joined


def commands_in(line: str) -> Iterator[list[str]]:
    """The argument words after each `cf-bulk-sync` on a shell line."""
    if PROGRAM not in line:
        return
    lexer = shlex.shlex(PLACEHOLDER.sub("x", line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = list(lexer)  # an unclosed quote fails here, with the line in the traceback
    for i, word in enumerate(words):
        if word.rsplit("/", 1)[-1] != PROGRAM:
            continue
        args = []
        for following in words[i + 1 :]:
            if set(following) <= OPERATORS:
                break
            args.append(following)
        yield args


def shown_in(document: Path) -> Iterator[Shown]:
    name = document.relative_to(CHECKOUT).as_posix()
    language: str | None = None  # None: outside a block
    block: list[tuple[int, str]] = []
    for number, line in enumerate(document.read_text().splitlines(), start=1):
        fence = FENCE.match(line)
        if fence and language is None:
            language, block = fence[1], []
            continue
        if fence:
            if language not in SKIPPED_LANGUAGES:
                for start, joined in logical_lines(block):
                    if language == "yaml":
                        step = YAML_RUN.search(joined)
                        if not step:
                            continue
                        joined = step[1]
                    synopsis = "[" in joined
                    if synopsis:  # its brackets and alternatives are not the shell's
                        joined = re.sub(r"[][|]", " ", joined)
                    for args in commands_in(joined):
                        yield Shown(f"{name}:{start}", tuple(args), synopsis)
            language = None
            continue
        if language is not None:
            block.append((number, line))
            continue
        for span in SPAN.findall(line):  # prose: flags only (DIR, N and the like abound)
            yield Shown(f"{name}:{number}", tuple(span.split()[1:]), synopsis=True)


SHOWN = [shown for document in DOCUMENTS for shown in shown_in(document)]


def options_of(parser: argparse.ArgumentParser, command: str | None) -> set[str]:
    """The option strings `command` accepts (the main parser's when None)."""
    options = {s for action in parser._actions for s in action.option_strings}
    if command is None:
        return options
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {s for action in commands.choices[command]._actions for s in action.option_strings}


def problem(shown: Shown) -> str | None:
    """What is wrong with the command as shown, or None."""
    parser = build_parser()
    words = list(shown.words)
    command = next((w for w in words if not w.startswith("-")), None)
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if command is not None and command not in commands.choices:
        return f"unknown command {command!r}"
    if shown.synopsis:
        known = options_of(parser, command) | options_of(parser, None)
        unknown = [w.split("=")[0] for w in words if w.startswith("--")]
        unknown = [w for w in unknown if w not in known]
        return f"unknown flag {unknown[0]}" if unknown else None
    if words in (["--help"], ["--version"]) or "--help" in words:
        return None  # they exit at once; `options_of` covers them
    for each in (parser, *commands.choices.values()):
        each.error = refuse
    try:
        _, extra = parser.parse_known_args(words)
    except Refused as refused:
        return str(refused)
    return f"unknown flag {extra[0]}" if extra else None


class Refused(Exception):
    """argparse's error, raised instead of printed with an exit."""


def refuse(message: str) -> NoReturn:
    raise Refused(message)


def test_the_documents_show_commands_and_the_extraction_finds_them() -> None:
    where = {shown.where.split(":")[0] for shown in SHOWN}
    assert {"README.md", "docs/commands.md", "docs/scheduling.md"} <= where
    cron = [s for s in SHOWN if s.where.startswith("docs/scheduling.md") and "--publish" in s.words]
    assert cron and cron[0].words[:1] == ("run",)  # a path to the script, after `cd ... &&`
    assert not any(">>" in s.words or "2" in s.words for s in SHOWN)  # redirections end it


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("cf-bulk-sync run --json", [["run", "--json"]], id="plain"),
        pytest.param(
            "A=1 cd /x && /x/venv/bin/cf-bulk-sync run --publish /x/bi >> log 2>&1",
            [["run", "--publish", "/x/bi"]],
            id="path-and-operators",
        ),
        pytest.param(
            "cf-bulk-sync run --account-id <EU account>  # comment --no-such",
            [["run", "--account-id", "x"]],
            id="placeholder-and-comment",
        ),
    ],
)
def test_a_shell_line_gives_the_command_words(line: str, expected: list[list[str]]) -> None:
    assert list(commands_in(line)) == expected


def test_a_continued_line_is_one_command() -> None:
    block = [(3, "cf-bulk-sync run --dataset x \\"), (4, "    --full-refresh")]
    assert list(logical_lines(block)) == [(3, "cf-bulk-sync run --dataset x      --full-refresh")]


@pytest.mark.parametrize(
    ("shown", "found"),
    [
        pytest.param(Shown("f:1", ("run", "--no-such"), False), "--no-such", id="parsed"),
        pytest.param(Shown("f:1", ("run", "--top", "N"), True), "--top", id="synopsis"),
        pytest.param(Shown("f:1", ("report", "--top", "many"), False), "many", id="bad-value"),
        pytest.param(Shown("f:1", ("sync",), False), "sync", id="command"),
    ],
)
def test_a_wrong_command_is_found(shown: Shown, found: str) -> None:
    assert found in (problem(shown) or "")


@pytest.mark.parametrize("shown", SHOWN, ids=[f"{s.where} {' '.join(s.words)}" for s in SHOWN])
def test_every_command_shown_parses(shown: Shown) -> None:
    found = problem(shown)
    assert found is None, f"{shown.where}: cf-bulk-sync {' '.join(shown.words)}: {found}"


def test_the_synopsis_shows_every_option_of_every_command() -> None:
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    synopsis = [s for s in SHOWN if s.where.startswith("docs/commands.md:") and s.synopsis]
    for command in commands.choices:
        shown = {w for s in synopsis if s.words[:1] == (command,) for w in s.words}
        options = {o for o in options_of(parser, command) if o.startswith("--")}
        missing = sorted(options - {"--help", "--debug"} - shown)
        assert not missing, f"docs/commands.md's synopsis of {command} lacks {missing}"


def test_the_readme_stays_a_readme() -> None:
    lines = (CHECKOUT / "README.md").read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move the reference to docs/"
