"""The tool-use loop: call the model, run the tools it asks for, repeat until done or limited.

Every model call goes through one injected callable (``call_model``) and every tool call through
another (``run_tool``), so a durable engine can checkpoint each as its own step and, on resume,
replay finished ones without paying for them again. Each step is reported through ``on_event``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bot.agents._history import add_user_text, clear_old_tool_results, estimated_tokens, note
from bot.agents._model import ModelCall, ModelRequest, ModelResponse, Usage
from bot.agents._roles import Role, system_prompt
from bot.agents._usage import BudgetExceededError, BudgetGuard, UsageLedger
from bot.agents.tools import Toolbox, ToolResult
from bot.posted import inert_line
from bot.untrusted import delimit

OnEvent = Callable[[str, dict[str, Any]], None]
RunTool = Callable[[str, Any], ToolResult]
Status = Literal[
    "completed",
    "submitted",
    "turn_limit",
    "token_limit",
    "context_limit",
    "cost_limit",
    "output_limit",
    "time_limit",
    "budget_exceeded",
    "refused",
    "stopped",
]
_EXCERPT = 2000
OUTPUT_CEILING = 64_000  # the most output tokens one call may ask for after a cut-off
TRIM_AT = 0.6  # clear old tool output past this share of the cap, or past clear_at_tokens
NEAR = 0.9  # ask the model to finish once a budget passes this share
FINAL_TURNS = 2  # ... or when this few turns are left
MAX_CUT_OFFS = 3  # consecutive cut-off tool calls before the agent stops
_KNOWN_STOPS = frozenset(
    {"end_turn", "tool_use", "stop_sequence", "pause_turn", "max_tokens", None}
)
NUDGE = (
    "You have not called {tool} yet. Call it now with your report; it is the only way to finish."
)


def _ignore_event(event_type: str, payload: dict[str, Any]) -> None:
    """An ``on_event`` that records nothing."""


class AgentOutcome(BaseModel):
    """How an agent's run ended, what it cost, and what it submitted."""

    model_config = ConfigDict(frozen=True)

    agent: str
    status: Status
    message: str
    turns: int
    usage: Usage
    submission: dict[str, Any] | None = None
    final_text: str = ""
    messages: list[dict[str, Any]]


@dataclass
class _State:
    messages: list[dict[str, Any]]
    started: float
    output_limit: int
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    context_tokens: int = 0  # input side of the latest call
    last_output: int = 0  # output tokens of the latest call, sent back in the next one
    sent_messages: int = 0  # messages the latest call carried, to estimate what was added
    nudged: bool = False
    cut_offs: int = 0
    squeezed: bool = False  # a context-window stop was answered by clearing old output


def _excerpt(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _EXCERPT:
        return value[:_EXCERPT] + f"... <{len(value) - _EXCERPT} more characters>"
    if isinstance(value, dict):
        return {k: _excerpt(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_excerpt(v) for v in value]
    return value


class AgentLoop:
    """Runs one agent's conversation; build one per agent run."""

    def __init__(
        self,
        *,
        agent: str,
        role: Role,
        call_model: ModelCall,
        run_tool: RunTool,
        tool_definitions: list[dict[str, Any]],
        ledger: UsageLedger | None = None,
        budget: BudgetGuard | None = None,
        on_event: OnEvent = _ignore_event,
        clock: Callable[[], float] = time.monotonic,
        repository_context: str = "",
    ) -> None:
        self.agent = agent
        self._system = system_prompt(repository_context)
        self.role = role
        self._call_model = call_model
        self._run_tool = run_tool
        self._tools = tool_definitions
        self._ledger = ledger
        self._budget = budget
        self._on_event = on_event
        self._clock = clock

    def run(self, task: str, *, shared_context: str | None = None) -> AgentOutcome:
        """Run until the model finishes, submits, or a limit or the run's budget stops it.

        The role's instructions open the first message, then the task; the shared context
        (untrusted data such as a diff) goes before both in that message (see ``build_params``).
        """
        shared = delimit(shared_context, "shared context", clean=False) if shared_context else None
        state = _State(
            messages=[{"role": "user", "content": f"{self.role.prompt.strip()}\n\n{task}"}],
            started=self._clock(),
            output_limit=self.role.limits.max_output_tokens,
        )
        self._emit(
            "agent.started", {"role": self.role.name, "tools": [t["name"] for t in self._tools]}
        )
        while True:
            stopped = self._limit_reached(state)
            if stopped is not None:
                return self._finish(state, *stopped)
            try:
                if self._budget is not None:
                    self._budget.check()
                # a budget can also end while the call waits (the process is stopping)
                response = self._call(state, shared)
            except BudgetExceededError as exc:
                return self._finish(state, "budget_exceeded", str(exc))
            ended = self._answer(state, response)
            if ended is not None:
                return ended

    def _answer(self, state: _State, response: ModelResponse) -> AgentOutcome | None:
        """Act on one response by its stop reason; an outcome when the agent is done."""
        reason = response.stop_reason
        uses = response.tool_uses()
        if reason == "max_tokens" and uses:
            return self._cut_off(state, response)
        state.cut_offs = 0
        if reason == "refusal":
            why = inert_line(response.text(), 300) or "no reason given"
            return self._finish(state, "refused", f"the model declined the task: {why}")
        if reason == "model_context_window_exceeded":
            return self._context_full(state, response)
        if reason not in _KNOWN_STOPS:
            return self._finish(state, "stopped", f"the model stopped for {reason!r}")
        self._accept(state, response)
        if reason == "pause_turn":
            return None  # the API resumes a paused turn from the assistant turn as it stands
        if reason == "max_tokens":
            add_user_text(state.messages, note("continue"))
            return None
        if not uses:
            if self.role.submit is not None and not state.nudged:
                state.nudged = True
                add_user_text(state.messages, NUDGE.format(tool=self.role.submit))
                return None
            return self._finish(state, "completed", "the model finished", response.text())
        submission = self._run_tools(state, uses)
        if submission is not None:
            return self._finish(state, "submitted", f"{self.role.submit} accepted", "", submission)
        self._remind(state)
        return None

    def _cut_off(self, state: _State, response: ModelResponse) -> AgentOutcome | None:
        """A tool call cut off at the output limit is never run: ask again with more room."""
        state.cut_offs += 1
        raised = min(OUTPUT_CEILING, state.output_limit * 2)
        self._emit(
            "model.cut_off",
            {"turn": state.turns, "max_tokens": state.output_limit, "raised_to": raised},
        )
        if state.cut_offs >= MAX_CUT_OFFS:
            message = f"{state.cut_offs} tool calls in a row were cut off at the output limit"
            return self._finish(state, "output_limit", message)
        if raised > state.output_limit:
            state.output_limit = raised  # the same request again, with room to finish the call
        else:
            add_user_text(state.messages, note("cut_off"))
        return None

    def _context_full(self, state: _State, response: ModelResponse) -> AgentOutcome | None:
        """The context window filled up: clear old tool output and go on once, else stop."""
        if not response.tool_uses():
            self._accept(state, response)
        limits = self.role.limits
        keep = max(1, limits.keep_tool_results // 2)
        cleared = 0 if state.squeezed else self._clear(state, keep=keep)
        state.squeezed = True
        if cleared == 0:
            return self._finish(state, "context_limit", "the model's context window is full")
        add_user_text(state.messages, note("continue"))
        return None

    def _limit_reached(self, state: _State) -> tuple[Status, str] | None:
        limits = self.role.limits
        if state.turns >= limits.max_turns:
            return "turn_limit", f"stopped after {state.turns} turns (limit {limits.max_turns})"
        used = state.usage.effective_tokens
        if used >= limits.max_tokens:
            cap = limits.max_tokens
            return "token_limit", f"stopped after {used} effective tokens (limit {cap})"
        if limits.max_cost_usd is not None and state.cost_usd >= limits.max_cost_usd:
            spent, cost_cap = state.cost_usd, limits.max_cost_usd
            return "cost_limit", f"stopped after ${spent:.4f} (limit ${cost_cap:.4f})"
        elapsed = self._clock() - state.started
        if elapsed >= limits.max_seconds:
            return "time_limit", f"stopped after {elapsed:.1f} s (limit {limits.max_seconds:g} s)"
        return self._context_limit(state)

    def _context_limit(self, state: _State) -> tuple[Status, str] | None:
        """Clear old tool output past the threshold; stop when the next call cannot fit."""
        limits = self.role.limits
        cap = limits.max_context_tokens
        expected = self._next_context(state)
        trim = expected >= min(limits.clear_at_tokens, cap * TRIM_AT)
        if trim and self._clear(state, keep=limits.keep_tool_results):
            expected = self._next_context(state)  # measured again only when it changed
        if expected >= cap:
            message = f"the next call would carry about {expected} tokens (limit {cap})"
            return "context_limit", message
        return None

    def _next_context(self, state: _State) -> int:
        # The last call's measured input plus what was added since; never less than the
        # messages' own estimate (a server that reports no usage must not disable the cap).
        added = estimated_tokens(state.messages[state.sent_messages :])
        measured = state.context_tokens + state.last_output + added
        return max(measured, estimated_tokens(state.messages))

    def _clear(self, state: _State, keep: int) -> int:
        submit = frozenset({self.role.submit}) if self.role.submit else frozenset()
        cleared = clear_old_tool_results(state.messages, keep, submit)
        if cleared:
            # Re-measure from the messages themselves: the last call's usage no longer applies.
            state.context_tokens = estimated_tokens(state.messages)
            state.last_output = 0
            state.sent_messages = len(state.messages)
            self._emit("context.cleared", {"turn": state.turns, "tool_results": cleared})
        return cleared

    def _remind(self, state: _State) -> None:
        """Tell the model the turns it has left, and to finish when a budget is nearly spent."""
        limits = self.role.limits
        left = limits.max_turns - state.turns
        why = self._nearly_spent(state, left)
        if why is None:
            # Only in the last quarter: a count on every turn would be noise the model reads.
            if left <= max(FINAL_TURNS + 1, limits.max_turns // 4):
                add_user_text(state.messages, note("turns_left", turns=left))
            return
        how = (
            f"call {self.role.submit} with what you have"
            if self.role.submit
            else "stop making changes and reply with a short summary of what you did"
        )
        add_user_text(state.messages, note("finish_now", why=why, how=how))

    def _nearly_spent(self, state: _State, turns_left: int) -> str | None:
        limits = self.role.limits
        if turns_left <= FINAL_TURNS:
            return f"only {turns_left} turn(s) left"
        if state.usage.effective_tokens >= limits.max_tokens * NEAR:
            return "your token budget is nearly spent"
        if limits.max_cost_usd is not None and state.cost_usd >= limits.max_cost_usd * NEAR:
            return "your cost budget is nearly spent"
        if self._clock() - state.started >= limits.max_seconds * NEAR:
            return "your time is nearly up"
        if self._budget is not None and self._budget.nearly_spent(NEAR):
            return "the run's budget is nearly spent"
        return None

    def _call(self, state: _State, shared: str | None) -> ModelResponse:
        request = ModelRequest(
            agent=self.agent,
            system=self._system,
            messages=list(state.messages),
            tools=self._tools,
            shared_context=shared,
            max_tokens=state.output_limit,
            model=self.role.model,
            thinking_budget=self.role.thinking_budget,
            effort=self.role.effort,
        )
        began = self._clock()
        response = self._call_model(request)
        state.turns += 1
        state.usage = state.usage + response.usage
        state.context_tokens = response.usage.context_tokens
        state.last_output = response.usage.output_tokens
        state.sent_messages = len(state.messages)
        cost = None
        if self._ledger is not None:
            cost = self._ledger.record(self.agent, response.model, response.usage).cost_usd
            state.cost_usd += cost
        self._emit(
            "model.response",
            {
                "turn": state.turns,
                "role": self.role.name,
                "model": response.model,
                "stop_reason": response.stop_reason,
                "usage": response.usage.model_dump(),
                "context_tokens": response.usage.context_tokens,
                "cost_usd": cost,
                "seconds": round(self._clock() - began, 4),
                "content": _excerpt(response.content),
            },
        )
        return response

    def _accept(self, state: _State, response: ModelResponse) -> None:
        """Add the model's turn to the history; thinking blocks go back exactly as received."""
        # The API refuses empty text blocks and empty turns in the history: drop the former and
        # keep an empty turn as a placeholder.
        content = [
            b for b in response.content if not (b.get("type") == "text" and not b.get("text"))
        ]
        content = content or [{"type": "text", "text": "(empty reply)"}]
        state.messages.append({"role": "assistant", "content": content})

    def _run_tools(self, state: _State, uses: list[dict[str, Any]]) -> dict[str, Any] | None:
        results: list[dict[str, Any]] = []
        submission = None
        for use in uses:
            name, tool_input = str(use.get("name")), use.get("input", {})
            self._emit(
                "tool.call", {"turn": state.turns, "tool": name, "input": _excerpt(tool_input)}
            )
            result = self._run_tool(name, tool_input)
            if result.submission is not None and name == self.role.submit:
                submission = result.submission
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": use.get("id"),
                "content": result.content,
            }
            if result.is_error:
                block["is_error"] = True
            results.append(block)
            self._emit(
                "tool.result",
                {
                    "turn": state.turns,
                    "tool": name,
                    "is_error": result.is_error,
                    "content": _excerpt(result.content),
                },
            )
        state.messages.append({"role": "user", "content": results})
        return submission

    def _finish(
        self,
        state: _State,
        status: Status,
        message: str,
        final_text: str = "",
        submission: dict[str, Any] | None = None,
    ) -> AgentOutcome:
        outcome = AgentOutcome(
            agent=self.agent,
            status=status,
            message=message,
            turns=state.turns,
            usage=state.usage,
            submission=submission,
            final_text=final_text,
            messages=state.messages,
        )
        self._emit(
            "agent.finished",
            {
                "status": status,
                "message": message,
                "turns": state.turns,
                "usage": state.usage.model_dump(),
            },
        )
        return outcome

    def _emit(self, event_type: str, payload: dict[str, Any]) -> None:
        self._on_event(event_type, {"agent": self.agent, **payload})


def run_agent(
    *,
    agent: str,
    role: Role,
    task: str,
    call_model: ModelCall,
    toolbox: Toolbox,
    shared_context: str | None = None,
    ledger: UsageLedger | None = None,
    budget: BudgetGuard | None = None,
    on_event: OnEvent = _ignore_event,
    run_tool: RunTool | None = None,
    repository_context: str = "",
) -> AgentOutcome:
    """Run one agent with a toolbox (``run_tool`` defaults to the toolbox's own ``execute``)."""
    loop = AgentLoop(
        agent=agent,
        role=role,
        call_model=call_model,
        run_tool=run_tool or toolbox.execute,
        tool_definitions=toolbox.definitions(),
        ledger=ledger,
        budget=budget,
        on_event=on_event,
        repository_context=repository_context,
    )
    return loop.run(task, shared_context=shared_context)
