"""Benchmark the agent loop: overhead per turn, and concurrent loops against a slow model.

Run from the repository root:

    python bench/agents.py            # both measurements
    python bench/agents.py --turns 500

1. Loop overhead per turn, model latency excluded: an in-process model answers instantly with a
   ``view`` tool call; the time spent inside the model call is subtracted, so what remains is
   the loop's own work plus running the (tiny) tool. The same is measured over HTTP through the
   real SDK against the scripted server with no latency, for context.
2. Five agent loops in threads, one turn each, against the scripted server with 1 s latency per
   call, through one shared SDK client: each loop's turn should finish in under 1.3 s.
3. What a bash call costs in each shell mode: the bubblewrap sandbox, and the unsafe mode
   (network and process isolation through ``unshare`` only, what every shell ran in before the
   sandbox): a command in a running shell, and a fresh shell's start with its first command
   (once per agent). Then what redaction adds to a call printing 30 KB with a PEM key and two
   tokens to redact. ``--shell-calls N`` sets the count (0 skips this part).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.anthropic_model import AnthropicModel
from bot.agents import (
    AgentLimits,
    ModelRequest,
    ModelResponse,
    ResilientModel,
    Usage,
    build_toolbox,
    load_role,
    run_agent,
)
from bot.agents.tools import BashTool, SandboxPolicy, Toolbox, Workspace, shell_mode
from bot.scripted import start_scripted_model

MODEL = "claude-sonnet-5-5"
VIEW = {"name": "str_replace_based_edit_tool", "input": {"command": "view", "path": "a.py"}}


class InstantModel:
    """A model port that answers every request at once with a ``view`` tool call."""

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, request: ModelRequest) -> ModelResponse:
        """Answer with a tool call, a new id each time."""
        self.calls += 1
        return ModelResponse(
            id=f"msg_{self.calls}",
            model=MODEL,
            content=[{"type": "tool_use", "id": f"toolu_{self.calls}", **VIEW}],
            stop_reason="tool_use",
            usage=Usage(input_tokens=10, output_tokens=5),
        )


class Timed:
    """Wraps a model call and adds up the time spent inside it."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.seconds = 0.0

    def __call__(self, request: ModelRequest) -> ModelResponse:
        began = time.perf_counter()
        try:
            response: ModelResponse = self.call(request)
            return response
        finally:
            self.seconds += time.perf_counter() - began


def make_workspace(directory: Path) -> Workspace:
    """A checkout with one small file to view."""
    (directory / "a.py").write_text("def f():\n    return 1\n" * 20)
    return Workspace(directory)


def overhead_per_turn(call: Any, workspace: Workspace, turns: int) -> float:
    """Mean milliseconds per turn spent outside the model call."""
    role = load_role("planner").model_copy(
        update={"limits": AgentLimits(max_turns=turns, max_tokens=10**9)}
    )
    timed = Timed(call)
    with build_toolbox(role, workspace) as toolbox:
        began = time.perf_counter()
        outcome = run_agent(agent="bench", role=role, task="t", call_model=timed, toolbox=toolbox)
        total = time.perf_counter() - began
    assert outcome.turns == turns, outcome.message
    return (total - timed.seconds) / turns * 1000


def concurrent_turns(base_url: str, loops: int) -> list[float]:
    """Seconds each of ``loops`` single-turn agents took, all started together."""
    role = load_role("implementer")
    model = ResilientModel(AnthropicModel(api_key="bench", model=MODEL, base_url=base_url))
    durations: list[float] = [0.0] * loops
    start = threading.Barrier(loops)

    def one(index: int, workspace: Workspace) -> None:
        with build_toolbox(role, workspace) as toolbox:
            start.wait()
            began = time.perf_counter()
            outcome = run_agent(
                agent=f"a{index}", role=role, task="t", call_model=model.complete, toolbox=toolbox
            )
            durations[index] = time.perf_counter() - began
            assert outcome.status == "completed" and outcome.turns == 1

    with tempfile.TemporaryDirectory() as tmp:
        threads = []
        for i in range(loops):
            directory = Path(tmp) / f"w{i}"
            directory.mkdir()
            threads.append(threading.Thread(target=one, args=(i, make_workspace(directory))))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return durations


UNSAFE = SandboxPolicy(bwrap="/nonexistent/bwrap", unsafe_without_sandbox=True)


def shell_costs(workspace: Workspace, calls: int) -> dict[str, tuple[float, float]]:
    """Per mode: ms per command in a running shell, ms for a fresh shell's first command."""
    costs: dict[str, tuple[float, float]] = {}
    for name, policy in (("bubblewrap sandbox", SandboxPolicy()), ("unsafe (unshare)", UNSAFE)):
        if shell_mode(policy).kind == "refused":
            continue
        starts: list[float] = []
        for _ in range(max(1, calls // 10)):
            shell = BashTool(workspace, sandbox=policy)
            began = time.perf_counter()
            assert shell.run({"command": "true"}).content == "(no output)"
            starts.append(time.perf_counter() - began)
            shell.close()
        shell = BashTool(workspace, sandbox=policy)
        shell.run({"command": "true"})
        began = time.perf_counter()
        for _ in range(calls):
            shell.run({"command": "true"})
        running = (time.perf_counter() - began) / calls
        shell.close()
        costs[name] = (running * 1000, statistics.median(starts) * 1000)
    return costs


def redaction_cost(workspace: Workspace, calls: int) -> tuple[float, float]:
    """ms per bash call printing 30 KB, without and with secrets to redact."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    (workspace.root / "out.txt").write_text("x" * 15_000 + "\n" + "ab12" * 3_750 + "\n")
    results = []
    for secrets in ([], [pem.strip(), "whsec-bench-0123456789", "sk-ant-bench-0123456789"]):
        with Toolbox([BashTool(workspace, sandbox=UNSAFE)], redact=secrets) as toolbox:
            toolbox.execute("bash", {"command": "true"})
            began = time.perf_counter()
            for _ in range(calls):
                toolbox.execute("bash", {"command": "cat out.txt"})
            results.append((time.perf_counter() - began) / calls * 1000)
    return results[0], results[1]


def main() -> None:
    """Print both measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--loops", type=int, default=5)
    parser.add_argument("--shell-calls", type=int, default=200)
    args = parser.parse_args()
    if args.shell_calls:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = make_workspace(Path(tmp))
            for name, (running, fresh) in shell_costs(workspace, args.shell_calls).items():
                print(
                    f"bash call, {name}: {running:.2f} ms in a running shell, "
                    f"{fresh:.1f} ms for a fresh shell's first command"
                )
            plain, redacted = redaction_cost(workspace, args.shell_calls)
            print(f"bash call printing 30 KB: {plain:.2f} ms, {redacted:.2f} ms with redaction")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = make_workspace(Path(tmp))
        in_process = overhead_per_turn(InstantModel().complete, workspace, args.turns)
        http_server = start_scripted_model({"turns": [{"reply": [{"tool_use": VIEW}]}]})
        try:
            sdk = AnthropicModel(api_key="bench", model=MODEL, base_url=http_server.base_url)
            over_http = overhead_per_turn(sdk.complete, workspace, min(args.turns, 100))
            sdk.close()
        finally:
            http_server.stop()
    print(f"loop overhead per turn, model excluded (in-process model): {in_process:.3f} ms")
    print(f"loop overhead per turn, model excluded (SDK over HTTP):    {over_http:.3f} ms")
    slow = start_scripted_model({"latency": 1.0, "turns": [{"reply": [{"text": "done"}]}]})
    try:
        durations = concurrent_turns(slow.base_url, args.loops)
    finally:
        slow.stop()
    shown = ", ".join(f"{d:.3f}" for d in durations)
    print(f"{args.loops} concurrent loops, 1 s model latency: turn seconds [{shown}]")
    print(f"  slowest {max(durations):.3f} s, median {statistics.median(durations):.3f} s")


if __name__ == "__main__":
    main()
