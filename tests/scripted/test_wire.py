"""The scripted model speaks the Messages API: replies, streams and errors as Anthropic does."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest

from tests.scripted.conftest import MakeClient, StartModel

MODEL = "claude-sonnet-5-5"
TOOL_REPLY = {
    "turns": [
        {
            "reply": [
                {"text": "Let me look at the file."},
                {"tool_use": {"name": "bash", "input": {"command": "cat README.md | head -n 5"}}},
            ]
        }
    ]
}


def ask(sdk: anthropic.Anthropic, **extra):
    return sdk.messages.create(
        model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "hello"}], **extra
    )


def error_type_of(error: anthropic.APIStatusError) -> Any:
    body: Any = error.body
    return body["error"]["type"]


def sse_events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_non_streaming_reply_parses_with_text_tool_use_and_usage(
    start_model: StartModel, make_client: MakeClient
):
    """A scripted reply arrives through the SDK as a Message with both blocks and usage."""
    server = start_model(TOOL_REPLY)
    message = ask(make_client(server.base_url))
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[1].input == {"command": "cat README.md | head -n 5"}
    assert message.stop_reason == "tool_use"
    assert message.model == MODEL
    assert message.usage.input_tokens == 1
    assert message.usage.output_tokens > 5


def test_streamed_reply_accumulates_to_the_same_message(
    start_model: StartModel, make_client: MakeClient
):
    """The SDK's stream helper rebuilds exactly the content and usage of the plain reply."""
    server = start_model(TOOL_REPLY)
    sdk = make_client(server.base_url)
    plain = ask(sdk)
    with sdk.messages.stream(
        model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "hello"}]
    ) as stream:
        streamed = stream.get_final_message()
    assert [b.model_dump(exclude={"id"}) for b in streamed.content] == [
        b.model_dump(exclude={"id"}) for b in plain.content
    ]
    assert streamed.usage == plain.usage
    assert streamed.stop_reason == plain.stop_reason


def test_stream_events_follow_anthropics_order(start_model: StartModel, make_client: MakeClient):
    """Raw SSE: message_start, per block start/ping/deltas/stop, message_delta, message_stop."""
    server = start_model(TOOL_REPLY)
    body = {
        "model": MODEL,
        "max_tokens": 200,
        "stream": True,
        "messages": [{"role": "user", "content": "hello"}],
    }
    with httpx.Client() as http:
        response = http.post(
            f"{server.base_url}/v1/messages",
            json=body,
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
        )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert all(data["type"] == name for name, data in events)
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names.count("content_block_start") == names.count("content_block_stop") == 2
    start = events[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    text = "".join(
        d["delta"]["text"]
        for n, d in events
        if n == "content_block_delta" and d["delta"]["type"] == "text_delta"
    )
    partial = "".join(
        d["delta"]["partial_json"]
        for n, d in events
        if n == "content_block_delta" and d["delta"]["type"] == "input_json_delta"
    )
    assert text == "Let me look at the file."
    assert json.loads(partial) == {"command": "cat README.md | head -n 5"}
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == "tool_use"
    assert set(delta["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (413, anthropic.APIStatusError, "request_too_large"),
    ],
)
def test_injected_faults_carry_anthropic_error_bodies(
    start_model: StartModel, make_client: MakeClient, status, error_class, error_type
):
    """A fault turn answers with the status, Anthropic's error body and a retry-after header."""
    server = start_model({"turns": [{"fault": {"status": status, "retry_after": 3}}]})
    with pytest.raises(error_class) as caught:
        ask(make_client(server.base_url))
    assert caught.value.status_code == status
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == error_type
    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.response.headers["request-id"].startswith("req_")


def test_missing_key_is_401_and_wrong_key_is_401(start_model: StartModel, make_client: MakeClient):
    """Without the key the script requires, the SDK gets an authentication_error."""
    server = start_model({"api_key": "right", **TOOL_REPLY})
    with pytest.raises(anthropic.AuthenticationError) as caught:
        ask(make_client(server.base_url, key="wrong"))
    assert error_type_of(caught.value) == "authentication_error"
    assert ask(make_client(server.base_url, key="right")).stop_reason == "tool_use"


def test_invalid_requests_are_400_with_a_clear_message(
    start_model: StartModel, make_client: MakeClient
):
    """A missing field or an unanswered tool_use is refused like the real API refuses it."""
    server = start_model(TOOL_REPLY)
    url = f"{server.base_url}/v1/messages"
    headers = {"x-api-key": "k"}
    with httpx.Client() as http:
        missing = http.post(url, json={"model": MODEL, "messages": []}, headers=headers)
        not_json = http.post(url, content=b"{oops", headers=headers)
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["error"]["message"]
    with pytest.raises(anthropic.BadRequestError, match="without tool_result"):
        make_client(server.base_url).messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {}}],
                },
                {"role": "user", "content": "no result here"},
            ],
        )


def test_unknown_path_is_404_not_found_error(start_model: StartModel):
    """Paths outside the API subset get Anthropic's not_found_error body."""
    server = start_model(TOOL_REPLY)
    with httpx.Client() as http:
        response = http.get(f"{server.base_url}/v1/models", headers={"x-api-key": "k"})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


def test_oversized_request_is_413(start_model: StartModel, make_client: MakeClient):
    """A body over the script's size limit is refused with request_too_large."""
    server = start_model({"max_request_bytes": 1000, **TOOL_REPLY})
    with pytest.raises(anthropic.APIStatusError) as caught:
        make_client(server.base_url).messages.create(
            model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x" * 5000}]
        )
    assert caught.value.status_code == 413
    assert error_type_of(caught.value) == "request_too_large"


def test_count_tokens_matches_the_input_usage_of_a_message(
    start_model: StartModel, make_client: MakeClient
):
    """count_tokens reports the same input tokens a non-cached request is billed for."""
    server = start_model({"turns": [{"reply": [{"text": "ok"}]}]})
    sdk = make_client(server.base_url)
    params = {
        "model": MODEL,
        "system": "You are a careful reviewer.",
        "messages": [{"role": "user", "content": "Review this diff, please!"}],
        "tools": [{"type": "bash_20250124", "name": "bash"}],
    }
    counted = sdk.messages.count_tokens(**params).input_tokens
    message = sdk.messages.create(max_tokens=50, **params)
    assert counted == message.usage.input_tokens
    assert counted > 10


def test_in_stream_fault_starts_the_stream_then_sends_an_error_event(start_model: StartModel):
    """With in_stream, a streaming request gets 200, message_start, then Anthropic's error event."""
    server = start_model({"turns": [{"fault": {"status": 529, "in_stream": True}}]})
    body = {
        "model": MODEL,
        "max_tokens": 20,
        "stream": True,
        "messages": [{"role": "user", "content": "hello"}],
    }
    with httpx.Client() as http:
        response = http.post(
            f"{server.base_url}/v1/messages", json=body, headers={"x-api-key": "k"}
        )
    assert response.status_code == 200
    events = sse_events(response.text)
    assert [name for name, _ in events] == ["message_start", "error"]
    assert events[1][1]["error"] == {"type": "overloaded_error", "message": "Overloaded"}


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"role": "user", "content": []}], "all messages must have non-empty content"),
        (
            [{"role": "user", "content": [{"type": "text", "text": ""}]}],
            "messages.0.content.0.text: text content blocks must be non-empty",
        ),
    ],
)
def test_empty_content_is_refused_as_the_api_does(
    start_model: StartModel, make_client: MakeClient, messages, expected
):
    """Empty messages and empty text blocks get the API's 400."""
    server = start_model(TOOL_REPLY)
    with pytest.raises(anthropic.BadRequestError, match=expected):
        make_client(server.base_url).messages.create(model=MODEL, max_tokens=5, messages=messages)
