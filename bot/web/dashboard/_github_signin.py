"""GitHub's web sign-in for the dashboard: the code exchange and what the person may read.

The App's OAuth client exchanges the code GitHub sends back for a user-to-server token, reads
who the person is and the repositories of the App's installations their account can read, and
forgets the token. Pages of listings are followed only back to the API's own host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

MAX_PAGES = 50


class SignInError(Exception):
    """GitHub did not sign the person in; the message is for them."""


@dataclass(frozen=True)
class GitHubClient:
    """The App's OAuth client, where GitHub is, and how the sign-in talks to it."""

    client_id: str
    client_secret: str = field(repr=False)
    web_url: str
    api_url: str
    page_size: int = 100
    http: httpx.AsyncClient | None = None

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """GitHub's page asking the person to sign in to the App."""
        query = {"client_id": self.client_id, "redirect_uri": redirect_uri, "state": state}
        return f"{self.web_url}/login/oauth/authorize?{urlencode(query)}"

    async def read_viewer(
        self, http: httpx.AsyncClient, code: str, redirect_uri: str
    ) -> tuple[str, list[str]]:
        """Exchange ``code``; the login and the repositories (lowercase) it reads via the App."""
        token = await self._exchange(http, code, redirect_uri)
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        user = await self._get(http, f"{self.api_url}/user", headers)
        login = user.get("login")
        if not isinstance(login, str) or not login:
            raise SignInError("GitHub did not say who you are.")
        repos: set[str] = set()
        for inst in await self._paged(http, "/user/installations", "installations", headers):
            ident = inst.get("id")
            if not isinstance(ident, int):
                continue
            path = f"/user/installations/{ident}/repositories"
            for repo in await self._paged(http, path, "repositories", headers):
                name = repo.get("full_name")
                if isinstance(name, str):
                    repos.add(name.lower())
        return login, sorted(repos)

    async def _exchange(self, http: httpx.AsyncClient, code: str, redirect_uri: str) -> str:
        fields = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        response = await http.post(
            f"{self.web_url}/login/oauth/access_token",
            data=fields,
            headers={"Accept": "application/json"},
        )
        body = _json_object(response, "the code exchange")
        if "error" in body:
            # GitHub's own words (incorrect_client_credentials, bad_verification_code, ...)
            raise SignInError(
                f"GitHub refused the sign-in ({body.get('error')}): "
                f"{body.get('error_description') or 'no reason given'}"
            )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise SignInError("GitHub's answer to the code exchange holds no token.")
        return token

    async def _get(
        self, http: httpx.AsyncClient, url: str, headers: dict[str, str]
    ) -> dict[str, Any]:
        return _json_object(await http.get(url, headers=headers), url)

    async def _paged(
        self, http: httpx.AsyncClient, path: str, key: str, headers: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Every item of a paged listing, following ``Link: rel="next"`` on GitHub's API only."""
        url: str | None = f"{self.api_url}{path}?per_page={self.page_size}"
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            response = await http.get(url, headers=headers)
            found = _json_object(response, path).get(key)
            items += [item for item in found or [] if isinstance(item, dict)]
            url = response.links.get("next", {}).get("url")
            # the token goes wherever the next link points: only ever back to the API
            if url is not None and not url.startswith(self.api_url + "/"):
                raise SignInError(f"GitHub's next page of {path} is on another host.")
        raise SignInError(f"GitHub lists more than {MAX_PAGES} pages of {path}.")


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise SignInError(f"GitHub answered {response.status_code} to {what}.")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SignInError(f"GitHub's answer to {what} is not a JSON object.")
    return body
