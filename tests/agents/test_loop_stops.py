"""The loop against a model that behaves as a real one does: every stop reason, long sessions,
budgets that count what a run really spends, and shells that cannot outlive the run.

The model here is a plain callable handed to the loop (its ``call_model`` seam): each test
scripts the responses the Messages API documents, including the awkward ones.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.agents import (
    AgentLimits,
    AgentOutcome,
    BudgetGuard,
    ModelRequest,
    ModelResponse,
    PriceTable,
    ResilientModel,
    RunBudget,
    Usage,
    UsageLedger,
    build_toolbox,
    load_role,
    run_agent,
)
from bot.agents._history import estimated_tokens
from bot.agents.tools import (
    BashTool,
    Tool,
    Toolbox,
    ToolResult,
    Workspace,
    submit_plan_tool,
    submit_review_tool,
)
from tests.agents.conftest import MODEL, FakeClock, Sleeps, Stack, StartModel
from tests.sandboxes import needs_sandbox

VIEW = "str_replace_based_edit_tool"
Reply = Callable[[ModelRequest, int], ModelResponse]


def response(
    content: list[dict[str, Any]],
    stop: str | None,
    *,
    usage: Usage | None = None,
) -> ModelResponse:
    return ModelResponse(
        id="msg_test", model=MODEL, content=content, stop_reason=stop, usage=usage or Usage()
    )


def tool_use(name: str, tool_input: Any, use_id: str = "toolu_1") -> dict[str, Any]:
    return {"type": "tool_use", "id": use_id, "name": name, "input": tool_input}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


class ScriptedCalls:
    """A ``call_model`` answering from a list; keeps a deep copy of every request."""

    def __init__(self, replies: list[ModelResponse] | Reply) -> None:
        self._replies = replies
        self.requests: list[ModelRequest] = []

    def __call__(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request.model_copy(deep=True))
        index = len(self.requests) - 1
        if callable(self._replies):
            return self._replies(request, index)
        return self._replies[index]


class RecordingTool:
    """A read tool that records its calls and answers with a fixed-size text."""

    def __init__(self, name: str = VIEW, size: int = 100) -> None:
        self.name = name
        self.size = size
        self.calls: list[Any] = []

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "description": "test tool", "input_schema": {"type": "object"}}

    def run(self, tool_input: dict[str, Any]) -> ToolResult:
        self.calls.append(tool_input)
        return ToolResult(f"call {len(self.calls)}: " + "x" * self.size)

    def close(self) -> None:
        pass


def run(
    calls: ScriptedCalls,
    *,
    role: str = "planner",
    limits: AgentLimits | None = None,
    tool: RecordingTool | None = None,
    ledger: UsageLedger | None = None,
    budget: BudgetGuard | None = None,
    events: list[tuple[str, dict[str, Any]]] | None = None,
) -> AgentOutcome:
    chosen = load_role(role)
    if limits is not None:
        chosen = chosen.model_copy(update={"limits": limits})
    tools: list[Tool] = [tool or RecordingTool()]
    if chosen.submit is not None:
        tools.append(submit_plan_tool() if chosen.submit == "submit_plan" else submit_review_tool())
    toolbox = Toolbox(tools)
    seen = events if events is not None else []
    return run_agent(
        agent=role,
        role=chosen,
        task="Do the task.",
        call_model=calls,
        toolbox=toolbox,
        ledger=ledger,
        budget=budget,
        on_event=lambda kind, payload: seen.append((kind, payload)),
    )


PLAN = {
    "summary": "Add subtraction.",
    "steps": [{"title": "Add sub", "files": ["pkg/sub.py"]}],
}


def user_texts(request: ModelRequest) -> list[str]:
    last = request.messages[-1]
    content = last["content"]
    if isinstance(content, str):
        return [content]
    return [b["text"] for b in content if b.get("type") == "text"]


# --- stop reasons ---------------------------------------------------------------------------


def test_a_tool_call_cut_off_at_max_tokens_is_never_run_and_is_asked_again_with_more_room():
    """A truncated call (a half-written file, a cut-off review) must not execute."""
    tool = RecordingTool()
    calls = ScriptedCalls(
        [
            response([text("Viewing"), tool_use(VIEW, {"command": "vi"})], "max_tokens"),
            response([tool_use(VIEW, {"command": "view", "path": "."})], "tool_use"),
            response([text("done")], "end_turn"),
        ]
    )
    outcome = run(calls, role="responder", tool=tool)
    assert outcome.status == "completed"
    assert tool.calls == [{"command": "view", "path": "."}]  # the cut-off call never ran
    sizes = [r.max_tokens for r in calls.requests]
    assert sizes == [4096, 8192, 8192]
    # The retry is the same conversation: the cut-off turn was not added to the history.
    assert calls.requests[1].messages == calls.requests[0].messages


def test_cut_offs_at_the_ceiling_ask_for_smaller_calls_then_stop_cleanly():
    cut = response([tool_use(VIEW, {"command": "cre"})], "max_tokens")
    calls = ScriptedCalls([cut] * 5)
    limits = AgentLimits(max_output_tokens=64_000)
    outcome = run(calls, role="responder", limits=limits)
    assert outcome.status == "output_limit"
    assert "3 tool calls in a row were cut off" in outcome.message
    assert len(calls.requests) == 3
    assert any("cut off at the output limit" in t for t in user_texts(calls.requests[1]))


def test_a_refusal_ends_the_agent_with_the_models_reason_made_inert():
    calls = ScriptedCalls(
        [response([text("I can't help with that. @everyone see [x](http://e.vil)")], "refusal")]
    )
    outcome = run(calls, role="responder")
    assert outcome.status == "refused"
    assert outcome.message.startswith("the model declined the task: I can't help with that.")
    assert "\n" not in outcome.message
    assert "@everyone" not in outcome.message  # a mention would notify people when posted


def test_pause_turn_continues_from_the_paused_assistant_turn():
    paused = [text("Searching"), {"type": "server_tool_use", "id": "srv_1", "name": "web_search"}]
    calls = ScriptedCalls([response(paused, "pause_turn"), response([text("done")], "end_turn")])
    outcome = run(calls, role="responder")
    assert outcome.status == "completed"
    second = calls.requests[1].messages
    assert second[-1] == {"role": "assistant", "content": paused}  # resumed as it stands


def test_plain_max_tokens_text_is_kept_and_the_model_asked_to_continue():
    calls = ScriptedCalls(
        [response([text("Part one")], "max_tokens"), response([text("part two")], "end_turn")]
    )
    outcome = run(calls, role="responder")
    assert outcome.status == "completed"
    assert calls.requests[1].messages[-2]["content"] == [text("Part one")]
    assert any("Continue where you stopped" in t for t in user_texts(calls.requests[1]))


def test_an_unknown_stop_reason_stops_the_agent_instead_of_guessing():
    calls = ScriptedCalls([response([text("?")], "a_future_reason")])
    outcome = run(calls, role="responder")
    assert outcome.status == "stopped"
    assert "a_future_reason" in outcome.message


def test_a_full_context_window_clears_old_tool_output_once_then_ends_cleanly():
    view = response([tool_use(VIEW, {"command": "view", "path": "."})], "tool_use")
    full = response([], "model_context_window_exceeded")
    calls = ScriptedCalls([view] * 6 + [full, view, full])
    outcome = run(calls, role="responder", limits=AgentLimits(keep_tool_results=4))
    assert outcome.status == "context_limit"
    assert len(calls.requests) == 9
    after = json.dumps(calls.requests[7].messages)
    assert after.count("output of str_replace_based_edit_tool cleared") == 4  # 6 kept 2 whole


# --- thinking ---------------------------------------------------------------------------------


def test_thinking_blocks_go_back_exactly_as_received_across_tool_turns():
    thinking = {"type": "thinking", "thinking": "Let me look.\n", "signature": "c2lnbmF0dXJl=="}
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"}
    first = [thinking, redacted, tool_use(VIEW, {"command": "view", "path": "."})]
    calls = ScriptedCalls(
        [response(copy.deepcopy(first), "tool_use"), response([text("ok")], "end_turn")]
    )
    run(calls, role="responder")
    assert calls.requests[1].messages[1] == {"role": "assistant", "content": first}


# --- context stays bounded ---------------------------------------------------------------------


def test_a_sixty_turn_session_viewing_4kb_files_keeps_each_call_bounded():
    """Old observations are cleared in batches; the newest few stay whole."""
    tool = RecordingTool(size=4_000)

    def reply(request: ModelRequest, index: int) -> ModelResponse:
        measured = estimated_tokens(request.messages)
        usage = Usage(input_tokens=50, cache_read_input_tokens=measured, output_tokens=40)
        if index == 59:
            return response([text("done")], "end_turn", usage=usage)
        return response(
            [tool_use(VIEW, {"path": f"f{index}"}, f"t{index}")], "tool_use", usage=usage
        )

    calls = ScriptedCalls(reply)
    limits = AgentLimits(max_turns=80, max_context_tokens=20_000, keep_tool_results=5)
    events: list[tuple[str, dict[str, Any]]] = []
    outcome = run(calls, role="implementer", limits=limits, tool=tool, events=events)
    assert outcome.status == "completed", outcome.message
    assert len(tool.calls) == 59
    largest = max(estimated_tokens(r.messages) for r in calls.requests)
    assert largest < 20_000
    assert estimated_tokens(calls.requests[-1].messages) < 20_000
    cleared = [p for kind, p in events if kind == "context.cleared"]
    assert 1 <= len(cleared) < 59 // 2  # in batches, so the cached prefix changes rarely
    whole = json.dumps(calls.requests[-1].messages).count("x" * 4_000)
    assert whole >= 5
    # The task is never cleared.
    assert calls.requests[-1].messages[0]["content"].endswith("\n\nDo the task.")


def test_a_call_that_cannot_fit_under_the_context_cap_is_not_sent():
    big = RecordingTool(size=40_000)  # ~10K tokens per observation, kept whole
    view = response([tool_use(VIEW, {"command": "view"})], "tool_use")
    calls = ScriptedCalls([view] * 10)
    limits = AgentLimits(max_context_tokens=12_000, keep_tool_results=5)
    outcome = run(calls, role="responder", limits=limits, tool=big)
    assert outcome.status == "context_limit"
    assert "limit 12000" in outcome.message
    assert all(estimated_tokens(r.messages) < 12_000 for r in calls.requests)


# --- budgets ----------------------------------------------------------------------------------


def test_the_token_limit_counts_cache_reads_at_a_tenth_so_long_sessions_are_not_quadratic():
    def reply(request: ModelRequest, index: int) -> ModelResponse:
        # Each call re-reads a cached history that grows by 2K tokens a turn.
        usage = Usage(input_tokens=100, cache_read_input_tokens=2_000 * index, output_tokens=100)
        if index == 39:
            return response([text("done")], "end_turn", usage=usage)
        return response([tool_use(VIEW, {"n": index}, f"t{index}")], "tool_use", usage=usage)

    limits = AgentLimits(max_turns=50, max_tokens=200_000)
    calls = ScriptedCalls(reply)
    outcome = run(calls, role="implementer", limits=limits)
    assert outcome.status == "completed"
    assert outcome.usage.total_tokens > 1_500_000  # counted in full it would have stopped early
    assert outcome.usage.effective_tokens < 200_000


def test_the_agent_is_told_the_turns_it_has_left_and_asked_to_finish_near_the_end():
    view = response([tool_use(VIEW, {"command": "view"})], "tool_use")
    calls = ScriptedCalls([view] * 8)
    outcome = run(calls, role="planner", limits=AgentLimits(max_turns=8))
    assert outcome.status == "turn_limit"
    notes = [" ".join(user_texts(r)) for r in calls.requests[1:]]
    assert "turn(s) left" not in notes[0]  # not in the first three quarters
    assert "3 turn(s) left" in notes[4]
    assert "Finish now: call submit_plan with what you have" in notes[5]
    assert "only 2 turn(s) left" in notes[5]


def test_a_per_agent_cost_limit_asks_to_finish_then_stops_and_keeps_the_partial_work():
    usage = Usage(input_tokens=100_000, output_tokens=1_000)  # ~$0.3+ a call at any price
    view = response([tool_use(VIEW, {"command": "view"})], "tool_use", usage=usage)
    calls = ScriptedCalls([view] * 10)
    ledger = UsageLedger(PriceTable.bundled())
    cost_per_call = ledger.prices.price(MODEL).cost(usage)
    limits = AgentLimits(max_cost_usd=cost_per_call * 3.2)
    outcome = run(calls, role="implementer", limits=limits, ledger=ledger)
    assert outcome.status == "cost_limit"
    assert len(calls.requests) == 4
    assert "your cost budget is nearly spent" in " ".join(user_texts(calls.requests[3]))
    assert outcome.messages[-1]["role"] == "user"  # the history up to the stop is kept


def test_the_run_token_budget_counts_effective_tokens():
    ledger = UsageLedger(PriceTable.bundled())
    guard = BudgetGuard(RunBudget(max_tokens=10_000), ledger)
    ledger.record("a", MODEL, Usage(input_tokens=100, cache_read_input_tokens=90_000))
    guard.check()  # 100 + 9,000 effective: under the budget
    assert guard.nearly_spent(0.9)
    ledger.record("a", MODEL, Usage(input_tokens=1_000))
    with pytest.raises(Exception, match="10100 of 10000 effective tokens"):
        guard.check()


# --- shells cannot outlive the run --------------------------------------------------------------


@pytest.fixture
def clipped_shell(workspace: Workspace) -> Iterator[tuple[BashTool, FakeClock]]:
    clock = FakeClock()
    guard = BudgetGuard(RunBudget(max_seconds=61), UsageLedger(PriceTable.bundled()), clock)
    clock.now += 60  # one second of the run is left
    tool = BashTool(workspace, timeout=120, time_left=guard.seconds_left)
    yield tool, clock
    tool.close()


@needs_sandbox
def test_a_shell_command_is_clipped_to_the_time_the_run_has_left(clipped_shell):
    tool, _ = clipped_shell
    result = tool.run({"command": "sleep 30; echo finished"})
    assert result.is_error
    assert "timed out after 1 s (all the time the run had left)" in result.content
    assert "finished" not in result.content


@needs_sandbox
def test_no_command_starts_once_the_run_has_no_time_left(clipped_shell):
    tool, clock = clipped_shell
    clock.now += 5
    result = tool.run({"command": "echo hi"})
    assert result.is_error
    assert result.content == "Error: the run's time budget is spent; no command runs"


def test_a_cut_off_file_write_is_asked_again_and_written_whole_through_the_real_api(
    start_model: StartModel, anthropic_model: Stack, workspace: Workspace
):
    """The scripted model cuts the reply at max_tokens inside the create call, as the API
    does: nothing is written from the cut call, and the retry with twice the room writes the
    whole file once."""
    text = "".join(f"line_{n} = {n}\n" for n in range(60))  # about 240 output tokens
    write = {"command": "create", "path": "pkg/big.py", "file_text": text}
    server = start_model(
        {
            "turns": [
                {"when": {"turn": 0}, "reply": [{"tool_use": {"name": VIEW, "input": write}}]},
                {"when": {"turn": 1}, "reply": [{"text": "Done."}]},
            ]
        }
    )
    limits = AgentLimits(max_output_tokens=200)
    role = load_role("implementer").model_copy(update={"limits": limits})
    model = ResilientModel(anthropic_model(server.base_url), sleep=Sleeps())
    with build_toolbox(role, workspace) as toolbox:
        outcome = run_agent(
            agent="implementer",
            role=role,
            task="Write pkg/big.py.",
            call_model=model.complete,
            toolbox=toolbox,
        )
    assert outcome.status == "completed", outcome.message
    bodies = [entry.body for entry in server.log.entries()]
    assert [b["max_tokens"] for b in bodies] == [200, 400, 400]
    assert bodies[0]["messages"] == bodies[1]["messages"]  # the cut call left no trace
    assert (workspace.root / "pkg" / "big.py").read_text() == text
