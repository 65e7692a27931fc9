"""The REST plumbing every endpoint shares: auth, faults, rate limits, JSON, paging, ETags."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.localhub._auth import ANONYMOUS, Principal, check_access, principal_from_header
from bot.localhub._errors import ApiError, not_found
from bot.localhub._gitrepo import GitError
from bot.localhub._hub import Hub
from bot.localhub._model import Repo

log = logging.getLogger("bot.localhub")
MAX_BODY_BYTES = 25 * 1024 * 1024
API_PREFIX = "/api/v3"
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Call:
    """One REST call as a handler sees it."""

    hub: Hub
    who: Principal
    params: dict[str, str]
    query: QueryParams
    body: Any
    headers: Headers

    def repo(self, *, scope: str = "metadata", level: str = "read", role: str = "read") -> Repo:
        """The repository in the path, after GitHub's visibility and permission checks."""
        repo = self.hub.repo(f"{self.params['owner']}/{self.params['repo']}")
        check_access(self.hub, self.who, repo, scope=scope, level=level, role=role)
        return repo

    def number(self, name: str) -> int:
        """An integer path parameter (404 when it is not one, as GitHub answers)."""
        try:
            return int(self.params[name])
        except ValueError:
            raise not_found() from None

    def fields(self) -> dict[str, Any]:
        """The JSON body as an object (422 when it is another JSON value)."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(422, "Invalid request.\n\nFor 'body', it is not an object.")
        return self.body


@dataclass
class Reply:
    """What a handler answers; lists with ``paginate`` are paged by the plumbing."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    paginate: bool = False
    etag: bool = False
    text: str | None = None
    media_type: str = "application/json; charset=utf-8"
    # renders one item of a paged list: only the requested page is rendered
    render_item: Callable[[Any], Any] | None = None


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Endpoint:
    """A route of the REST API."""

    method: str
    path: str
    handler: Handler
    resource: str = "core"
    counted: bool = True  # GET /rate_limit does not count against the limit


def request_id() -> str:
    """An id shaped like GitHub's ``X-GitHub-Request-Id``."""
    return ":".join(secrets.token_hex(n).upper() for n in (2, 3, 3, 4, 4))


def json_response(
    status: int, body: Any, headers: Mapping[str, str], media_type: str = "application/json"
) -> Response:
    """Serialise ``body`` as GitHub does (UTF-8, no ASCII escaping)."""
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    return Response(content, status_code=status, headers=dict(headers), media_type=media_type)


def error_response(error: ApiError, headers: Mapping[str, str]) -> Response:
    """An :class:`ApiError` as GitHub's JSON error body."""
    return json_response(error.status, error.body(), {**headers, **error.headers})


def _base_headers(rid: str) -> dict[str, str]:
    return {
        "X-GitHub-Request-Id": rid,
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-GitHub-Api-Version-Selected": "2022-11-28",
        "Access-Control-Allow-Origin": "*",
    }


def paginate(request: Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items`` per ``page``/``per_page`` (30 by default, 100 at most) and ``Link``."""
    try:
        per_page = min(max(int(request.query_params.get("per_page", "30")), 1), 100)
        page = max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        per_page, page = 30, 1
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    links: list[str] = []

    def link(number: int, rel: str) -> str:
        query = dict(request.query_params)
        query.update({"per_page": str(per_page), "page": str(number)})
        url = str(request.url.replace(query=urlencode(query)))
        return f'<{url}>; rel="{rel}"'

    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    return chunk, ({"Link": ", ".join(links)} if links else {})


async def read_json_body(request: Request) -> Any:
    """The request's JSON body; 413 beyond 25 MB, 400 "Problems parsing JSON" when malformed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, "Request body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, "Request body too large")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Problems parsing JSON") from None


def _fault_error(
    hub: Hub, who: Principal, resource: str, rid: str, decision: Any
) -> ApiError | None:
    if decision.rate_limit:
        window = hub.rates.take(who.bucket, who.kind, resource)
        headers = {**window.headers(), "X-RateLimit-Remaining": "0"}
        if decision.rate_limit_reset_after is not None:
            reset = int(time.time()) + decision.rate_limit_reset_after
            headers["X-RateLimit-Reset"] = str(reset)
        return ApiError(
            403,
            f"API rate limit exceeded for {who.login or 'this address'}.",
            documentation_url=f"{RATE_DOCS}#about-primary-rate-limits",
            headers=headers,
        )
    if decision.secondary_retry_after is not None:
        return ApiError(
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
            "again. If you reach out to GitHub Support for help, please include the request "
            f"ID {rid}.",
            documentation_url=f"{RATE_DOCS}#about-secondary-rate-limits",
            headers={"Retry-After": str(decision.secondary_retry_after)},
        )
    if decision.status is not None:
        message = {500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return ApiError(decision.status, message.get(decision.status, "Server Error"))
    return None


def make_route(hub: Hub, endpoint: Endpoint) -> Route:
    """A Starlette route running ``endpoint`` through the shared plumbing."""

    async def run(request: Request) -> Response:
        started = time.perf_counter()
        rid = request_id()
        headers = _base_headers(rid)
        caller: list[Principal] = []
        try:
            response = await _dispatch(hub, endpoint, request, rid, headers, caller)
        except ApiError as error:
            response = error_response(error, headers)
        except Exception:  # a bug must still answer like GitHub, and be visible in the log
            log.exception("localhub: %s %s failed", request.method, request.url.path)
            response = error_response(ApiError(500, "Server Error"), headers)
        hub.request_log.append(
            {
                "id": rid,
                "method": request.method,
                "path": request.url.path,
                "query": str(request.url.query),
                "status": response.status_code,
                "caller": caller[0].login if caller else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "at": time.time(),
            }
        )
        return response

    return Route(API_PREFIX + endpoint.path, run, methods=[endpoint.method])


async def _dispatch(
    hub: Hub,
    endpoint: Endpoint,
    request: Request,
    rid: str,
    headers: dict[str, str],
    caller: list[Principal],
) -> Response:
    """Auth, faults, rate limit, body, handler, rendering; ``caller`` receives the principal."""
    decision = hub.faults.for_request(request.method, request.url.path)
    if decision.latency_ms:
        await asyncio.sleep(decision.latency_ms / 1000)
    version = request.headers.get("x-github-api-version")
    if version is not None and not _API_VERSION.match(version):
        raise ApiError(400, f"Invalid 'X-GitHub-Api-Version' header value: {version!r}")
    try:
        who = principal_from_header(hub, request.headers.get("authorization"))
    except ApiError:
        # a failed login counts against the caller's anonymous budget, as on GitHub
        headers.update(
            hub.rates.take(ANONYMOUS.bucket, ANONYMOUS.kind, endpoint.resource).headers()
        )
        raise
    caller.append(who)
    fault = _fault_error(hub, who, endpoint.resource, rid, decision)
    if fault is not None:
        raise fault
    window = hub.rates.take(who.bucket, who.kind, endpoint.resource, int(endpoint.counted))
    headers.update(window.headers())
    if window.used > window.limit:
        raise ApiError(
            403,
            f"API rate limit exceeded for {who.login or 'this address'}.",
            documentation_url=f"{RATE_DOCS}#about-primary-rate-limits",
        )
    body = await read_json_body(request) if request.method != "GET" else None
    call = Call(hub, who, dict(request.path_params), request.query_params, body, request.headers)
    try:
        response = await run_in_threadpool(
            _run_locked, hub, endpoint.handler, call, request, headers
        )
    except GitError as error:
        raise ApiError(409, f"Git Repository is empty or the commit is missing ({error})") from None
    if request.method != "GET" and response.status_code < 400:
        await run_in_threadpool(hub.persist)
    return response


def _run_locked(
    hub: Hub, handler: Handler, call: Call, request: Request, headers: dict[str, str]
) -> Response:
    """Run one handler and render its reply holding the hub's lock (one consistent state).

    Handlers only enqueue webhooks and take a repository lock after this one (never the
    other way round), so holding it cannot deadlock with a push.
    """
    with hub.lock:
        return _render_reply(request, handler(call), headers)


def _render_reply(request: Request, reply: Reply, headers: dict[str, str]) -> Response:
    body = reply.body
    out_headers = {**headers, **reply.headers}
    if reply.paginate and isinstance(body, list):
        body, link = paginate(request, body)
        out_headers.update(link)
        if reply.render_item is not None:
            body = [reply.render_item(item) for item in body]
    if reply.text is not None:
        return Response(reply.text, reply.status, out_headers, media_type=reply.media_type)
    if reply.etag and request.method == "GET" and reply.status == 200:
        content = json.dumps(body, ensure_ascii=False).encode()
        etag = f'W/"{hashlib.sha256(content).hexdigest()[:32]}"'
        out_headers["ETag"] = etag
        out_headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
        out_headers["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
        matches = request.headers.get("if-none-match", "")
        if etag in {m.strip() for m in matches.split(",")} or matches.strip() == "*":
            return Response(b"", 304, out_headers)
        return Response(content, 200, out_headers, media_type=reply.media_type)
    return json_response(reply.status, body, out_headers, reply.media_type)


def not_found_response(request: Request) -> Response:
    """GitHub's 404 body for a route it does not have."""
    return error_response(not_found(), _base_headers(request_id()))
