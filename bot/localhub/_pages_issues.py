"""Pages of an issue, of a pull request's conversation, and of its changed files."""

from __future__ import annotations

from starlette.responses import Response

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._html import (
    comment_box,
    esc,
    href,
    label_chip,
    page,
    path_link,
    state_badge,
    text_block,
)
from bot.localhub._hub import Hub
from bot.localhub._model import Issue, Repo, thread_records
from bot.localhub._pages_diff import files_html, thread_html, threads
from bot.localhub._pulls import pull_files

_EMOJI = {
    "+1": "👍",
    "-1": "👎",
    "laugh": "😄",
    "confused": "😕",
    "heart": "❤️",
    "hooray": "🎉",
    "eyes": "👀",
    "rocket": "🚀",
}
_REVIEW_STATE = {
    "APPROVED": "approved these changes",
    "CHANGES_REQUESTED": "requested changes",
    "COMMENTED": "reviewed",
}


def _labels(repo: Repo, item: Issue) -> str:
    chips = []
    for name in item.labels:
        found = repo.labels.get(name.lower())
        chips.append(label_chip(name, found.color if found else "ededed"))
    return f"<p>Labels: {' '.join(chips)}</p>" if chips else ""


def _reactions(hub: Hub, item: Issue) -> str:
    counts: dict[str, int] = {}
    for found in hub.state.reactions.values():
        if found.repo == item.repo and found.number == item.number and found.comment_id is None:
            counts[found.content] = counts.get(found.content, 0) + 1
    shown = " ".join(
        f'<span class="label" title="{esc(name)}">{_EMOJI.get(name, esc(name))} {count}</span>'
        for name, count in sorted(counts.items())
    )
    return f"<p>{shown}</p>" if shown else ""


def _heading(repo: Repo, item: Issue, state: str, line: str) -> str:
    return (
        f"<p>{path_link(repo.full_name, repo.full_name)}</p>"
        f'<h1>{esc(item.title)} <span class="num">#{item.number}</span></h1>'
        f'<p>{state_badge(state)} <span class="muted">{line}</span></p>'
    )


def _comments(hub: Hub, item: Issue) -> list[tuple[int, str]]:
    return [
        (
            c.id,
            comment_box(f"issuecomment-{c.id}", c.user, c.created_at, c.body, "commented"),
        )
        for c in thread_records(hub.state.issue_comments.values(), item.repo, item.number)
    ]


def issue_page(hub: Hub, repo: Repo, item: Issue) -> Response:
    """An issue: title, state, labels, reactions, its body and every comment."""
    line = f"{esc(item.user)} opened this issue on {esc(item.created_at)}"
    body = (
        _heading(repo, item, item.state, line)
        + _labels(repo, item)
        + comment_box("issue-body", item.user, item.created_at, item.body or "", "opened")
        + _reactions(hub, item)
        + "".join(html for _id, html in _comments(hub, item))
    )
    return page(f"{item.title} · Issue #{item.number}", body)


def _reviews(hub: Hub, item: Issue) -> list[tuple[int, str]]:
    comments = thread_records(hub.state.review_comments.values(), item.repo, item.number)
    grouped = threads(comments)
    out = []
    for review in thread_records(hub.state.reviews.values(), item.repo, item.number):
        inline = "".join(
            f'<div class="box"><div class="head"><code>{esc(t[0].path)}</code> line '
            f'{esc(t[0].line)}</div><div class="body"><pre class="text"><code>'
            f"{esc(t[0].diff_hunk)}</code></pre>{thread_html(t)}</div></div>"
            for t in grouped
            if t[0].review_id == review.id
        )
        verb = _REVIEW_STATE.get(review.state, review.state.lower())
        out.append(
            (
                review.id,
                f'<div class="box" id="pullrequestreview-{review.id}"><div class="head">'
                f"<strong>{esc(review.user)}</strong> {esc(verb)} "
                f'<span class="muted">{esc(review.submitted_at)} on '
                f"{path_link(f'{item.repo}/commit/{review.commit_id}', review.commit_id[:7])}"
                f'</span></div><div class="body">{text_block(review.body, "")}{inline}</div></div>',
            )
        )
    return out


def _checks(hub: Hub, item: Issue, sha: str) -> str:
    runs = [r for r in hub.state.check_runs.values() if r.repo == item.repo and r.head_sha == sha]
    statuses = [s for s in hub.state.statuses.values() if s.repo == item.repo and s.sha == sha]
    rows = [
        f"<tr><td>{path_link(f'{item.repo}/runs/{r.id}', r.name)}</td>"
        f'<td class="{esc(r.conclusion or r.status)}">{esc(r.conclusion or r.status)}</td>'
        f"<td>{esc(r.output.get('title') or '')}</td></tr>"
        for r in sorted(runs, key=lambda r: r.id)
    ]
    rows += [
        f'<tr><td>{esc(s.context)}</td><td class="{esc(s.state)}">{esc(s.state)}</td>'
        f"<td>{href(s.target_url, s.description or '')}</td></tr>"
        for s in sorted(statuses, key=lambda s: s.id)
    ]
    if not rows:
        return ""
    return (
        f'<div class="box"><div class="head">Checks on <span class="sha">{esc(sha[:7])}</span>'
        f'</div><table class="list">{"".join(rows)}</table></div>'
    )


def _pull_heading(hub: Hub, repo: Repo, item: Issue, tab: str) -> str:
    assert item.pull is not None
    pull = item.pull
    state = "merged" if pull.merged else item.state
    count = len(gitrepo.rev_list(hub.repo_path(repo.full_name), pull.head_sha, pull.base_sha))
    line = (
        f"{esc(item.user)} wants to merge {count} commit(s) into <code>{esc(pull.base_ref)}"
        f"</code> from <code>{esc(pull.head_ref)}</code>"
    )
    base = f"{repo.full_name}/pull/{item.number}"
    tabs = (
        f'<nav class="tabs">{path_link(base, "Conversation")} '
        f"{path_link(base + '/files', 'Files changed')}</nav>"
    )
    return _heading(repo, item, state, line) + _labels(repo, item) + tabs + f"<h2>{tab}</h2>"


def pull_page(hub: Hub, repo: Repo, item: Issue) -> Response:
    """A pull request: description, comments and reviews in order, commits and checks."""
    assert item.pull is not None
    path = hub.repo_path(repo.full_name)
    timeline = sorted(_comments(hub, item) + _reviews(hub, item))
    commits = gitrepo.rev_list(path, item.pull.head_sha, item.pull.base_sha)
    commit_rows = "".join(
        f"<tr><td>{path_link(f'{repo.full_name}/commit/{sha}', sha[:7])}</td>"
        f"<td>{esc(gitrepo.commit_info(path, sha).message.partition(chr(10))[0])}</td></tr>"
        for sha in commits
    )
    body = (
        _pull_heading(hub, repo, item, "Conversation")
        + comment_box("issue-body", item.user, item.created_at, item.body or "", "opened")
        + "".join(html for _id, html in timeline)
        + f'<div class="box"><div class="head">Commits</div><table class="list">{commit_rows}'
        "</table></div>" + _checks(hub, item, item.pull.head_sha)
    )
    return page(f"{item.title} · Pull Request #{item.number}", body)


def pull_files_page(hub: Hub, repo: Repo, item: Issue) -> Response:
    """A pull request's diff with each review thread under the line it is about."""
    assert item.pull is not None
    comments = thread_records(hub.state.review_comments.values(), item.repo, item.number)
    changes = pull_files(hub, item)
    body = _pull_heading(hub, repo, item, "Files changed") + files_html(
        hub.repo_path(repo.full_name), changes, comments, item.pull.head_sha
    )
    return page(f"Files · Pull Request #{item.number}", body)
