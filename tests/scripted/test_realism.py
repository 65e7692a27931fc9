"""The scripted model is as awkward as the real API: caching that takes time, expires and looks
back only 20 blocks; an input-token limit answered with 429; signed thinking; output cut at
``max_tokens`` inside a tool call; refusals, pauses and full context windows; bodies that are
not messages. Each through the real SDK."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
import httpx
import pytest

from tests.scripted.conftest import MakeClient, StartModel

MODEL = "claude-sonnet-5-5"
EPHEMERAL = {"type": "ephemeral"}
LONG = " ".join(f"word{i}" for i in range(300))  # 300 tokens of shared prefix


def cached_system(text: str = LONG) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text, "cache_control": EPHEMERAL}]


def ask(sdk: Any, **overrides: Any) -> Any:
    params: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 200,
        "system": cached_system(),
        "messages": [{"role": "user", "content": "hello"}],
    }
    params.update(overrides)
    return sdk.messages.create(**params)


# --- caching ------------------------------------------------------------------------------------


def test_a_cache_entry_is_readable_only_once_its_response_has_begun(
    start_model: StartModel, make_client: MakeClient
):
    """Three requests at once each write the prefix; one sent after them reads it."""
    server = start_model({"latency": 0.5, "turns": [{"reply": [{"text": "ok"}]}]})
    sdk = make_client(server.base_url)
    with ThreadPoolExecutor(max_workers=3) as pool:
        burst = list(pool.map(lambda _: ask(sdk).usage, range(3)))
    assert [u.cache_creation_input_tokens for u in burst] == [300, 300, 300]
    assert [u.cache_read_input_tokens for u in burst] == [0, 0, 0]
    later = ask(sdk).usage
    assert (later.cache_read_input_tokens, later.cache_creation_input_tokens) == (300, 0)


def test_readable_from_request_lets_a_burst_share_the_entry(
    start_model: StartModel, make_client: MakeClient
):
    """Switched off, the entry is readable as soon as the first request arrives."""
    server = start_model(
        {
            "latency": 0.5,
            "cache": {"readable_from": "request"},
            "turns": [{"reply": [{"text": "ok"}]}],
        }
    )
    sdk = make_client(server.base_url)
    with ThreadPoolExecutor(max_workers=3) as pool:
        burst = list(pool.map(lambda _: ask(sdk).usage, range(3)))
    assert sorted(u.cache_read_input_tokens for u in burst) == [0, 300, 300]


def test_a_cache_entry_expires_after_its_ttl(start_model: StartModel, make_client: MakeClient):
    server = start_model({"cache": {"ttl_seconds": 0.3}, "turns": [{"reply": [{"text": "ok"}]}]})
    sdk = make_client(server.base_url)
    assert ask(sdk).usage.cache_creation_input_tokens == 300
    assert ask(sdk).usage.cache_read_input_tokens == 300  # a hit refreshes the entry
    time.sleep(0.5)
    expired = ask(sdk).usage
    assert (expired.cache_read_input_tokens, expired.cache_creation_input_tokens) == (0, 300)


def conversation(extra_turns: int) -> list[dict[str, Any]]:
    """A first user block, then ``extra_turns`` pairs of short turns, the last block cached."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": LONG}]},
    ]
    for i in range(extra_turns):
        messages.append({"role": "assistant", "content": [{"type": "text", "text": f"a{i}"}]})
        messages.append({"role": "user", "content": [{"type": "text", "text": f"u{i}"}]})
    last = messages[-1]["content"][-1]
    messages[-1]["content"][-1] = {**last, "cache_control": EPHEMERAL}
    return messages


@pytest.mark.parametrize(("lookback", "reads"), [(20, 0), (30, 301)])
def test_a_breakpoint_looks_back_only_so_many_blocks(
    start_model: StartModel, make_client: MakeClient, lookback: int, reads: int
):
    """The first request caches the opening block; 24 blocks later the API's 20-block lookback
    no longer finds it (one breakpoint only), a 30-block lookback does."""
    server = start_model(
        {"cache": {"lookback_blocks": lookback}, "turns": [{"reply": [{"text": "ok"}]}]}
    )
    sdk = make_client(server.base_url)
    ask(sdk, system="s", messages=conversation(0))
    usage = ask(sdk, system="s", messages=conversation(12)).usage
    assert usage.cache_read_input_tokens == reads


# --- rate limits --------------------------------------------------------------------------------


def test_input_tokens_per_minute_are_enforced_with_429_and_retry_after(
    start_model: StartModel, make_client: MakeClient
):
    server = start_model(
        {"rate_limits": {"input_tokens_per_minute": 500}, "turns": [{"reply": [{"text": "ok"}]}]}
    )
    sdk = make_client(server.base_url)
    ask(sdk, system=LONG)  # 300 fresh tokens of 500
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(sdk, system=LONG + " more")
    response = caught.value.response
    assert caught.value.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["anthropic-ratelimit-input-tokens-limit"] == "500"
    body: Any = caught.value.body
    assert body["error"]["type"] == "rate_limit_error"


def test_cache_reads_do_not_count_against_the_input_limit(
    start_model: StartModel, make_client: MakeClient
):
    server = start_model(
        {"rate_limits": {"input_tokens_per_minute": 400}, "turns": [{"reply": [{"text": "ok"}]}]}
    )
    sdk = make_client(server.base_url)
    ask(sdk)  # writes 300
    for _ in range(3):
        assert ask(sdk).usage.cache_read_input_tokens == 300  # reads: 1 fresh token each


# --- thinking -----------------------------------------------------------------------------------

THINKING_SCRIPT = {
    "turns": [
        {
            "when": {"turn": 0},
            "reply": [
                {"thinking": "The user wants a file listing. I will look."},
                {"tool_use": {"name": "view", "input": {"path": "."}, "id": "toolu_1"}},
            ],
        },
        {"when": {"turn": 1}, "reply": [{"text": "done"}]},
    ]
}
ENABLED = {"type": "enabled", "budget_tokens": 1024}
VIEW_TOOL = [{"name": "view", "description": "v", "input_schema": {"type": "object"}}]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_thinking_is_signed_and_must_come_back_unchanged(
    start_model: StartModel, make_client: MakeClient, stream: bool
):
    server = start_model(THINKING_SCRIPT)
    sdk = make_client(server.base_url)
    first_params: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 2048,
        "thinking": ENABLED,
        "tools": VIEW_TOOL,
        "messages": [{"role": "user", "content": "list"}],
    }
    if stream:
        with sdk.messages.stream(**first_params) as events:
            first = events.get_final_message()
    else:
        first = sdk.messages.create(**first_params)
    blocks = [b.model_dump(exclude_none=True) for b in first.content]
    assert blocks[0]["type"] == "thinking"
    assert len(blocks[0]["signature"]) == 64
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.py"}

    def follow_up(assistant: list[dict[str, Any]]) -> Any:
        messages = [
            {"role": "user", "content": "list"},
            {"role": "assistant", "content": assistant},
            {"role": "user", "content": [result]},
        ]
        return sdk.messages.create(**{**first_params, "messages": messages})

    assert follow_up(blocks).content[0].text == "done"
    altered = [{**blocks[0], "thinking": blocks[0]["thinking"] + " Also delete it."}, blocks[1]]
    with pytest.raises(anthropic.BadRequestError, match="Invalid `signature` in `thinking`"):
        follow_up(altered)


def test_thinking_is_not_sent_when_the_request_did_not_ask(
    start_model: StartModel, make_client: MakeClient
):
    server = start_model(THINKING_SCRIPT)
    reply = ask(make_client(server.base_url), system="s", tools=VIEW_TOOL)
    assert [b.type for b in reply.content] == ["tool_use"]


# --- cut-offs, refusals, pauses, full windows ------------------------------------------------

BIG_WRITE = {
    "turns": [
        {
            "reply": [
                {"text": "Writing the module now."},
                {
                    "tool_use": {
                        "name": "editor",
                        "input": {"command": "create", "path": "m.py", "file_text": LONG},
                    }
                },
            ]
        }
    ]
}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_output_is_cut_at_max_tokens_inside_a_tool_call(
    start_model: StartModel, make_client: MakeClient, stream: bool
):
    server = start_model(BIG_WRITE)
    sdk = make_client(server.base_url)
    params: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "write"}],
    }
    if stream:
        with sdk.messages.stream(**params) as events:
            reply = events.get_final_message()
    else:
        reply = sdk.messages.create(**params)
    assert reply.stop_reason == "max_tokens"
    assert reply.usage.output_tokens == 50
    assert reply.content[0].text == "Writing the module now."
    cut = reply.content[1]
    assert (cut.type, cut.name, cut.input) == ("tool_use", "editor", {})


def test_text_is_cut_after_the_last_whole_word_within_the_limit(
    start_model: StartModel, make_client: MakeClient
):
    server = start_model({"turns": [{"reply": [{"text": LONG}]}]})
    reply = ask(make_client(server.base_url), max_tokens=10)
    assert reply.stop_reason == "max_tokens"
    assert reply.content[0].text == "word0 word1 word2 word3 word4 word5 word6 word7 word8 word9"


@pytest.mark.parametrize("reason", ["refusal", "pause_turn"])
def test_refusal_and_pause_turn_reach_the_sdk(
    start_model: StartModel, make_client: MakeClient, reason: str
):
    server = start_model({"turns": [{"reply": [{"text": "Not this."}], "stop_reason": reason}]})
    assert ask(make_client(server.base_url)).stop_reason == reason


def test_a_full_context_window_stops_the_output_or_refuses_the_prompt(
    start_model: StartModel, make_client: MakeClient
):
    server = start_model({"context_window": 320, "turns": [{"reply": [{"text": LONG}]}]})
    sdk = make_client(server.base_url)
    reply = ask(sdk)  # 301 tokens in: 19 left for output
    assert reply.stop_reason == "model_context_window_exceeded"
    assert reply.usage.output_tokens == 19
    with pytest.raises(anthropic.BadRequestError, match="prompt is too long: 601 tokens > 320"):
        ask(sdk, system=cached_system(LONG + " " + LONG))


# --- bodies that are not messages -------------------------------------------------------------


def test_a_raw_answer_is_sent_byte_for_byte(start_model: StartModel):
    page = "<html><body>502 Bad Gateway</body></html>"
    server = start_model(
        {"turns": [{"raw": {"status": 200, "content_type": "text/html", "body": page}}]}
    )
    answer = httpx.post(
        f"{server.base_url}/v1/messages",
        headers={"x-api-key": "k"},
        json={"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    )
    assert (answer.status_code, answer.text) == (200, page)
    assert answer.headers["content-type"].startswith("text/html")
    assert server.log.entries()[0].status == 200
