"""A plain HTTP server answering with exactly the bytes a test gives: for bodies no real
server of ours would send (a proxy's HTML page, an empty 200, a half-compatible API)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RawServer:
    """Answers every POST with the next queued (status, content type, body), then the last."""

    def __init__(self) -> None:
        self.queue: list[tuple[int, str, bytes]] = []
        self.served = 0
        lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with lock:
                    status, kind, body = owner.queue[min(owner.served, len(owner.queue) - 1)]
                    owner.served += 1
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"

    def answer(self, *bodies: tuple[int, str, bytes]) -> None:
        self.queue, self.served = list(bodies), 0

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
