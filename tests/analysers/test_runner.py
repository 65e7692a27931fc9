"""Running analysers safely: hostile names, missing, crashing, hanging and lying tools."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.agents.tools import detect_isolation
from bot.analysers import (
    AnalyserStatus,
    BanditAnalyser,
    RuffAnalyser,
    SemgrepAnalyser,
    Targets,
    default_analysers,
    run_analyser,
    run_analysers,
    run_tool,
)
from bot.ports import FileDiff
from tests.analysers.conftest import Change

FakeTool = Callable[[str, str], str]
HOSTILE = [
    "-rf.py",
    "--help.py",
    "with space.py",
    "ünïcödé/módulo.py",
    "a;b$(x).py",
    "new\nline.py",
]


def test_hostile_file_names_are_analysed_and_mapped_back(change: Change) -> None:
    """Leading dashes, spaces, unicode and shell characters reach ruff and bandit intact."""
    root, diffs = change({}, dict.fromkeys(HOSTILE, "import os\nx = eval('1')\n"))
    for analyser in (RuffAnalyser(), BanditAnalyser()):
        outcome = run_analyser(analyser, root, diffs)
        assert outcome.status is AnalyserStatus.OK, outcome.detail
        assert outcome.files == len(HOSTILE)
        assert {f.path for f in outcome.report.submission.findings} == set(HOSTILE)


def test_paths_leaving_the_checkout_are_never_analysed(change: Change, tmp_path: Path) -> None:
    """A diff naming ../, an absolute path, .git, a symlink or a missing file is skipped."""
    (tmp_path / "outside.py").write_text("import os\n")
    root, diffs = change({}, {"inside.py": "import os\n"})
    (root / "link.py").symlink_to(tmp_path / "outside.py")
    (root / ".git" / "hooks" / "x.py").write_text("import os\n")
    patch = "@@ -0,0 +1 @@\n+import os\n"
    hostile = [
        FileDiff(path=p, status="added", patch=patch, additions=1, deletions=0)
        for p in ("../outside.py", "link.py", "/etc/hosts.py", ".git/hooks/x.py", "gone.py")
    ]
    outcome = run_analyser(RuffAnalyser(), root, [*diffs, *hostile])
    assert outcome.files == 1
    assert [f.path for f in outcome.report.submission.findings] == ["inside.py"]
    assert "5 changed file(s) skipped: not a regular file inside the checkout" in outcome.detail


def test_a_missing_tool_gives_an_error_report(change: Change, tmp_path: Path) -> None:
    """A ruff that is not there is an error outcome with a report, not an exception."""
    root, diffs = change({}, {"m.py": "import os\n"})
    outcome = run_analyser(RuffAnalyser(path=str(tmp_path / "no-such-ruff")), root, diffs)
    assert outcome.status is AnalyserStatus.ERROR
    assert outcome.report.submission.findings == []
    assert outcome.report.submission.summary.startswith("ruff could not review this change:")
    assert outcome.detail == "ruff is not installed"


@pytest.mark.skipif(shutil.which("semgrep") is not None, reason="semgrep is installed here")
def test_semgrep_not_installed_is_skipped_with_a_reason(change: Change) -> None:
    """Without the semgrep executable the analyser is skipped, and the swarm goes on."""
    root, diffs = change({}, {"m.py": "x = eval('1')\n"})
    outcomes = run_analysers(default_analysers(), root, diffs)
    assert [(o.analyser, o.status) for o in outcomes] == [
        ("ruff", AnalyserStatus.OK),
        ("bandit", AnalyserStatus.OK),
        ("semgrep", AnalyserStatus.SKIPPED),
    ]
    assert outcomes[2].detail == "semgrep is not installed"


def test_a_crashing_tool_gives_its_last_error_line(change: Change, fake_tool: FakeTool) -> None:
    """A tool exiting 3 with a traceback gives an error outcome quoting the last line."""
    tool = fake_tool("ruff", "echo 'Traceback...' >&2\necho 'KeyError: boom' >&2\nexit 3\n")
    root, diffs = change({}, {"m.py": "import os\n"})
    outcome = run_analyser(RuffAnalyser(path=tool), root, diffs)
    assert outcome.status is AnalyserStatus.ERROR
    assert outcome.detail == "ruff exited with status 3: KeyError: boom"


def test_a_hanging_tool_is_killed_at_its_timeout(
    change: Change, fake_tool: FakeTool, tmp_path: Path
) -> None:
    """A tool that never finishes is killed with its children when the timeout passes."""
    pid_file = tmp_path / "child.pid"
    tool = fake_tool("bandit", f"sleep 600 &\necho $! > '{pid_file}'\nwait\n")
    root, diffs = change({}, {"m.py": "import os\n"})
    outcome = run_analyser(BanditAnalyser(path=tool), root, diffs, timeout=1.0, isolate=False)
    assert outcome.status is AnalyserStatus.ERROR
    assert outcome.detail == "bandit timed out after 1 s and was killed"
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.split(")")[-1].split()[0] != "Z"  # a zombie is dead, waiting to be reaped


def test_output_over_the_cap_stops_the_tool(change: Change, fake_tool: FakeTool) -> None:
    """A tool writing without end is stopped at the output limit and reported as an error."""
    tool = fake_tool("ruff", "yes '[1,2,3]'\n")
    root, diffs = change({}, {"m.py": "import os\n"})
    outcome = run_analyser(RuffAnalyser(path=tool), root, diffs, output_limit=100_000)
    assert outcome.status is AnalyserStatus.ERROR
    assert outcome.detail == "ruff wrote more than 100000 bytes of output and was stopped"


def test_output_that_is_not_json_is_an_error(change: Change, fake_tool: FakeTool) -> None:
    """Garbage on stdout gives an error outcome."""
    tool = fake_tool("ruff", "echo 'not json at all'\n")
    root, diffs = change({}, {"m.py": "import os\n"})
    outcome = run_analyser(RuffAnalyser(path=tool), root, diffs)
    assert outcome.status is AnalyserStatus.ERROR
    assert outcome.detail == "ruff wrote output that is not JSON"


def test_hostile_json_entries_are_ignored_and_counted(
    change: Change, fake_tool: FakeTool, tmp_path: Path
) -> None:
    """Foreign files, lines not in the file and wrong types are dropped; ranges clamped."""
    root, diffs = change({}, {"m.py": "import os\nimport sys\n"})
    good = {"filename": str(root / "m.py"), "code": "F401", "message": "unused\x1b[31m @team"}
    entries = [
        {**good, "location": {"row": 2}, "end_location": {"row": 10**12}},
        {**good, "filename": "/etc/passwd", "location": {"row": 1}},
        {**good, "filename": "../m.py", "location": {"row": 1}},
        {**good, "location": {"row": -3}},
        {**good, "location": {"row": 4}},
        {**good, "location": {"row": True}},
        {**good, "location": "row 1"},
        {**good, "filename": 7, "location": {"row": 1}},
        "just a string",
        [[[[]]]],
    ]
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(entries))
    tool = fake_tool("ruff", f"cat '{payload}'\n")
    outcome = run_analyser(RuffAnalyser(path=tool), root, diffs)
    assert outcome.status is AnalyserStatus.OK
    (finding,) = outcome.report.submission.findings
    assert (finding.path, finding.line, finding.end_line) == ("m.py", 2, None)
    assert "\x1b" not in finding.message
    assert outcome.invalid == len(entries) - 1


def test_deeply_nested_json_is_an_error_not_a_crash(change: Change, fake_tool: FakeTool) -> None:
    """JSON nested beyond Python's recursion limit gives an error outcome."""
    tool = fake_tool("bandit", "python3 -c \"print('[' * 100000 + ']' * 100000)\"\n")
    root, diffs = change({}, {"m.py": "import os\n"})
    outcome = run_analyser(BanditAnalyser(path=tool), root, diffs)
    assert outcome.status is AnalyserStatus.ERROR


def test_tools_see_a_scrubbed_environment(tmp_path: Path) -> None:
    """Secrets in the service's environment never reach the tool; HOME is private."""
    base = {"PATH": os.environ["PATH"], "GITHUB_TOKEN": "ghp_" + "a" * 36, "HOME": "/root"}
    run = run_tool(["/usr/bin/env"], cwd=tmp_path, timeout=10, output_limit=100_000, base_env=base)
    seen = dict(line.split("=", 1) for line in run.stdout.decode().splitlines() if "=" in line)
    assert run.returncode == 0
    assert "GITHUB_TOKEN" not in seen
    assert seen["HOME"] != "/root" and "specbot-analyser-home-" in seen["HOME"]


@pytest.mark.skipif(not detect_isolation().network_isolated, reason="no network namespaces")
def test_tools_have_no_network(tmp_path: Path) -> None:
    """A tool cannot connect to a server listening on this machine's loopback."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        probe = (
            "import socket,sys\n"
            f"try: socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "except OSError: sys.exit(7)\n"
        )
        run = run_tool([sys.executable, "-c", probe], cwd=tmp_path, timeout=20, output_limit=1000)
    assert run.returncode == 7


def test_semgrep_with_local_rules_reports_its_results(change: Change, fake_tool: FakeTool) -> None:
    """A semgrep (here a stand-in script) with the repository's rules is run and parsed."""
    root, diffs = change({".semgrep.yml": "rules: []\n"}, {"app.py": "a = 1\nb = eval(a)\n"})
    result = {
        "results": [
            {
                "check_id": "python.lang.security.eval",
                "path": str(root / "app.py"),
                "start": {"line": 2},
                "end": {"line": 2},
                "extra": {"message": "eval is dangerous", "severity": "ERROR"},
            },
            {"check_id": "x", "path": "app.py", "start": {"line": 1}, "extra": {}},
        ]
    }
    tool = fake_tool("semgrep", f"cat <<'EOF'\n{json.dumps(result)}\nEOF\nexit 1\n")
    outcome = run_analyser(SemgrepAnalyser(path=tool), root, diffs)
    assert outcome.status is AnalyserStatus.OK, outcome.detail
    (finding,) = outcome.report.submission.findings
    assert (finding.line, finding.category, finding.severity.value) == (2, "security", "major")
    assert outcome.invalid == 1


def test_semgrep_without_local_rules_is_skipped(change: Change, fake_tool: FakeTool) -> None:
    """Registry rules need the network, so no local rules means semgrep is not run."""
    tool = fake_tool("semgrep", "exit 99\n")
    root, diffs = change({}, {"app.py": "a = 1\n"})
    outcome = run_analyser(SemgrepAnalyser(path=tool), root, diffs)
    assert outcome.status is AnalyserStatus.SKIPPED
    assert "no local rules" in outcome.detail


def test_a_hanging_tool_is_killed_inside_its_sandbox_too(
    change: Change, fake_tool: FakeTool
) -> None:
    """With namespace isolation on (the default), a hanging tool still ends at its timeout."""
    tool = fake_tool("ruff", "sleep 600 &\nsleep 600\n")
    root, diffs = change({}, {"m.py": "import os\n"})
    outcome = run_analyser(RuffAnalyser(path=tool), root, diffs, timeout=1.0)
    assert outcome.detail == "ruff timed out after 1 s and was killed"


def test_a_checkout_that_is_gone_gives_error_outcomes(tmp_path: Path) -> None:
    """Even when the checkout does not exist, every analyser gives an outcome."""
    patch = "@@ -0,0 +1 @@\n+import os\n"
    diffs = [FileDiff(path="m.py", status="added", patch=patch, additions=1, deletions=0)]
    outcomes = run_analysers(default_analysers(), tmp_path / "missing", diffs)
    assert [o.status for o in outcomes] == [AnalyserStatus.ERROR] * 3
    assert outcomes[0].detail == f"the checkout {tmp_path / 'missing'} is not a directory"


class ExplodingAnalyser(RuffAnalyser):
    """A ruff whose command line cannot be built: a bug in an analyser, simulated."""

    def command(self, executable: str, targets: Targets) -> list[str]:
        """Fail as a buggy analyser would."""
        raise KeyError("boom")


def test_a_buggy_analyser_does_not_stop_the_others(change: Change) -> None:
    """An exception inside one analyser becomes its error outcome; the next one still runs."""
    root, diffs = change({}, {"m.py": "x = eval('1')\n"})
    outcomes = run_analysers([ExplodingAnalyser(), BanditAnalyser()], root, diffs)
    assert outcomes[0].status is AnalyserStatus.ERROR
    assert outcomes[0].detail == "ruff crashed: KeyError: 'boom'"
    assert outcomes[1].status is AnalyserStatus.OK and outcomes[1].kept == 1
