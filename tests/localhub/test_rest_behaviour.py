"""GitHub's HTTP behaviour around every endpoint: headers, paging, ETags, bad input."""

from __future__ import annotations

import httpx

from bot.localhub import RunningHub

ALICE = {"Authorization": "token ghp_alice"}


def test_every_response_carries_request_id_and_rate_limit_headers(hub: RunningHub) -> None:
    """Each API response has X-GitHub-Request-Id and the five X-RateLimit headers."""
    first = httpx.get(hub.api_url + "/repos/acme/widgets", headers=ALICE)
    second = httpx.get(hub.api_url + "/repos/acme/widgets", headers=ALICE)
    assert first.headers["x-github-request-id"] != second.headers["x-github-request-id"]
    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-resource"] == "core"
    used = int(first.headers["x-ratelimit-used"])
    assert int(second.headers["x-ratelimit-used"]) == used + 1
    assert int(second.headers["x-ratelimit-remaining"]) == 5000 - used - 1
    assert int(first.headers["x-ratelimit-reset"]) > 0


def test_anonymous_callers_get_sixty_requests(hub: RunningHub) -> None:
    """Unauthenticated calls have GitHub's limit of 60 an hour."""
    response = httpx.get(hub.api_url + "/repos/acme/widgets")
    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == "60"


def test_api_version_header_is_accepted_and_garbage_rejected(hub: RunningHub) -> None:
    """A dated X-GitHub-Api-Version is accepted; a malformed one gets a 400."""
    good = httpx.get(
        hub.api_url + "/repos/acme/widgets",
        headers={**ALICE, "X-GitHub-Api-Version": "2022-11-28"},
    )
    assert good.status_code == 200
    bad = httpx.get(
        hub.api_url + "/repos/acme/widgets", headers={**ALICE, "X-GitHub-Api-Version": "latest"}
    )
    assert bad.status_code == 400


def test_pages_follow_link_headers_and_per_page(hub: RunningHub) -> None:
    """``per_page`` bounds a page and the Link header walks every item exactly once."""
    for index in range(7):
        hub.open_issue("acme/widgets", f"Issue {index}", as_user="alice")
    url: str | None = hub.api_url + "/repos/acme/widgets/issues?per_page=3"
    numbers: list[int] = []
    pages = 0
    while url:
        response = httpx.get(url, headers=ALICE)
        assert len(response.json()) <= 3
        numbers += [item["number"] for item in response.json()]
        pages += 1
        links = httpx.Response(200, headers=response.headers).links
        url = links.get("next", {}).get("url")
    assert pages == 3
    assert sorted(numbers) == list(range(1, 8))
    last = httpx.get(hub.api_url + "/repos/acme/widgets/issues?per_page=3&page=3", headers=ALICE)
    assert 'rel="prev"' in last.headers["link"] and 'rel="next"' not in last.headers["link"]


def test_per_page_is_capped_at_one_hundred(hub: RunningHub) -> None:
    """``per_page=500`` is read as 100, as on GitHub."""
    response = httpx.get(
        hub.api_url + "/repos/acme/widgets/issues?per_page=500&page=2", headers=ALICE
    )
    assert response.status_code == 200
    assert response.json() == []


def test_etag_gives_304_until_the_resource_changes(hub: RunningHub) -> None:
    """If-None-Match with the current ETag gets 304; after an edit the resource is sent again."""
    issue = hub.open_issue("acme/widgets", "Cache me", as_user="alice")
    url = f"{hub.api_url}/repos/acme/widgets/issues/{issue['number']}"
    first = httpx.get(url, headers=ALICE)
    etag = first.headers["etag"]
    cached = httpx.get(url, headers={**ALICE, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    hub.edit_issue("acme/widgets", issue["number"], as_user="alice", body="changed")
    fresh = httpx.get(url, headers={**ALICE, "If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json()["body"] == "changed"


def test_malformed_json_is_a_400_and_changes_nothing(hub: RunningHub) -> None:
    """A broken JSON body gets "Problems parsing JSON" and creates no issue."""
    response = httpx.post(
        hub.api_url + "/repos/acme/widgets/issues", headers=ALICE, content=b'{"title": '
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Problems parsing JSON"
    assert hub.state()["issues"] == {}


def test_bodies_over_25_mb_are_refused_with_413(hub: RunningHub) -> None:
    """A request body beyond 25 MB is refused before it is parsed."""
    big = b'{"title": "x", "body": "' + b"a" * (25 * 1024 * 1024) + b'"}'
    response = httpx.post(hub.api_url + "/repos/acme/widgets/issues", headers=ALICE, content=big)
    assert response.status_code == 413
    assert hub.state()["issues"] == {}


def test_unknown_routes_get_githubs_404_body(hub: RunningHub) -> None:
    """Paths and methods GitHub does not have answer GitHub's 404 JSON."""
    for method, path in (("GET", "/nothing/here"), ("DELETE", "/repos/acme/widgets")):
        response = httpx.request(method, hub.api_url + path, headers=ALICE)
        assert response.status_code == 404
        assert response.json() == {
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
            "status": "404",
        }


def test_a_json_value_that_is_not_an_object_is_a_422(hub: RunningHub) -> None:
    """A JSON array where an object is expected is a validation error, not a crash."""
    response = httpx.post(hub.api_url + "/repos/acme/widgets/issues", headers=ALICE, json=[1, 2])
    assert response.status_code == 422


def test_raw_and_diff_media_types(hub: RunningHub) -> None:
    """Contents honour the raw media type and pull requests the diff media type."""
    raw = httpx.get(
        hub.api_url + "/repos/acme/widgets/contents/README.md",
        headers={**ALICE, "Accept": "application/vnd.github.raw+json"},
    )
    assert raw.text == "# widgets\n"
    hub.push("acme/widgets", "topic", {"README.md": "# widgets!\n"}, as_user="alice")
    pr = hub.open_pull("acme/widgets", "topic", title="Topic", as_user="alice")
    diff = httpx.get(
        f"{hub.api_url}/repos/acme/widgets/pulls/{pr['number']}",
        headers={**ALICE, "Accept": "application/vnd.github.diff"},
    )
    assert diff.text.startswith("diff --git a/README.md b/README.md")
    assert "+# widgets!" in diff.text


def test_request_log_records_each_call(hub: RunningHub) -> None:
    """The request log lists method, path, status and caller of every API call."""
    httpx.get(hub.api_url + "/repos/acme/widgets/issues/42", headers=ALICE)
    entry = hub.requests()[-1]
    assert (entry["method"], entry["path"], entry["status"], entry["caller"]) == (
        "GET",
        "/api/v3/repos/acme/widgets/issues/42",
        404,
        "alice",
    )


def test_rate_limit_endpoint_does_not_count(hub: RunningHub) -> None:
    """GET /rate_limit reports the budget without spending it, as on GitHub."""
    httpx.get(hub.api_url + "/user", headers=ALICE)
    first = httpx.get(hub.api_url + "/rate_limit", headers=ALICE).json()["rate"]["used"]
    second = httpx.get(hub.api_url + "/rate_limit", headers=ALICE).json()["rate"]["used"]
    assert first == second == 1
