"""Scripts: turns matched by conditions, deterministic usage with caching, faults and the log."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from bot.scripted import LOG_PATH, ScriptError, count_text_tokens, load_script, parse_script
from tests.scripted.conftest import MakeClient, StartModel

MODEL = "claude-sonnet-5-5"
EDITOR = {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}
BASH = {"type": "bash_20250124", "name": "bash"}
ROUTING = {
    "turns": [
        {"name": "security", "when": {"role": "security reviewer"}, "reply": [{"text": "sec"}]},
        {"name": "bash-user", "when": {"tools": ["bash"]}, "reply": [{"text": "bash"}]},
        {"name": "second", "when": {"turn": 1}, "reply": [{"text": "second turn"}]},
        {
            "name": "magic",
            "when": {"last_user_contains": "abracadabra"},
            "reply": [{"text": "magic"}],
            "times": 1,
        },
    ]
}


def text_of(message: Any) -> Any:
    return message.content[0].text


def test_turns_are_matched_by_role_tools_turn_and_text(
    start_model: StartModel, make_client: MakeClient
):
    """Each condition selects its turn; a limited turn stops answering after its times."""
    sdk = make_client(start_model(ROUTING).base_url)
    user = [{"role": "user", "content": "hi"}]
    common = {"model": MODEL, "max_tokens": 50}
    assert (
        text_of(
            sdk.messages.create(system="You are the Security Reviewer.", messages=user, **common)
        )
        == "sec"
    )
    assert text_of(sdk.messages.create(tools=[EDITOR, BASH], messages=user, **common)) == "bash"
    later = [*user, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"}]
    assert text_of(sdk.messages.create(messages=later, **common)) == "second turn"
    magic = [{"role": "user", "content": "say abracadabra"}]
    assert text_of(sdk.messages.create(messages=magic, **common)) == "magic"
    with pytest.raises(anthropic.BadRequestError, match="no turn matches this request"):
        sdk.messages.create(messages=magic, **common)


def test_usage_is_deterministic_and_cache_reads_repeat_a_marked_prefix(
    start_model: StartModel, make_client: MakeClient
):
    """A prefix marked with cache_control is written once, then read by the next request."""
    sdk = make_client(start_model({"turns": [{"reply": [{"text": "fine"}]}]}).base_url)
    shared = "The diff: " + "changed line " * 40
    system = [
        {"type": "text", "text": shared, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "You review security."},
    ]
    ask = {
        "model": MODEL,
        "max_tokens": 50,
        "system": system,
        "messages": [{"role": "user", "content": "Go."}],
    }
    first = sdk.messages.create(**ask).usage
    second = sdk.messages.create(**ask).usage
    shared_tokens = count_text_tokens(shared)
    assert first.cache_creation_input_tokens == shared_tokens
    assert first.cache_read_input_tokens == 0
    assert second.cache_creation_input_tokens == 0
    assert second.cache_read_input_tokens == shared_tokens
    rest = count_text_tokens("You review security.") + count_text_tokens("Go.")
    assert first.input_tokens == second.input_tokens == rest
    assert first.output_tokens == second.output_tokens == count_text_tokens("fine")


def test_prefix_below_the_minimum_is_not_cached(start_model: StartModel, make_client: MakeClient):
    """With min_cacheable_tokens above the prefix, nothing is written or read."""
    script = {"min_cacheable_tokens": 1000, "turns": [{"reply": [{"text": "fine"}]}]}
    sdk = make_client(start_model(script).base_url)
    system = [{"type": "text", "text": "short", "cache_control": {"type": "ephemeral"}}]
    for _ in range(2):
        usage = sdk.messages.create(
            model=MODEL, max_tokens=5, system=system, messages=[{"role": "user", "content": "x"}]
        ).usage
        assert usage.cache_creation_input_tokens == usage.cache_read_input_tokens == 0


def test_rule_fault_fails_its_first_requests_then_replies(
    start_model: StartModel, make_client: MakeClient
):
    """A fault with times: 2 answers 529 twice and the scripted reply on the third request."""
    script = {"turns": [{"fault": {"status": 529, "times": 2}, "reply": [{"text": "up"}]}]}
    server = start_model(script)
    sdk = make_client(server.base_url)
    for _ in range(2):
        with pytest.raises(anthropic.OverloadedError):
            sdk.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
    reply = sdk.messages.create(
        model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
    )
    assert text_of(reply) == "up"
    assert [e.status for e in server.log.entries()] == [529, 529, 200]


def statuses_with_seed(start_model: StartModel, make_client: MakeClient, seed: int) -> list[int]:
    script = {"faults": {"rate": 0.5, "seed": seed}, "turns": [{"reply": [{"text": "ok"}]}]}
    server = start_model(script)
    sdk = make_client(server.base_url)
    for _ in range(12):
        with contextlib.suppress(anthropic.APIStatusError):
            sdk.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
    return [e.status for e in server.log.entries()]


def test_seeded_fault_rate_is_reproducible(start_model: StartModel, make_client: MakeClient):
    """The same seed injects the same faults in the same order; another seed differs."""
    first = statuses_with_seed(start_model, make_client, 7)
    again = statuses_with_seed(start_model, make_client, 7)
    other = statuses_with_seed(start_model, make_client, 8)
    assert first == again
    assert first != other
    assert {429, 500, 529} & set(first) and 200 in first


def test_latency_delays_the_answer(start_model: StartModel, make_client: MakeClient):
    """A turn with latency 0.3 s is not answered sooner than that."""
    sdk = make_client(
        start_model({"turns": [{"latency": 0.3, "reply": [{"text": "slow"}]}]}).base_url
    )
    began = time.monotonic()
    sdk.messages.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert time.monotonic() - began >= 0.3


def test_request_log_is_queryable_over_http_without_credentials(
    start_model: StartModel, make_client: MakeClient
):
    """The log lists each request with its body, status and usage; the API key is redacted."""
    server = start_model({"turns": [{"reply": [{"text": "ok"}]}]})
    sdk = make_client(server.base_url, key="sk-ant-secret-key-123456")
    sdk.messages.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "x"}])
    with httpx.Client() as http:
        listed = http.get(f"{server.base_url}{LOG_PATH}").json()["requests"]
        assert "sk-ant-secret" not in str(listed)
        headers = listed[0]["headers"]
        assert (headers.get("x-api-key") or headers["authorization"]) == "<redacted>"
        assert listed[0]["body"]["messages"] == [{"role": "user", "content": "x"}]
        assert listed[0]["usage"]["output_tokens"] == 1
        assert http.delete(f"{server.base_url}{LOG_PATH}").status_code == 204
        assert http.get(f"{server.base_url}{LOG_PATH}").json()["requests"] == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"turns": [{"reply": [{"text": "a", "tool_use": {"name": "x"}}]}]},
            "exactly one of 'text', 'tool_use' or 'thinking'",
        ),
        ({"turns": [{"when": {"rol": "x"}, "reply": [{"text": "a"}]}]}, "turns.0.when.rol"),
        ({"turns": [{"fault": {"status": 418}}]}, "turns.0.fault.status"),
        ({"turns": [{}]}, "needs a 'reply', a 'fault' or a 'raw' answer"),
        (
            {"turns": [{"reply": [{"text": "a"}], "raw": {"body": "x"}}]},
            "a 'reply' or a 'raw' body, not both",
        ),
        ({"turns": [{"reply": [{"text": "a"}], "stop_reason": "bored"}]}, "stop_reason"),
        ({"faults": {"rate": 2}}, "faults.rate"),
    ],
)
def test_invalid_scripts_are_refused_with_the_place_of_the_problem(data, expected):
    """Script mistakes name where they are."""
    with pytest.raises(ScriptError, match="not a valid script") as caught:
        parse_script(data, source="demo.yaml")
    assert expected in str(caught.value)
    assert "demo.yaml" in str(caught.value)


def test_unreadable_or_malformed_script_files_are_clear_errors(tmp_path: Path):
    """A missing file and bad YAML each give a one-line reason with the path."""
    with pytest.raises(ScriptError, match="cannot read script"):
        load_script(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("turns: [\n")
    with pytest.raises(ScriptError, match="not valid YAML"):
        load_script(bad)


def test_the_documented_example_script_is_valid_and_answers(
    start_model: StartModel, make_client: MakeClient
):
    """docs/examples/scripted-model.yaml loads and answers the planner as documented."""
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "scripted-model.yaml"
    script = load_script(example)
    assert [t.name for t in script.turns][0] == "planner-looks"
    server = start_model(script.model_dump())
    reply = make_client(server.base_url).messages.create(
        model=MODEL,
        max_tokens=100,
        system="# Role: planner\n...",
        messages=[{"role": "user", "content": "Plan."}],
    )
    assert reply.content[1].input == {"command": "view", "path": "README.md"}
