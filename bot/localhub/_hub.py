"""The hub: state, its lock, where repositories live on disk, and persistence."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from bot.localhub._errors import not_found
from bot.localhub._faults import Faults
from bot.localhub._model import Repo, State, User
from bot.localhub._ratelimit import RateLimits

STATE_FILE = "state.json"


def iso(ts: float | None = None) -> str:
    """A timestamp as GitHub writes it: ``2024-01-02T03:04:05Z``."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Emitter(Protocol):
    """Where state changes announce themselves as webhook events."""

    def emit(
        self,
        event: str,
        payload: dict[str, Any],
        repo: str | None = None,
        app_id: int | None = None,
    ) -> None:
        """Queue deliveries of ``event`` to every subscriber (only App ``app_id`` if given)."""


class _NoEmitter:
    def emit(
        self,
        event: str,
        payload: dict[str, Any],
        repo: str | None = None,
        app_id: int | None = None,
    ) -> None:
        """Drop the event (until the webhook dispatcher is attached)."""


class Hub:
    """Everything one localhub server knows; every access holds ``lock``."""

    def __init__(self, data_dir: Path | None = None, random_seed: int = 0) -> None:
        self.lock = threading.RLock()
        self._persist_lock = threading.Lock()
        self._dumps = 0
        self._written = 0
        self.data_dir = data_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="localhub-")
            self.root = Path(self._tmp.name)
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.root = data_dir
        self.repos_dir = self.root / "repos"
        self.repos_dir.mkdir(exist_ok=True)
        self.state = State()
        self.loaded_from_disk = False
        if data_dir is not None and (data_dir / STATE_FILE).exists():
            self.state = State.model_validate_json((data_dir / STATE_FILE).read_text())
            self.loaded_from_disk = True
        self.public_url = "http://127.0.0.1"
        self.request_log: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.repo_locks: dict[str, threading.Lock] = {}
        self.faults = Faults(random_seed)
        self.rates = RateLimits()
        self.emitter: Emitter = _NoEmitter()

    # -- identifiers and clocks ---------------------------------------------------------
    def new_id(self) -> int:
        """A fresh id, unique across every kind of object (as GitHub's are in practice)."""
        with self.lock:
            self.state.next_id += 1
            return self.state.next_id

    @staticmethod
    def now() -> str:
        """The current time as GitHub formats it."""
        return iso()

    # -- URLs ----------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """The REST base URL, e.g. ``http://127.0.0.1:8080/api/v3``."""
        return f"{self.public_url}/api/v3"

    def html_url(self, path: str = "") -> str:
        """The web URL of a path (repositories, issues, pulls)."""
        return f"{self.public_url}/{path}" if path else self.public_url

    # -- lookups -------------------------------------------------------------------------
    def repo(self, full_name: str) -> Repo:
        """The repository, or a 404 (names compare case-insensitively as on GitHub)."""
        found = self.state.repos.get(full_name.lower())
        if found is None:
            raise not_found()
        return found

    def find_repo(self, full_name: str) -> Repo | None:
        """The repository, or None."""
        return self.state.repos.get(full_name.lower())

    def user(self, login: str) -> User:
        """The account ``login`` (a 404 when unknown)."""
        found = self.state.users.get(login.lower())
        if found is None:
            raise not_found()
        return found

    def ensure_user(self, login: str, kind: str = "User") -> User:
        """The account ``login``, created when unknown (git authors, Apps' bots)."""
        with self.lock:
            found = self.state.users.get(login.lower())
            if found is None:
                if login.endswith("[bot]"):
                    kind = "Bot"
                found = User(id=self.new_id(), login=login, type=kind, created_at=self.now())
                self.state.users[login.lower()] = found
            return found

    def repo_path(self, full_name: str) -> Path:
        """Where the bare repository of ``full_name`` lives."""
        owner, name = full_name.lower().split("/", 1)
        return self.repos_dir / owner / f"{name}.git"

    def repo_lock(self, full_name: str) -> threading.Lock:
        """The lock that serialises pushes and ref updates of one repository."""
        with self.lock:
            return self.repo_locks.setdefault(full_name.lower(), threading.Lock())

    # -- persistence ---------------------------------------------------------------------
    def persist(self) -> None:
        """Write the state to ``--data`` atomically (a no-op when memory only)."""
        if self.data_dir is None:
            return
        with self.lock:
            text = self.state.model_dump_json()
            self._dumps += 1
            version = self._dumps
        # the write lock is never held while waiting for the state lock (no deadlock), and an
        # older dump that lost the race to a newer one is not written over it
        with self._persist_lock:
            if version <= self._written:
                return
            target = self.data_dir / STATE_FILE
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text)
            os.replace(tmp, target)
            self._written = version

    def close(self) -> None:
        """Persist, then remove the temporary directory of a memory-only hub."""
        self.persist()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
