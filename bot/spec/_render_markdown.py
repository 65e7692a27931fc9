"""The verdict as GitHub Markdown, for an issue comment or one section of a larger comment."""

from __future__ import annotations

from bot.spec._model import Finding, Principle, SpecKind, Verdict

# What the gate asks of each kind (RUBRIC v0.2 section 0.1), shown under the scores.
KIND_NOTES: dict[SpecKind, str] = {
    "feature": "it needs context, criteria with figures and failure handling.",
    "bug": "a reproduction and the expected result are its criteria; failure handling is optional.",
    "performance": "figures before and after are its criteria; failure handling is optional.",
    "chore": "only a missing requirement or location, structure and security block.",
}

GITHUB_COMMENT_LIMIT = 65_536
PRINCIPLE_NAMES: dict[Principle, str] = {
    "P1": "Completeness",
    "P2": "Context",
    "P3": "Measurable criteria",
    "P4": "Error handling",
}
_GROUPS = (("error", "Blocking"), ("warn", "Warnings"), ("info", "Notes"))
_RESERVE = 400  # room for the truncation note and closing tags


def code_span(text: str) -> str:
    """Untrusted text as an inline code span: no Markdown, HTML, mention or link inside it."""
    flat = " ".join(text.split()) or " "
    longest = run = 0
    for char in flat:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    return f"{fence} {flat} {fence}"


def _item(finding: Finding) -> str:
    where = f"line {finding.line}" if finding.line else "whole spec"
    lines = [f"- **{finding.id}** ({where}): {finding.message}"]
    if finding.excerpt:
        lines.append(f"  {code_span(finding.excerpt)}")
    lines.append(f"  *Fix:* {finding.fix}")
    return "\n".join(lines)


def render_markdown(
    verdict: Verdict,
    *,
    title: str = "Spec check",
    heading_level: int = 3,
    max_chars: int = GITHUB_COMMENT_LIMIT,
) -> str:
    """Verdict first, scores, then each gap with line, excerpt and fix; never over max_chars."""
    level = "#" * min(max(heading_level, 1), 6)
    status = "✅ ready" if verdict.ready else "❌ not ready"
    head = [
        f"{level} {title}: {status} (score {verdict.score}/100)",
        "",
        "| " + " | ".join(f"{p} {PRINCIPLE_NAMES[p]}" for p in PRINCIPLE_NAMES) + " |",
        "|" + "---|" * len(PRINCIPLE_NAMES),
        "| " + " | ".join(str(verdict.scores[p]) for p in PRINCIPLE_NAMES) + " |",
    ]
    head += ["", f"Judged as a **{verdict.kind}**: {KIND_NOTES[verdict.kind]}"]
    for failure in verdict.threshold_failures:
        head += ["", f"Not ready: {failure}."]
    if not verdict.findings:
        head += ["", "No gaps found."]
    blocks = _blocks(verdict.findings)
    return _fit(head, blocks, max_chars, len(verdict.findings))


def _blocks(findings: tuple[Finding, ...]) -> list[tuple[str, str, list[str]]]:
    """(opening, closing, items) per severity group; notes fold into <details>."""
    blocks = []
    for severity, label in _GROUPS:
        items = [_item(f) for f in findings if f.severity == severity]
        if not items:
            continue
        if severity == "info":
            opening = f"<details><summary>{label} ({len(items)})</summary>\n\n"
            blocks.append((opening, "\n\n</details>", items))
        else:
            blocks.append((f"**{label} ({len(items)})**\n", "", items))
    return blocks


def _fit(
    head: list[str], blocks: list[tuple[str, str, list[str]]], max_chars: int, total: int
) -> str:
    """Add groups and items while they fit; say how many were left out."""
    out = "\n".join(head)
    budget = max_chars - _RESERVE
    shown = 0
    for opening, closing, items in blocks:
        if len(out) + 2 + len(opening) + len(closing) > budget:
            break
        out += "\n\n" + opening
        complete = True
        for index, item in enumerate(items):
            piece = ("\n" if index else "") + item
            if len(out) + len(piece) + len(closing) > budget:
                complete = False
                break
            out += piece
            shown += 1
        out += closing
        if not complete:
            break
    if shown < total:
        out += (
            f"\n\n*{total - shown} more findings are not shown: a GitHub comment holds at most"
            f" {GITHUB_COMMENT_LIMIT:,} characters. Run `specbot lint` on the spec for the full"
            " list.*"
        )
    return out[:max_chars]
