"""A 200 is not proof of a message: every odd body becomes one clear model error, never a crash.

A plain HTTP server answers the real SDK with bodies a proxy, a gateway or a half-compatible
server really sends; the adapter must turn each into a ``ModelError`` with one line that says
what came back, transient (retried) when asking again can help.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.adapters.anthropic_model import AnthropicModel
from bot.agents import (
    ModelRequest,
    ModelUnavailableError,
    PermanentModelError,
    ResilientModel,
    RetryPolicy,
    TransientModelError,
)
from tests.agents.conftest import Sleeps
from tests.raw_http import RawServer

REQUEST = ModelRequest(agent="t", system="s", messages=[{"role": "user", "content": "Go."}])
USAGE = {"input_tokens": 3, "output_tokens": 2}


def message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
        "usage": USAGE,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.stop()


def as_json(value: Any) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(value).encode()


HTML = (200, "text/html", b"<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>")
EMPTY = (200, "application/json", b"")
CASES = {
    "html page": (HTML, TransientModelError, "a body that is not a message: '<html><body><h1>502"),
    "empty body": (EMPTY, TransientModelError, "a body that is not JSON"),
    "a JSON list": (as_json([1, 2]), TransientModelError, "a body that is not a message: '[1, 2]'"),
    "no usage": (as_json(message(usage=...)), PermanentModelError, "a message without usage"),
    "null content": (as_json(message(content=None)), PermanentModelError, "content is not a list"),
    "tool_use input null": (
        as_json(message(content=[{"type": "tool_use", "id": "t", "name": "v", "input": None}])),
        TransientModelError,
        "tool_use block 0 has an input that is not an object",
    ),
    "tool_use without a name": (
        as_json(message(content=[{"type": "tool_use", "id": "t", "input": {}}])),
        TransientModelError,
        "tool_use block 0 has no name",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_an_odd_200_becomes_one_line_model_error(raw: RawServer, case: str, stream: bool):
    body, error, text = CASES[case]
    raw.answer(body)
    model = AnthropicModel(api_key="k", model="claude-sonnet-4-5", base_url=raw.base_url)
    model.stream = stream
    with pytest.raises((TransientModelError, PermanentModelError)) as caught:
        model.complete(REQUEST)
    said = str(caught.value)
    assert "\n" not in said
    assert len(said) < 200
    if stream:  # none of these bodies is an event stream: the stream carried no message
        assert isinstance(caught.value, TransientModelError)
        assert "stream ended without a message" in said
    else:
        assert isinstance(caught.value, error)
        assert text in said
    model.close()


def test_a_proxy_page_is_retried_and_the_next_good_answer_is_used(raw: RawServer):
    raw.answer(HTML, EMPTY, as_json(message()))
    inner = AnthropicModel(api_key="k", model="claude-sonnet-4-5", base_url=raw.base_url)
    model = ResilientModel(inner, sleep=Sleeps())
    assert model.complete(REQUEST).text() == "ok"
    assert raw.served == 3
    model.close()


def test_a_message_without_usage_is_not_retried(raw: RawServer):
    raw.answer(as_json(message(usage=...)))
    inner = AnthropicModel(api_key="k", model="claude-sonnet-4-5", base_url=raw.base_url)
    model = ResilientModel(inner, sleep=Sleeps(), policy=RetryPolicy(max_attempts=4))
    with pytest.raises(PermanentModelError, match="without usage"):
        model.complete(REQUEST)
    assert raw.served == 1
    model.close()


def test_endless_proxy_pages_end_in_a_clear_unavailable_error(raw: RawServer):
    raw.answer(HTML)
    inner = AnthropicModel(api_key="k", model="claude-sonnet-4-5", base_url=raw.base_url)
    model = ResilientModel(inner, sleep=Sleeps(), policy=RetryPolicy(max_attempts=3))
    with pytest.raises(ModelUnavailableError) as caught:
        model.complete(REQUEST)
    assert "not a message" in str(caught.value)
    assert raw.served == 3
    model.close()


def test_optional_null_fields_are_not_sent_back_but_thinking_is_kept_whole(raw: RawServer):
    content = [
        {"type": "thinking", "thinking": "hmm", "signature": "sig=="},
        {"type": "text", "text": "hi", "citations": None},
        {"type": "tool_use", "id": "t1", "name": "view", "input": {"path": "."}},
    ]
    raw.answer(as_json(message(content=content, stop_reason="tool_use")))
    model = AnthropicModel(api_key="k", model="claude-sonnet-4-5", base_url=raw.base_url)
    response = model.complete(REQUEST)
    assert response.content == [
        {"type": "thinking", "thinking": "hmm", "signature": "sig=="},
        {"type": "text", "text": "hi"},
        {"type": "tool_use", "id": "t1", "name": "view", "input": {"path": "."}},
    ]
    model.close()
