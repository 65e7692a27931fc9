"""The web pages the API's ``html_url`` fields point at: served, complete, and inert."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.localhub import RunningHub
from tests.localhub.pages_scenario import HOSTILE, NEW_MODULE, REPO, Scenario, build_scenario


@pytest.fixture
def scenario(hub: RunningHub, app_key_pem: Path) -> Scenario:
    """The test repository with an issue, a reviewed pull request and a check run."""
    return build_scenario(hub, app_key_pem)


def _page(url: str) -> httpx.Response:
    response = httpx.get(url.partition("#")[0])
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("text/html")
    return response


def test_every_html_url_the_api_gives_opens_a_page_with_its_anchor(scenario: Scenario) -> None:
    """Issue, comment, pull request, review, inline comment, check run, commit: each a page."""
    for found in (
        scenario.issue,
        scenario.comment,
        scenario.pull,
        scenario.review,
        scenario.inline,
        scenario.reply,
        scenario.check_run,
        scenario.commit,
    ):
        url = found["html_url"]
        text = _page(url).text
        anchor = url.partition("#")[2]
        assert not anchor or f'id="{anchor}"' in text, url


def test_the_issue_page_shows_the_body_labels_and_comments_as_text(
    hub: RunningHub, scenario: Scenario
) -> None:
    """The hostile body and comment appear escaped, never as markup; the label is there."""
    text = _page(scenario.issue["html_url"]).text
    assert "The spec." in text
    assert ">spec</span>" in text
    assert f"Tracking {HOSTILE}".replace("<", "&lt;").replace(">", "&gt;")[:40] in text
    assert "<script" not in text and "<img" not in text


def test_the_pull_request_page_shows_description_review_and_checks(scenario: Scenario) -> None:
    """The description, the review with its inline thread, the commit and the check run."""
    text = _page(scenario.pull["html_url"]).text
    assert "Describes &lt;script&gt;" in text
    assert "Review body &lt;script&gt;" in text
    assert "Because the spec says so." in text
    assert f'href="/{REPO}/runs/{scenario.check_run["id"]}"' in text
    assert f'href="/{REPO}/commit/{scenario.commit["sha"]}"' in text
    assert "<script" not in text


def test_the_diff_shows_each_review_thread_under_its_line(scenario: Scenario) -> None:
    """The thread on new line 2 comes after line 2 and before line 3, the reply inside it."""
    text = _page(scenario.pull["html_url"] + "/files").text
    line_2 = text.index('<td class="ln">2</td><td class="code">+BETA = 2</td>')
    question = text.index(f'id="discussion_r{scenario.inline["id"]}"')
    answer = text.index(f'id="discussion_r{scenario.reply["id"]}"')
    line_3 = text.index('<td class="ln">3</td><td class="code">+GAMMA = 3</td>')
    assert line_2 < question < answer < line_3
    assert "Why BETA? &lt;script&gt;" in text


def test_the_check_run_page_shows_annotations_and_no_script_link(scenario: Scenario) -> None:
    """Summary and annotations are shown; a ``javascript:`` details URL is not a link."""
    text = _page(scenario.check_run["html_url"]).text
    assert "1 finding" in text and "Summary &lt;script&gt;" in text
    assert "src/new.py:2-2" in text and "Annotated &lt;script&gt;" in text
    assert "javascript:" not in text


def test_the_commit_and_repository_pages_link_each_other(hub: RunningHub, scenario: Scenario):
    """The commit page shows its diff; the repository lists the issue, the pull and branches."""
    commit = _page(scenario.commit["html_url"]).text
    assert "+GAMMA = 3" in commit and "Add new &lt;script&gt;" in commit
    repo = _page(f"{hub.url}/{REPO}").text
    assert f'href="/{REPO}/issues/1"' in repo and f'href="/{REPO}/pull/2"' in repo
    assert "<code>topic</code>" in repo
    assert f'href="/{REPO}"' in _page(hub.url + "/").text


def test_pages_forbid_scripts_and_framing(scenario: Scenario) -> None:
    """Even a slip in escaping could not run: the policy allows no script at all."""
    response = _page(scenario.issue["html_url"])
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize(
    "path",
    [
        "/acme/secret",
        "/acme/secret/issues/1",
        "/acme/widgets/issues/99",
        "/acme/widgets/pull/1",  # an issue, not a pull request: redirected, never a 500
        "/acme/widgets/runs/1",
        "/acme/widgets/commit/--output=x",
        "/acme/widgets/commit/deadbeef",
        "/nobody/nothing",
    ],
)
def test_private_missing_and_malformed_pages_are_not_found(
    hub: RunningHub, scenario: Scenario, path: str
) -> None:
    """A private repository has no public page; nothing missing or malformed is a 500."""
    response = httpx.get(hub.url + path)
    if path == "/acme/widgets/pull/1":
        assert response.status_code == 302
        assert response.headers["location"] == "/acme/widgets/issues/1"
        return
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")  # the page's 404
    assert "acme/secret" not in response.text


def test_a_thread_on_an_older_commit_is_shown_as_outdated_with_its_hunk(
    hub: RunningHub, scenario: Scenario
) -> None:
    """After a new push the thread stays on the diff page, marked outdated, with its lines."""
    hub.push(REPO, "topic", {"src/new.py": "ALPHA = 1\n"}, as_user="alice", message="Shrink")
    text = _page(scenario.pull["html_url"] + "/files").text
    outdated = text.index(f"Outdated: on {scenario.inline['commit_id'][:7]}")
    assert outdated < text.index(f'id="discussion_r{scenario.inline["id"]}"')
    assert "+BETA = 2" in text  # the hunk the comment was made on
    assert '<td class="ln">2</td><td class="code">+BETA = 2</td>' not in text


def test_the_app_page_shows_what_the_app_may_do(hub: RunningHub, scenario: Scenario) -> None:
    """The check run's App links to its page: permissions from its installation."""
    text = _page(scenario.check_run["app"]["html_url"]).text
    assert "<td>checks</td><td>write</td>" in text


def test_a_thread_follows_its_line_when_later_commits_leave_it_alone(
    hub: RunningHub, scenario: Scenario
) -> None:
    """A line added above moves the commented line down by one: the thread moves with it."""
    hub.push(REPO, "topic", {"src/new.py": "ZERO = 0\n" + NEW_MODULE}, as_user="alice")
    text = _page(scenario.pull["html_url"] + "/files").text
    line_3 = text.index('<td class="ln">3</td><td class="code">+BETA = 2</td>')
    question = text.index(f'id="discussion_r{scenario.inline["id"]}"')
    line_4 = text.index('<td class="ln">4</td><td class="code">+GAMMA = 3</td>')
    assert line_3 < question < line_4
    assert "Outdated" not in text


def test_html_comments_are_hidden_as_githubs_markdown_hides_them(
    hub: RunningHub, scenario: Scenario
) -> None:
    """An App's marker in a comment is not shown; the text around it is."""
    hub.comment(REPO, 1, "<!-- specbot:marker -->\nVisible <!-- a\nb --> text", as_user="alice")
    text = _page(scenario.issue["html_url"]).text
    assert "Visible  text" in text and "specbot:marker" not in text
