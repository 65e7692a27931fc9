"""``specbot app register``: create the GitHub App from ``app.yml`` with GitHub's manifest flow.

A page on 127.0.0.1 posts the manifest to GitHub; GitHub sends the browser back to this
command's ``/callback`` with a one-time code; the code is exchanged for the App's id, private
key and webhook secret, written to ``app.env`` and ``app.pem`` (mode 0600) in the data
directory, where ``specbot serve`` and ``specbot worker`` read them.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs, urlsplit

import typer

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

app_app = typer.Typer(help="The GitHub App: register it from its manifest.", no_args_is_help=True)


@dataclass
class Registration:
    """One registration in progress: what the callback needs and what it found."""

    api_url: str
    state: str
    form: tuple[str, str]
    data_dir: Path
    public_url: str | None
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: str | None = None


def _write_private(path: Path, text: str) -> Path:
    """``text`` in a new file beside ``path``, readable by this user only from its creation."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return tmp


def finish(reg: Registration, code: str | None) -> str:
    """Exchange the code, check the answer and write the files; the App's slug."""
    from bot.adapters.app_manifest import convert_manifest_code
    from bot.registration import ENV_FILE, KEY_FILE, env_text, registered_app

    registered = registered_app(convert_manifest_code(reg.api_url, code or ""))
    reg.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path = (reg.data_dir / KEY_FILE).resolve()
    env = env_text(registered, str(key_path), reg.api_url, reg.public_url)
    written: list[Path] = []
    try:
        # both files complete before either is in place: no half registration is left
        written.append(_write_private(key_path, registered.pem))
        written.append(_write_private(reg.data_dir / ENV_FILE, env))
        os.replace(written[0], key_path)
        os.replace(written[1], reg.data_dir / ENV_FILE)
    finally:
        for tmp in written:
            tmp.unlink(missing_ok=True)
    reg.result = registered
    return registered.slug


def _handler(reg: Registration) -> type[BaseHTTPRequestHandler]:
    from http.server import BaseHTTPRequestHandler

    from bot.registration import RegistrationError

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/":
                self._send(200, reg.form[0], reg.form[1])
            elif parts.path == "/callback":
                self._callback(parse_qs(parts.query))
            else:
                self._send(404, "<p>Not found.</p>")

        def _callback(self, query: dict[str, list[str]]) -> None:
            # A callback without this run's state did not come from the form this command
            # served (a forged link): refuse it and keep waiting for the real one.
            if not secrets.compare_digest(query.get("state", [""])[0], reg.state):
                self._send(400, "<p>Refused: this callback does not belong to this run.</p>")
                return
            if reg.done.is_set():
                self._send(409, "<p>This registration is already finished.</p>")
                return
            try:
                slug = finish(reg, query.get("code", [None])[0])
            except (RegistrationError, OSError) as exc:
                reg.error = str(exc)
                self._send(502, "<p>Registration failed; see the terminal.</p>")
            else:
                self._send(200, f"<p>specbot is registered as the App {slug}. Close this tab.</p>")
            reg.done.set()

        def _send(self, status: int, body: str, csp: str = "default-src 'none'") -> None:
            data = f'<!doctype html><meta charset="utf-8">{body}'.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _graphical() -> bool:
    """Whether a browser can open here (a text browser would take over the terminal)."""
    import sys

    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _fail(message: str) -> typer.Exit:
    typer.echo(f"specbot app register: {message}", err=True)
    return typer.Exit(2)


@app_app.command("register")
def register(
    github_url: Annotated[
        str, typer.Option("--github-url", help="https://github.com, or your GitHub's address.")
    ] = "https://github.com",
    org: Annotated[
        str | None, typer.Option("--org", help="Register for this organisation.")
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            envvar="SPECBOT_PUBLIC_URL",
            help="specbot's public address; GitHub sends webhooks to PUBLIC_URL/webhook.",
        ),
    ] = None,
    manifest: Annotated[
        Path, typer.Option("--manifest", help="The App manifest (specbot's app.yml).")
    ] = Path("app.yml"),
    name: Annotated[str | None, typer.Option("--name", help="The App's name.")] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Local port.")] = 0,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier registration.")
    ] = False,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser.")] = True,
    timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds to wait.")] = 900.0,
) -> None:
    """Create the GitHub App from its manifest and save its id, key and secret for `serve`."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bot.registration import (
        ENV_FILE,
        KEY_FILE,
        RegistrationError,
        api_url_for,
        build_manifest,
        form_page,
        new_app_url,
    )
    from bot.settings import data_dir_from_env

    data_dir = data_dir_from_env()
    existing = [data_dir / n for n in (ENV_FILE, KEY_FILE) if (data_dir / n).exists()]
    if existing and not force:
        raise _fail(f"{existing[0]} exists: an App is registered already (--force replaces it)")
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise _fail(f"cannot read the manifest {manifest} (--manifest PATH)") from None
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    except OSError as exc:
        raise _fail(f"--port {port}: cannot listen on 127.0.0.1: {exc.strerror}") from None
    local = f"http://127.0.0.1:{server.server_address[1]}"
    state = secrets.token_urlsafe(24)
    try:
        data = build_manifest(text, f"{local}/callback", public_url, name)
        reg = Registration(
            api_url=api_url_for(github_url),
            state=state,
            form=form_page(new_app_url(github_url, org, state), data),
            data_dir=data_dir,
            public_url=public_url,
        )
    except RegistrationError as exc:
        server.server_close()
        raise _fail(str(exc)) from None
    server.RequestHandlerClass = _handler(reg)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _wait(reg, server, local, open_browser, timeout)


def _wait(
    reg: Registration, server: ThreadingHTTPServer, local: str, open_browser: bool, timeout: float
) -> None:
    typer.echo(f"Open {local}/ in a browser on this machine; it posts specbot's App manifest.")
    if open_browser and _graphical():
        import webbrowser

        webbrowser.open(f"{local}/")
    try:
        finished = reg.done.wait(timeout)
    except KeyboardInterrupt:
        finished = False
    finally:
        server.shutdown()
        server.server_close()
    if not finished:
        typer.echo(
            "specbot app register: stopped before GitHub answered; nothing was written", err=True
        )
        raise typer.Exit(1)
    if reg.error is not None:
        typer.echo(f"specbot app register: {reg.error}; nothing usable was written", err=True)
        raise typer.Exit(1)
    found = reg.result
    typer.echo(f"Registered the App {found.slug} (id {found.app_id}): {found.html_url}")
    typer.echo(f"Wrote {reg.data_dir}/app.env and app.pem (mode 0600): `specbot serve` reads them.")
    typer.echo(f"Next: install it on your repositories from {found.html_url}/installations/new")
