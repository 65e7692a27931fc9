"""The review's fan-out against a model whose cache entries exist only once a response has
begun: the first reviewer writes the shared diff to the cache, the others read it."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.anthropic_model import AnthropicModel
from bot.agents import ResilientModel
from bot.ports import FileDiff
from bot.review import ReviewPolicy
from bot.scripted import start_scripted_model
from bot.work import Team, review_changes

MODEL = "claude-sonnet-5-5"
REVIEWERS = ("security", "correctness", "style", "performance")
PATCH = "@@ -0,0 +1,40 @@\n" + "".join(f"+def f{i}(x):\n+    return x * {i}\n" for i in range(20))
EMPTY_REVIEW = {"summary": "Nothing to add.", "findings": []}


def test_the_first_reviewer_writes_the_shared_diff_and_the_others_read_it(tmp_path: Path):
    script = {
        "latency": 0.3,  # a response begins 0.3 s after its request: a burst would all miss
        "turns": [{"reply": [{"tool_use": {"name": "submit_review", "input": EMPTY_REVIEW}}]}],
    }
    server = start_scripted_model(script)
    model = ResilientModel(AnthropicModel(api_key="k", model=MODEL, base_url=server.base_url))
    try:
        result = review_changes(
            Team(call_model=model.complete, model_name=MODEL),
            tmp_path,
            [FileDiff(path="m.py", status="added", patch=PATCH, additions=40, deletions=0)],
            None,
            pull=1,
            title="Add f",
            reviewers=REVIEWERS,
            policy=ReviewPolicy(),
            with_analysers=False,
        )
    finally:
        model.close()
        server.stop()
    assert [note.status for note in result.members] == ["reviewed"] * len(REVIEWERS)
    usages = [entry.usage for entry in server.log.entries()]
    assert len(usages) == len(REVIEWERS)
    writes = [u["cache_creation_input_tokens"] for u in usages if u is not None]
    reads = [u["cache_read_input_tokens"] for u in usages if u is not None]
    shared = max(writes)
    assert writes[0] == shared  # the first call wrote the shared prefix alone
    assert all(read >= shared // 2 for read in reads[1:])  # every other reviewer read it
    assert sum(writes) < shared * 2  # the prefix was not written once per reviewer
