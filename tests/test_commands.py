"""Parsing ``/specbot`` commands and ``@specbot`` mentions out of comment text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import VERBS, Command, find_command, mentions


@pytest.mark.parametrize("verb", VERBS)
def test_each_verb_is_found(verb: str) -> None:
    """Every documented verb is recognised at the start of a line."""
    command = find_command(f"Thanks!\n\n/specbot {verb}\n")
    assert command == Command(verb=verb, argument="", line=3)
    assert command.is_known


def test_argument_and_case() -> None:
    """The verb is lower-cased; the rest of the line is the argument."""
    assert find_command("/SpecBot Explain  ACC-002 please ") == Command(
        verb="explain", argument="ACC-002 please", line=1
    )


def test_bare_command_means_help() -> None:
    """``/specbot`` with no verb asks for help."""
    assert find_command("/specbot") == Command(verb="help", argument="", line=1)


def test_unknown_verb_is_returned_as_unknown() -> None:
    """An unknown verb is reported so the bot can answer with the list of commands."""
    command = find_command("/specbot deploy prod")
    assert command is not None
    assert (command.verb, command.is_known) == ("deploy", False)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "please /specbot run",  # not at the start of a line
        "> /specbot run",  # quoted reply
        "```\n/specbot run\n```",  # fenced code
        "~~~~\n/specbot run\n~~~\n~~~~",  # a shorter closing fence does not close
        "    /specbot run",  # indented code block
        "/specbotrun",
        "/specbot-run",
        "/other run",
        "`/specbot run`",
    ],
)
def test_commands_in_code_quotes_or_prose_are_ignored(text: str | None) -> None:
    """Only a command on a line of its own prose counts."""
    assert find_command(text) is None


def test_command_after_a_closed_fence_counts() -> None:
    """A fence that closes properly does not hide what follows it."""
    command = find_command("```py\n/specbot cancel\n```\r\n/specbot retry\r\n")
    assert command == Command(verb="retry", argument="", line=4)


def test_first_command_wins() -> None:
    """With several commands the first one is taken."""
    command = find_command("/specbot status\n/specbot cancel")
    assert command is not None and command.verb == "status"


def test_another_bot_name() -> None:
    """A renamed App answers to its own name only."""
    assert find_command("/specbot run", bot_name="acmebot") is None
    command = find_command("/acmebot run", bot_name="acmebot")
    assert command is not None and command.verb == "run"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@specbot why this change?", True),
        ("Hey @SpecBot, please fix", True),
        ("(@specbot)", True),
        ("@specbot-dev please", False),
        ("@specbots", False),
        ("mail me at x@specbot", False),
        ("`@specbot` is our bot", False),
        ("> @specbot fix it", False),
        ("```\n@specbot\n```", False),
        (None, False),
    ],
)
def test_mentions(text: str | None, expected: bool) -> None:
    """A mention counts as a word in prose, not inside code, quotes or e-mail addresses."""
    assert mentions(text) is expected


@given(st.text(max_size=500))
def test_never_raises(text: str) -> None:
    """Any text parses to a command or None."""
    result = find_command(text)
    assert result is None or isinstance(result.verb, str)
    assert isinstance(mentions(text), bool)
