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

from bot.agents._model import ModelCall, ModelRequest, ModelResponse, Usage
from bot.agents._roles import Role
from bot.agents._usage import BudgetExceededError, BudgetGuard, UsageLedger
from bot.agents.tools import Toolbox, ToolResult
from bot.untrusted import delimit

OnEvent = Callable[[str, dict[str, Any]], None]
RunTool = Callable[[str, Any], ToolResult]
Status = Literal[
    "completed", "submitted", "turn_limit", "token_limit", "time_limit", "budget_exceeded"
]
_EXCERPT = 2000
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
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    nudged: bool = False


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
    ) -> None:
        self.agent = agent
        self.role = role
        self._call_model = call_model
        self._run_tool = run_tool
        self._tools = tool_definitions
        self._ledger = ledger
        self._budget = budget
        self._on_event = on_event
        self._clock = clock

    def run(self, task: str, *, shared_context: str | None = None) -> AgentOutcome:
        """Run until the model finishes, submits, or a limit or the run's budget stops it."""
        shared = delimit(shared_context, "shared context", clean=False) if shared_context else None
        state = _State(messages=[{"role": "user", "content": task}], started=self._clock())
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
            except BudgetExceededError as exc:
                return self._finish(state, "budget_exceeded", str(exc))
            response = self._call(state, shared)
            uses = response.tool_uses()
            if not uses:
                if self.role.submit is not None and not state.nudged:
                    state.nudged = True
                    nudge = NUDGE.format(tool=self.role.submit)
                    state.messages.append({"role": "user", "content": nudge})
                    continue
                return self._finish(state, "completed", "the model finished", response.text())
            submission = self._run_tools(state, uses)
            if submission is not None:
                return self._finish(
                    state, "submitted", f"{self.role.submit} accepted", "", submission
                )

    def _limit_reached(self, state: _State) -> tuple[Status, str] | None:
        limits = self.role.limits
        if state.turns >= limits.max_turns:
            return "turn_limit", f"stopped after {state.turns} turns (limit {limits.max_turns})"
        if state.usage.total_tokens >= limits.max_tokens:
            used = state.usage.total_tokens
            return "token_limit", f"stopped after {used} tokens (limit {limits.max_tokens})"
        elapsed = self._clock() - state.started
        if elapsed >= limits.max_seconds:
            return "time_limit", f"stopped after {elapsed:.1f} s (limit {limits.max_seconds:g} s)"
        return None

    def _call(self, state: _State, shared: str | None) -> ModelResponse:
        request = ModelRequest(
            agent=self.agent,
            system=self.role.prompt,
            messages=list(state.messages),
            tools=self._tools,
            shared_context=shared,
            max_tokens=self.role.limits.max_output_tokens,
        )
        began = self._clock()
        response = self._call_model(request)
        state.turns += 1
        state.usage = state.usage + response.usage
        cost = None
        if self._ledger is not None:
            cost = self._ledger.record(self.agent, response.model, response.usage).cost_usd
        # The API refuses empty text blocks and empty turns in the history: drop the former and
        # keep an empty turn as a placeholder.
        content = [
            b for b in response.content if not (b.get("type") == "text" and not b.get("text"))
        ]
        content = content or [{"type": "text", "text": "(empty reply)"}]
        state.messages.append({"role": "assistant", "content": content})
        self._emit(
            "model.response",
            {
                "turn": state.turns,
                "stop_reason": response.stop_reason,
                "usage": response.usage.model_dump(),
                "cost_usd": cost,
                "seconds": round(self._clock() - began, 4),
                "content": _excerpt(response.content),
            },
        )
        return response

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
    )
    return loop.run(task, shared_context=shared_context)
