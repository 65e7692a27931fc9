"""Git smart HTTP at ``/<owner>/<repo>.git``: ``git http-backend`` as a CGI per request."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._auth import ANONYMOUS, Principal, check_access, principal_from_header
from bot.localhub._errors import ApiError
from bot.localhub._hub import Hub
from bot.localhub._pushes import announce_ref_changes

SERVICES = ("git-upload-pack", "git-receive-pack")
CHALLENGE = {"WWW-Authenticate": 'Basic realm="GitHub"'}


def _service(request: Request, rest: str) -> str | None:
    if request.method == "GET" and rest == "info/refs":
        wanted = request.query_params.get("service")
        return wanted if wanted in SERVICES else None
    if request.method == "POST" and rest in SERVICES:
        return rest
    return None


def _authorise(hub: Hub, request: Request, full_name: str, service: str) -> Principal:
    """Basic auth with a token (any user name, ``x-access-token`` included), as on GitHub."""
    repo = hub.repo(full_name)
    header = request.headers.get("authorization")
    who = principal_from_header(hub, header) if header else ANONYMOUS
    pushing = service == "git-receive-pack"
    if who.kind == "anonymous" and (pushing or repo.private):
        raise ApiError(401, "Authentication required", headers=CHALLENGE)
    level = "write" if pushing else "read"
    try:
        check_access(hub, who, repo, scope="contents", level=level, role=level)
    except ApiError as error:
        if error.status != 403:
            raise
        # what git shows as "remote: ..." before "The requested URL returned error: 403"
        raise ApiError(403, f"Permission to {repo.full_name}.git denied to {who.login}.") from None
    return who


async def git_endpoint(request: Request) -> Response:
    """Serve one smart-HTTP request for clone, fetch or push."""
    hub: Hub = request.app.state.hub
    owner, name, rest = (request.path_params[k] for k in ("owner", "name", "rest"))
    full_name = f"{owner}/{name}"
    service = _service(request, rest)
    if service is None:
        return PlainTextResponse("Not Found", 404)
    try:
        who = _authorise(hub, request, full_name, service)
    except ApiError as error:
        text = {401: "Invalid username or token.", 404: "Repository not found."}.get(
            error.status, error.message
        )
        return PlainTextResponse(text + "\n", error.status, headers=error.headers)
    repo = hub.repo(full_name)
    try:
        return await _run_backend(hub, request, repo.full_name, rest, service, who)
    except ApiError as error:
        return PlainTextResponse(error.message + "\n", error.status)


async def _run_backend(
    hub: Hub, request: Request, full_name: str, rest: str, service: str, who: Principal
) -> Response:
    path = hub.repo_path(full_name)
    env = _cgi_environment(hub, request, path, rest, who)
    pushing = service == "git-receive-pack" and request.method == "POST"
    lock = hub.repo_lock(full_name)
    if pushing:
        await run_in_threadpool(lock.acquire)
    try:
        before = gitrepo.list_refs(path) if pushing else {}
        proc = await asyncio.create_subprocess_exec(
            "git",
            "http-backend",
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        output = _Output(proc)
        # the whole request body is read before the response starts: Starlette's streaming
        # response listens for disconnects on the same channel and would swallow body chunks
        await _feed(request, proc)
        status, headers, first = await output.cgi_headers()
    except BaseException:
        if pushing:
            lock.release()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            async for chunk in output:
                yield chunk
            await proc.wait()
            after = gitrepo.list_refs(path) if pushing else {}
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
            if pushing:
                lock.release()
        # announced after the repository lock is released: announcing takes the hub's lock
        if pushing:
            repo = hub.repo(full_name)
            await run_in_threadpool(
                announce_ref_changes, hub, repo, before, after, who.login or "anonymous"
            )

    return StreamingResponse(body(), status_code=status, headers=headers)


def _cgi_environment(
    hub: Hub, request: Request, path: Path, rest: str, who: Principal
) -> dict[str, str]:
    """The CGI variables ``git http-backend`` reads, from the HTTP request."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(hub.repos_dir),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{path.relative_to(hub.repos_dir).as_posix()}/{rest}",
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.url.query,
        "CONTENT_TYPE": request.headers.get("content-type", ""),
        "REMOTE_USER": who.login or "anonymous",
        "REMOTE_ADDR": request.client.host if request.client else "127.0.0.1",
    }
    for header, variable in (
        ("content-length", "CONTENT_LENGTH"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ):
        if header in request.headers:
            env[variable] = request.headers[header]
    return env


async def _feed(request: Request, proc: asyncio.subprocess.Process) -> None:
    """Stream the request body into the CGI's stdin (gzip bodies are inflated by git)."""
    assert proc.stdin is not None
    try:
        async for chunk in request.stream():
            proc.stdin.write(chunk)
            await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.close()


class _Output:
    """The CGI's stdout, pumped into a bounded queue while the request is still being fed.

    Reading it concurrently means a backend that writes before it has read everything can
    never block on a full pipe; the bound keeps a slow client from buffering a whole pack.
    """

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)
        self._pump = asyncio.create_task(self._run(proc))

    async def _run(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(65536):
            await self._queue.put(chunk)
        await self._queue.put(None)

    def __aiter__(self) -> _Output:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._queue.get()
        if chunk is None:
            await self._pump
            raise StopAsyncIteration
        return chunk

    async def cgi_headers(self) -> tuple[int, dict[str, str], bytes]:
        """The CGI status and headers, and the body bytes read past them."""
        buffered = b""
        while b"\r\n\r\n" not in buffered and b"\n\n" not in buffered:
            chunk = await self._queue.get()
            if chunk is None:
                raise ApiError(502, "git http-backend ended without a response")
            buffered += chunk
        split = buffered.find(b"\n\n")
        crlf = buffered.find(b"\r\n\r\n")
        if crlf != -1 and (split == -1 or crlf < split):
            head, rest = buffered[:crlf], buffered[crlf + 4 :]
        else:
            head, rest = buffered[:split], buffered[split + 2 :]
        status = 200
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key.strip():
                headers[key.strip()] = value.strip()
        return status, headers, rest


ROUTE = Route("/{owner}/{name}.git/{rest:path}", git_endpoint, methods=["GET", "POST"])
