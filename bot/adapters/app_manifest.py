"""GitHub's manifest conversion over HTTP: a one-time code for the new App and its secrets."""

from __future__ import annotations

from typing import Any

import httpx

from bot.registration import RegistrationError, check_code


def convert_manifest_code(api_url: str, code: str, timeout: float = 30.0) -> Any:
    """``POST /app-manifests/{code}/conversions``: the App's JSON (id, slug, pem, secrets)."""
    url = f"{api_url.rstrip('/')}/app-manifests/{check_code(code)}/conversions"
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    try:
        response = httpx.post(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise RegistrationError(f"cannot reach {api_url}: {type(exc).__name__}") from None
    if response.status_code != 201:
        raise RegistrationError(
            f"GitHub refused the code ({response.status_code}): it is single-use and expires "
            "after an hour; run `specbot app register` again"
        )
    try:
        return response.json()
    except ValueError:
        raise RegistrationError("GitHub's answer is not JSON") from None
