"""Read-only web pages at GitHub's addresses: what the API's ``html_url`` fields point at.

``/``, ``/{owner}/{repo}``, ``/{owner}/{repo}/issues/{n}``, ``/pull/{n}``, ``/pull/{n}/files``,
``/commit/{sha}``, ``/runs/{id}`` and ``/apps/{slug}``, rendered on the server from the hub's
state and git. Nobody signs in to a page, so only public repositories have pages (others are 404).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._errors import ApiError
from bot.localhub._html import esc, href, not_found_page, page, path_link, text_block
from bot.localhub._http import not_found_response
from bot.localhub._hub import Hub
from bot.localhub._model import CheckRun, Repo
from bot.localhub._pages_diff import diff_table
from bot.localhub._pages_issues import issue_page, pull_files_page, pull_page

log = logging.getLogger("bot.localhub")
_RESERVED = frozenset({"api", "_localhub"})
_SHA = re.compile(r"^[0-9a-fA-F]{4,40}$")
View = Callable[[Hub, Repo, Request], Response]


def public_repo(hub: Hub, owner: str, name: str) -> Repo:
    """The repository if the public may see it, else a 404."""
    repo = hub.repo(f"{owner}/{name}")
    if repo.private:
        raise ApiError(404, "Not Found")
    return repo


def _repo_route(path: str, view: View) -> Route:
    def run(request: Request) -> Response:
        hub: Hub = request.app.state.hub
        params = request.path_params
        if params["owner"] in _RESERVED:
            return not_found_response(request)  # /api/v3 and friends stay GitHub's JSON 404
        try:
            with hub.lock:
                repo = public_repo(hub, params["owner"], params["repo"])
                return view(hub, repo, request)
        except (ApiError, gitrepo.GitError, ValueError):
            return not_found_page()
        except Exception:  # a bug shows a 500 page and lands in the log, never a traceback
            log.exception("localhub: page %s failed", request.url.path)
            return page("Error", "<h1>500</h1><p>This page failed.</p>", 500)

    return Route("/{owner}/{repo}" + path, run, methods=["GET"])


def home(request: Request) -> Response:
    """Every public repository."""
    hub: Hub = request.app.state.hub
    with hub.lock:
        repos = sorted(r.full_name for r in hub.state.repos.values() if not r.private)
    rows = "".join(f"<tr><td>{path_link(name, name)}</td></tr>" for name in repos)
    return page("Repositories", f'<h1>Repositories</h1><table class="list">{rows}</table>')


def app_page(request: Request) -> Response:
    """A GitHub App: its owner, description, permissions and events."""
    hub: Hub = request.app.state.hub
    with hub.lock:
        found = [a for a in hub.state.apps.values() if a.slug == request.path_params["slug"]]
        if not found:
            return not_found_page()
        app = found[0]
        permissions = dict(app.permissions)
        for inst in hub.state.installations.values():
            if inst.app_id == app.id and not app.permissions:
                permissions.update(inst.permissions)
    rows = "".join(
        f"<tr><td>{esc(name)}</td><td>{esc(level)}</td></tr>"
        for name, level in sorted(permissions.items())
    )
    body = (
        f'<h1>{esc(app.name)}</h1><p class="muted">App {app.id} owned by {esc(app.owner)} · '
        f"{href(app.url, app.url or '')}</p>{text_block(app.description, 'No description.')}"
        f'<div class="box"><div class="head">Permissions</div><table class="list">{rows}'
        f"</table></div><p>Events: {esc(', '.join(app.events) or 'as installed')}</p>"
    )
    return page(app.name, body)


def _commit_rows(hub: Hub, repo: Repo, shas: list[str]) -> str:
    path = hub.repo_path(repo.full_name)
    rows = []
    for sha in shas:
        info = gitrepo.commit_info(path, sha)
        subject = info.message.splitlines()[0] if info.message else ""
        rows.append(
            f"<tr><td>{path_link(f'{repo.full_name}/commit/{sha}', sha[:7])}</td>"
            f'<td>{esc(subject)}</td><td class="muted">{esc(info.author.name)}</td></tr>'
        )
    return f'<table class="list">{"".join(rows)}</table>'


def _kind(is_pull: bool) -> str:
    return "pull" if is_pull else "issues"


def repo_page(hub: Hub, repo: Repo, request: Request) -> Response:
    """A repository: clone URL, branches, issues and pull requests, latest commits."""
    path = hub.repo_path(repo.full_name)
    branches = gitrepo.list_refs(path, "refs/heads/")
    items = sorted(
        (i for i in hub.state.issues.values() if i.repo == repo.full_name), key=lambda i: -i.number
    )
    rows = "".join(
        f"<tr><td>{'Pull request' if i.pull else 'Issue'}</td><td>"
        f"{path_link(f'{repo.full_name}/{_kind(i.pull is not None)}/{i.number}', i.title)}"
        f' <span class="num">#{i.number}</span></td><td>{esc(i.state)}</td></tr>'
        for i in items
    )
    default = branches.get(f"refs/heads/{repo.default_branch}")
    commits = gitrepo.log(path, default)[:20] if default else []
    branch_rows = "".join(
        f"<tr><td><code>{esc(ref.removeprefix('refs/heads/'))}</code></td>"
        f"<td>{path_link(f'{repo.full_name}/commit/{sha}', sha[:7])}</td></tr>"
        for ref, sha in sorted(branches.items())
    )
    body = (
        f"<h1>{esc(repo.full_name)}</h1>{text_block(repo.description, 'No description.')}"
        f"<p>Clone: <code>{esc(hub.public_url)}/{esc(repo.full_name)}.git</code></p>"
        f'<div class="box"><div class="head">Issues and pull requests</div>'
        f'<table class="list">{rows}</table></div>'
        f'<div class="box"><div class="head">Branches</div><table class="list">{branch_rows}'
        f'</table></div><div class="box"><div class="head">Commits on '
        f"<code>{esc(repo.default_branch)}</code></div>{_commit_rows(hub, repo, commits)}</div>"
    )
    return page(repo.full_name, body)


def commit_page(hub: Hub, repo: Repo, request: Request) -> Response:
    """One commit: message, author, parents and its diff."""
    ref = str(request.path_params["sha"])
    if not _SHA.match(ref):
        raise ValueError(ref)
    path = hub.repo_path(repo.full_name)
    sha = gitrepo.resolve_branch_or_sha(path, ref)
    if sha is None:
        raise ValueError(ref)
    info = gitrepo.commit_info(path, sha)
    parent = info.parents[0] if info.parents else gitrepo.EMPTY_TREE
    files = gitrepo.diff_files(path, parent, sha)
    parents = ", ".join(path_link(f"{repo.full_name}/commit/{p}", p[:7]) for p in info.parents)
    subject, _, rest = info.message.partition("\n")
    boxes = "".join(
        f'<div class="box"><div class="head"><strong>{esc(f.filename)}</strong> '
        f'<span class="muted">{esc(f.status)}</span></div>{diff_table(f.patch, {})}</div>'
        for f in files
    )
    body = (
        f"<p>{path_link(repo.full_name, repo.full_name)}</p><h1>{esc(subject)}</h1>"
        f"{text_block(rest.strip(), '') if rest.strip() else ''}"
        f'<p class="muted">{esc(info.author.name)} committed {esc(info.committer.date)} · '
        f'<span class="sha">{esc(sha)}</span> · parents: {parents or "none"}</p>{boxes}'
    )
    return page(f"{subject} · {sha[:7]}", body)


def _annotations(run: CheckRun) -> str:
    found = run.output.get("annotations") or []
    rows = "".join(
        f"<tr><td><code>{esc(a.get('path'))}:{esc(a.get('start_line'))}"
        f"-{esc(a.get('end_line'))}</code></td><td>{esc(a.get('annotation_level'))}</td>"
        f"<td><strong>{esc(a.get('title') or '')}</strong>"
        f'<pre class="text">{esc(a.get("message"))}</pre></td></tr>'
        for a in found
        if isinstance(a, dict)
    )
    if not rows:
        return '<p class="muted">No annotations.</p>'
    return (
        f'<div class="box"><div class="head">Annotations ({len(found)})</div>'
        f'<table class="list"><tr><th>where</th><th>level</th><th>message</th></tr>{rows}'
        "</table></div>"
    )


def run_page(hub: Hub, repo: Repo, request: Request) -> Response:
    """A check run: its status, conclusion, output and annotations."""
    run = hub.state.check_runs.get(int(request.path_params["run_id"]))
    if run is None or run.repo != repo.full_name:
        raise ValueError("no such check run")
    app = hub.state.apps.get(run.app_id)
    output = run.output
    outcome = run.conclusion or run.status
    body = (
        f"<p>{path_link(repo.full_name, repo.full_name)}</p>"
        f'<h1>{esc(run.name)} <span class="{esc(outcome)}">{esc(outcome)}</span></h1>'
        f'<p class="muted">by {esc(app.name if app else run.app_id)} on '
        f"{path_link(f'{repo.full_name}/commit/{run.head_sha}', run.head_sha[:7])} · "
        f"started {esc(run.started_at)} · completed {esc(run.completed_at or '-')} · "
        f"{href(run.details_url, 'details')}</p>"
        f"<h2>{esc(output.get('title') or '')}</h2>{text_block(output.get('summary'), '')}"
        f"{text_block(output.get('text'), '') if output.get('text') else ''}{_annotations(run)}"
    )
    return page(run.name, body)


def _issue_or_pull(kind: str) -> View:
    def view(hub: Hub, repo: Repo, request: Request) -> Response:
        number = int(request.path_params["number"])
        item = hub.state.issues.get(f"{repo.full_name}#{number}")
        if item is None:
            raise ValueError("no such issue")
        if kind == "issue" and item.pull is not None:
            return RedirectResponse(f"/{repo.full_name}/pull/{number}", status_code=302)
        if kind != "issue" and item.pull is None:
            return RedirectResponse(f"/{repo.full_name}/issues/{number}", status_code=302)
        if kind == "files":
            return pull_files_page(hub, repo, item)
        return pull_page(hub, repo, item) if kind == "pull" else issue_page(hub, repo, item)

    return view


ROUTES: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/apps/{slug}", app_page, methods=["GET"]),  # before /{owner}/{repo}, as on GitHub
    _repo_route("", repo_page),
    _repo_route("/issues/{number:int}", _issue_or_pull("issue")),
    _repo_route("/pull/{number:int}", _issue_or_pull("pull")),
    _repo_route("/pull/{number:int}/files", _issue_or_pull("files")),
    _repo_route("/commit/{sha}", commit_page),
    _repo_route("/runs/{run_id:int}", run_page),
]
