"""Diffs as HTML tables, with review comment threads under the lines they were made on."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._gitrepo import FileDiff
from bot.localhub._html import comment_box, esc
from bot.localhub._model import ReviewComment

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_HUNK_SIZES = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@")
Place = tuple[str, int]  # (side, line): ("RIGHT", new line) or ("LEFT", old line)


def threads(comments: Iterable[ReviewComment]) -> list[list[ReviewComment]]:
    """Review comments grouped into threads (a first comment, then its replies), oldest first."""
    ordered = sorted(comments, key=lambda c: c.id)
    roots: dict[int, list[ReviewComment]] = {}
    for item in ordered:
        if item.in_reply_to_id is not None and item.in_reply_to_id in roots:
            roots[item.in_reply_to_id].append(item)
        else:
            roots[item.id] = [item]
    return list(roots.values())


def thread_html(thread: Sequence[ReviewComment]) -> str:
    """One thread's comments, each anchored as ``discussion_r<id>`` like GitHub's links."""
    return "".join(
        comment_box(f"discussion_r{c.id}", c.user, c.created_at, c.body, "commented")
        for c in thread
    )


def _row(kind: str, old: int | None, new: int | None, text: str) -> str:
    return (
        f'<tr class="{kind}"><td class="ln">{"" if old is None else old}</td>'
        f'<td class="ln">{"" if new is None else new}</td><td class="code">{esc(text)}</td></tr>'
    )


def _thread_row(thread: Sequence[ReviewComment]) -> str:
    return f'<tr class="thread"><td colspan="3">{thread_html(thread)}</td></tr>'


def diff_table(patch: str | None, placed: dict[Place, list[list[ReviewComment]]]) -> str:
    """A unified patch as rows with old and new line numbers; threads under their lines."""
    if not patch:
        return '<p class="muted">Binary file or no textual change.</p>'
    rows: list[str] = []
    old = new = 0
    for text in patch.rstrip("\n").split("\n"):
        header = _HUNK.match(text)
        places: list[Place] = []
        if header:
            old, new = int(header.group(1)), int(header.group(2))
            rows.append(_row("hunk", None, None, text))
            continue
        if text.startswith("+"):
            rows.append(_row("add", None, new, text))
            places, new = [("RIGHT", new)], new + 1
        elif text.startswith("-"):
            rows.append(_row("del", old, None, text))
            places, old = [("LEFT", old)], old + 1
        elif text.startswith("\\"):
            rows.append(_row("ctx", None, None, text))
        else:
            rows.append(_row("ctx", old, new, text))
            places, old, new = [("RIGHT", new), ("LEFT", old)], old + 1, new + 1
        for place in places:
            rows += [_thread_row(thread) for thread in placed.pop(place, [])]
    return f'<table class="diff">{"".join(rows)}</table>'


def follow_line(repo: Path, old: str, new: str, path: str, line: int) -> int | None:
    """Where line ``line`` of ``path`` at ``old`` is at ``new``; None when it was changed.

    GitHub keeps a comment on its line while later commits leave that line alone: lines move by
    what earlier hunks added and removed, and a line a hunk rewrote is outdated.
    """
    out = gitrepo.git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", old, new, "--", path)
    delta = 0
    for text in out.decode(errors="replace").split("\n"):
        header = _HUNK_SIZES.match(text)
        if header is None:
            continue
        start, count = int(header.group(1)), int(header.group(2) or 1)
        added = int(header.group(3) or 1)
        if count == 0:  # an insertion after line ``start``
            if line <= start:
                break
            delta += added
            continue
        if line < start:
            break
        if line < start + count:
            return None
        delta += added - count
    return line + delta


def file_box(
    change: FileDiff,
    file_threads: list[list[ReviewComment]],
    head_sha: str,
    moved: dict[int, int] | None = None,
) -> str:
    """One changed file: its header, its diff with threads on their lines, then outdated ones.

    ``moved`` gives the head's line of threads made on an earlier commit whose line is unchanged.
    """
    placed: dict[Place, list[list[ReviewComment]]] = {}
    outdated: list[list[ReviewComment]] = []
    for thread in file_threads:
        first = thread[0]
        if first.commit_id == head_sha and first.line is not None:
            placed.setdefault((first.side, first.line), []).append(thread)
        elif moved and first.id in moved:
            placed.setdefault(("RIGHT", moved[first.id]), []).append(thread)
        else:
            outdated.append(thread)
    table = diff_table(change.patch, placed)
    # threads whose line is no longer in the diff are not lost: they join the outdated ones
    outdated += [thread for found in placed.values() for thread in found]
    old = "".join(
        f'<div class="box"><div class="head muted">Outdated: on {esc(t[0].commit_id[:7])}</div>'
        f'<div class="body"><pre class="text"><code>{esc(t[0].diff_hunk)}</code></pre>'
        f"{thread_html(t)}</div></div>"
        for t in outdated
    )
    renamed = f" (from {esc(change.previous_filename)})" if change.previous_filename else ""
    anchor = "diff-" + re.sub(r"[^A-Za-z0-9_-]", "-", change.filename)
    return (
        f'<div class="box" id="{esc(anchor)}"><div class="head"><strong>{esc(change.filename)}'
        f'</strong>{renamed} <span class="muted">{esc(change.status)}</span> '
        f'<span class="success">+{change.additions}</span> '
        f'<span class="failure">-{change.deletions}</span></div>{old}{table}</div>'
    )


def files_html(
    repo: Path, changes: Sequence[FileDiff], comments: Iterable[ReviewComment], head_sha: str
) -> str:
    """Every changed file with its review threads, followed to the head where they still fit."""
    by_path: dict[str, list[list[ReviewComment]]] = {}
    moved: dict[int, int] = {}
    for thread in threads(comments):
        first = thread[0]
        by_path.setdefault(first.path, []).append(thread)
        if first.commit_id != head_sha and first.side == "RIGHT" and first.line is not None:
            line = follow_line(repo, first.commit_id, head_sha, first.path, first.line)
            if line is not None:
                moved[first.id] = line
    boxes = [file_box(c, by_path.pop(c.filename, []), head_sha, moved) for c in changes]
    # threads on files the current diff no longer changes
    for path, lost in sorted(by_path.items()):
        boxes.append(
            f'<div class="box"><div class="head"><strong>{esc(path)}</strong> '
            '<span class="muted">no longer changed</span></div><div class="body">'
            + "".join(thread_html(t) for t in lost)
            + "</div></div>"
        )
    if not boxes:
        return '<p class="muted">No files changed.</p>'
    return "".join(boxes)
