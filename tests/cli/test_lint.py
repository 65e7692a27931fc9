"""``specbot lint`` end to end, through a real subprocess."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunSpecbot
from tests.spec.conftest import BASE_SPEC

# Prescribes a code construct (IMP-001), which blocks whatever the rest of the spec says.
NOT_READY = BASE_SPEC + "- [ ] Store the orders in a global variable.\n"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A folder with a ready spec, a not-ready one in a subfolder, and a non-Markdown file."""
    (tmp_path / "ready.md").write_text(BASE_SPEC, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "vague.md").write_text(NOT_READY, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a spec", encoding="utf-8")
    return tmp_path


def assert_one_line_error(stderr: str, fragment: str) -> None:
    """A usage error is one line on stderr, with no traceback."""
    assert "Traceback" not in stderr
    assert fragment in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_ready_file_exits_0_with_a_verdict(run_specbot: RunSpecbot, specs: Path) -> None:
    """One ready file: text verdict and exit 0."""
    result = run_specbot("lint", str(specs / "ready.md"))
    assert result.returncode == 0, result.stderr
    assert "ready.md: ready" in result.stdout
    assert "score 100/100" in result.stdout


def test_not_ready_file_exits_1_and_names_the_gap(run_specbot: RunSpecbot, specs: Path) -> None:
    """One not-ready file: the finding with its fix, exit 1."""
    result = run_specbot("lint", str(specs / "sub" / "vague.md"))
    assert result.returncode == 1
    assert "not ready" in result.stdout
    assert "IMP-001" in result.stdout
    assert "fix:" in result.stdout


def test_json_for_one_file_is_the_contract(run_specbot: RunSpecbot, specs: Path) -> None:
    """`--format json` prints exactly the contract object for one spec."""
    result = run_specbot("lint", str(specs / "sub" / "vague.md"), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert list(data) == ["ready", "score", "scores", "findings", "kind"]
    assert data["findings"][0]["id"] == "IMP-001"


def test_folder_is_searched_recursively_with_summary(run_specbot: RunSpecbot, specs: Path) -> None:
    """A folder: every *.md inside, one verdict each, a summary table, exit 1."""
    result = run_specbot("lint", str(specs))
    assert result.returncode == 1
    assert "Summary" in result.stdout
    assert "ready.md: ready" in result.stdout
    assert "vague.md: not ready" in result.stdout
    assert "notes.txt" not in result.stdout


def test_json_for_several_files_is_a_list_with_paths(run_specbot: RunSpecbot, specs: Path) -> None:
    """Several specs in JSON: a list of objects, each with its path."""
    result = run_specbot("lint", str(specs), "-f", "json")
    data = json.loads(result.stdout)
    assert [Path(item["path"]).name for item in data] == ["ready.md", "vague.md"]
    assert [item["ready"] for item in data] == [True, False]
    fields = {"path", "ready", "score", "scores", "findings", "kind"}
    assert all(set(item) == fields for item in data)


def test_markdown_format(run_specbot: RunSpecbot, specs: Path) -> None:
    """`--format markdown` prints the issue comment; several files get one section each."""
    single = run_specbot("lint", str(specs / "ready.md"), "--format", "markdown")
    assert single.returncode == 0
    assert single.stdout.startswith("### Spec check: ✅ ready (score 100/100)")
    several = run_specbot("lint", str(specs), "--format", "markdown")
    assert several.stdout.count("### Spec check of") == 2


def test_stdin(run_specbot: RunSpecbot) -> None:
    """`-` reads the spec from standard input."""
    result = run_specbot("lint", "-", "--format", "json", input=BASE_SPEC)
    assert result.returncode == 0
    assert json.loads(result.stdout)["ready"] is True
    text = run_specbot("lint", "-", input=NOT_READY)
    assert text.returncode == 1
    assert "<stdin>: not ready" in text.stdout


def test_a_file_with_nul_bytes_is_not_linted_as_text(
    run_specbot: RunSpecbot, tmp_path: Path
) -> None:
    """A binary file (NUL bytes, valid UTF-8 otherwise) is a usage error naming it, exit 2,
    from a path or from standard input; nothing is printed as a verdict."""
    binary = tmp_path / "diagram.md"
    binary.write_bytes(b"## Summary\x00\x00\x01PNG data")
    result = run_specbot("lint", str(binary))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"specbot lint: {binary}: a binary file, not text (a NUL byte at offset 10)"
    )
    assert result.stdout == ""
    piped = run_specbot("lint", "-", input="## Summary\x00")
    assert piped.returncode == 2
    assert "standard input: a binary file" in piped.stderr


def test_the_header_fits_an_80_column_terminal(run_specbot: RunSpecbot) -> None:
    """On 80 columns a long header breaks before its scores instead of wrapping mid-way;
    on 120 it stays one line."""
    example = "specs/examples/not-ready/conflicting-targets.md"
    narrow = run_specbot("lint", example, env={"COLUMNS": "80"}).stdout.splitlines()
    assert narrow[0] == f"{example}: not ready"
    assert narrow[1].startswith("  score ") and narrow[1].endswith(" P4 100  feature")
    assert max(len(line) for line in narrow) <= 80
    wide = run_specbot("lint", example, env={"COLUMNS": "120"}).stdout.splitlines()
    assert wide[0].startswith(f"{example}: not ready  score ")


def test_empty_stdin_is_not_ready(run_specbot: RunSpecbot) -> None:
    """An empty body is a verdict (STR-001), not a usage error."""
    result = run_specbot("lint", "-", "-f", "json", input="")
    assert result.returncode == 1
    assert [f["id"] for f in json.loads(result.stdout)["findings"]] == ["STR-001"]


def test_examples_folder_gives_the_documented_verdicts(run_specbot: RunSpecbot) -> None:
    """The README's main job: every example gets its verdict from examples-expected.yml."""
    import yaml

    expected_file = ROOT / "specs" / "examples-expected.yml"
    expected = yaml.safe_load(expected_file.read_text(encoding="utf-8"))
    result = run_specbot("lint", "specs/examples/", "--format", "json")
    assert result.returncode == 1
    verdicts = {
        str(Path(item["path"]).relative_to("specs/examples")): item["ready"]
        for item in json.loads(result.stdout)
    }
    assert verdicts == {name: value["ready"] for name, value in expected.items()}


def test_missing_path_is_a_usage_error(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """A path that does not exist: exit 2, one line."""
    result = run_specbot("lint", str(tmp_path / "nope.md"))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "nope.md: no such file or folder")
    assert result.stdout == ""


def test_non_utf8_file_is_a_usage_error(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """Bytes that are not UTF-8: exit 2 with the offset of the bad byte."""
    path = tmp_path / "latin1.md"
    path.write_bytes("## Contexto\nCafé".encode("latin-1"))
    result = run_specbot("lint", str(path))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "not UTF-8 text (byte 0xe9 at offset 15)")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_a_usage_error(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """A file without read permission: exit 2, one line."""
    path = tmp_path / "secret.md"
    path.write_text(BASE_SPEC, encoding="utf-8")
    path.chmod(0)
    result = run_specbot("lint", str(path))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "permission denied")


def test_a_directory_path_that_cannot_be_read_as_a_file(
    run_specbot: RunSpecbot, tmp_path: Path
) -> None:
    """A folder without any *.md: exit 2, one line."""
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    result = run_specbot("lint", str(tmp_path))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "no *.md files in this folder")


def test_bad_usage_exits_2(run_specbot: RunSpecbot, specs: Path) -> None:
    """No path, or an unknown format: exit 2 without a traceback."""
    assert run_specbot("lint").returncode == 2
    result = run_specbot("lint", str(specs), "--format", "yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_config_changes_what_blocks(run_specbot: RunSpecbot, specs: Path, tmp_path: Path) -> None:
    """`--config` applies the gate section: a demoted error no longer blocks."""
    config = tmp_path / "specbot.yml"
    config.write_text("gate:\n  demote: [IMP-001]\n", encoding="utf-8")
    spec = str(specs / "sub" / "vague.md")
    assert run_specbot("lint", spec).returncode == 1
    assert run_specbot("lint", spec, "--config", str(config)).returncode == 0


def test_invalid_config_is_a_usage_error_with_its_line(
    run_specbot: RunSpecbot, specs: Path, tmp_path: Path
) -> None:
    """A bad key in the config: exit 2 and `file:line: message`."""
    config = tmp_path / "specbot.yml"
    config.write_text("gate:\n  min_score: 50\n  colour: red\n", encoding="utf-8")
    result = run_specbot("lint", str(specs), "--config", str(config))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, f"{config}:3: gate.colour: unknown key")
    missing = run_specbot("lint", str(specs), "--config", str(tmp_path / "none.yml"))
    assert missing.returncode == 2
    assert_one_line_error(missing.stderr, "none.yml: cannot read")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_file_that_fails_to_read_is_a_usage_error(run_specbot: RunSpecbot) -> None:
    """A file that exists but cannot be read (an I/O error, even for root): exit 2."""
    result = run_specbot("lint", "/proc/self/mem")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "/proc/self/mem: cannot read")


def test_stdin_twice_is_a_usage_error(run_specbot: RunSpecbot) -> None:
    """`-` may appear once: standard input cannot be read twice."""
    result = run_specbot("lint", "-", "-", input=BASE_SPEC)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "standard input (-) can be read only once")


def test_examples_glob_reads_only_specs(run_specbot: RunSpecbot) -> None:
    """`specbot lint specs/examples/*` (the shell's expansion) lints exactly the example specs."""
    folders = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs" / "examples").glob("*"))
    assert folders == ["specs/examples/not-ready", "specs/examples/ready"]
    result = run_specbot("lint", *folders, "--format", "json")
    assert len(json.loads(result.stdout)) == len(list((ROOT / "specs/examples").rglob("*.md")))
