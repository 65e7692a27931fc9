"""The scripted model over HTTP: a small FastAPI app and a uvicorn server runnable in a thread."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from bot.scripted._engine import ErrorReply, RawReply, ScriptedModel, error_body
from bot.scripted._log import RequestLog
from bot.scripted._script import Script, load_script, parse_script
from bot.scripted._sse import failed_stream_events, message_events

LOG_PATH = "/_scripted/requests"


def _error_response(reply: ErrorReply) -> JSONResponse:
    headers = {"request-id": reply.body["request_id"], **reply.headers}
    if reply.status == 529 or reply.status >= 500:
        headers.setdefault("x-should-retry", "true")
    return JSONResponse(reply.body, status_code=reply.status, headers=headers)


async def _read_json(request: Request, model: ScriptedModel) -> tuple[Any, ErrorReply | None]:
    """The request's JSON body, or the logged error answer for one too large or not JSON."""
    path, headers = request.url.path, request.headers
    declared = headers.get("content-length")
    limit = model.script.max_request_bytes
    too_large = "Request exceeds the maximum size"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None, model.reject(path, headers, 413, too_large)
    raw = await request.body()
    if len(raw) > limit:
        return None, model.reject(path, headers, 413, too_large)
    try:
        return json.loads(raw), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, model.reject(path, headers, 400, f"request body is not JSON: {exc}")


def build_app(model: ScriptedModel) -> FastAPI:
    """The app serving the Messages API subset and the request log (no OpenAPI pages)."""

    async def messages(request: Request) -> Response:
        body, bad = await _read_json(request, model)
        reply = bad or model.answer("/v1/messages", body, request.headers)
        if reply.latency:
            await asyncio.sleep(reply.latency)
        streaming = isinstance(body, dict) and bool(body.get("stream"))
        if isinstance(reply, ErrorReply):
            if not (reply.in_stream and streaming):
                return _error_response(reply)
            # Anthropic reports a failure after a stream started as an ``error`` event.
            request_id = reply.body["request_id"]
            message_id = request_id.replace("req_", "msg_", 1)
            events = failed_stream_events(message_id, str(body.get("model")), reply.body)
            return _sse_response(events, request_id)
        if isinstance(reply, RawReply):  # byte for byte, whatever the request asked for
            raw = reply.raw
            headers = {"content-type": raw.content_type}
            return Response(raw.body.encode(), status_code=raw.status, headers=headers)
        request_id = reply.message["id"].replace("msg_", "req_", 1)
        if streaming:
            return _sse_response(message_events(reply.message), request_id)
        return JSONResponse(reply.message, headers={"request-id": request_id})

    async def count_tokens(request: Request) -> Response:
        body, bad = await _read_json(request, model)
        if bad is not None:
            return _error_response(bad)
        status, answer = model.count_tokens(body, request.headers)
        return JSONResponse(answer, status_code=status)

    async def read_log(request: Request) -> Response:
        path = request.query_params.get("path")
        entries = [e.model_dump(mode="json") for e in model.log.entries(path=path)]
        return JSONResponse({"requests": entries})

    async def clear_log(request: Request) -> Response:
        model.log.clear()
        return Response(status_code=204)

    async def not_found(request: Request, exc: Exception) -> Response:
        body = error_body(404, f"{request.method} {request.url.path}: not found", "req_0")
        return JSONResponse(body, status_code=404)

    app = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        exception_handlers={404: not_found, 405: not_found},
    )
    app.add_route("/v1/messages", messages, methods=["POST"])
    app.add_route("/v1/messages/count_tokens", count_tokens, methods=["POST"])
    app.add_route(LOG_PATH, read_log, methods=["GET"])
    app.add_route(LOG_PATH, clear_log, methods=["DELETE"])
    return app


async def _stream(events: Iterator[bytes]) -> AsyncIterator[bytes]:
    for event in events:
        yield event


def _sse_response(events: Iterator[bytes], request_id: str) -> StreamingResponse:
    headers = {"request-id": request_id, "cache-control": "no-cache"}
    return StreamingResponse(_stream(events), media_type="text/event-stream", headers=headers)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def base_url_of(sock: socket.socket) -> str:
    """The ``http://host:port`` a client should use for a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def make_server(model: ScriptedModel) -> uvicorn.Server:
    """A uvicorn server for the app, quiet apart from warnings."""
    config = uvicorn.Config(build_app(model), log_level="warning", lifespan="off", access_log=False)
    return uvicorn.Server(config)


class ScriptedModelServer:
    """A scripted model served by uvicorn in a background thread (for tests and the demo)."""

    def __init__(self, model: ScriptedModel, host: str = "127.0.0.1", port: int = 0) -> None:
        self.model = model
        self._sock = bind_socket(host, port)
        self.base_url = base_url_of(self._sock)
        self._server = make_server(model)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def log(self) -> RequestLog:
        """The request log of the running model."""
        return self.model.log

    def start(self) -> ScriptedModelServer:
        """Start serving and wait until the server accepts requests."""
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("scripted model server failed to start")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> ScriptedModelServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_scripted_model(
    script: Script | Path | dict[str, Any], host: str = "127.0.0.1", port: int = 0
) -> ScriptedModelServer:
    """Start a scripted model on a free port (or the one given); ``.stop()`` it when done."""
    if isinstance(script, Path):
        script = load_script(script)
    elif isinstance(script, dict):
        script = parse_script(script)
    return ScriptedModelServer(ScriptedModel(script), host, port).start()
