"""Real git objects behind localhub: bare repositories driven with the git CLI."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
# the id of the empty tree, the "parent" a root commit is diffed against
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitError(RuntimeError):
    """A git command failed; the message carries git's stderr."""


@dataclass(frozen=True)
class Person:
    """An author or committer as git records them."""

    name: str
    email: str
    date: str


@dataclass(frozen=True)
class CommitInfo:
    """What a commit object holds."""

    sha: str
    tree: str
    parents: list[str]
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True)
class FileDiff:
    """One file's change between two commits, as ``pulls/{n}/files`` reports it."""

    filename: str
    previous_filename: str | None
    status: str
    additions: int
    deletions: int
    patch: str | None
    sha: str | None


@dataclass(frozen=True)
class TreeEntry:
    """A path inside a commit's tree."""

    path: str
    type: str
    sha: str
    size: int


MIN_GIT = (2, 38)


def require_git() -> None:
    """Fail clearly unless git >= 2.38 is on the PATH (``merge-tree --write-tree``)."""
    try:
        out = subprocess.run(["git", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        raise GitError("localhub needs git on the PATH") from None
    numbers = out.stdout.split()[2].split(".")
    found = tuple(int(n) for n in numbers[:2] if n.isdigit())
    if found < MIN_GIT:
        raise GitError(f"localhub needs git 2.38 or newer, found {out.stdout.strip()}")


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    """Run ``git`` against ``repo`` (a bare repository) and return its stdout."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    env.pop("GIT_DIR", None)
    proc = subprocess.run(
        ["git", "--git-dir", str(repo), *args],
        input=input,
        capture_output=True,
        env=env,
        check=False,
    )
    if check and proc.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def init_bare(path: Path, default_branch: str) -> None:
    """Create an empty bare repository whose HEAD names ``default_branch``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(path)],
        check=True,
        capture_output=True,
    )
    # http-backend refuses pushes unless receive-pack is enabled for the repository.
    git(path, "config", "http.receivepack", "true")
    git(path, "config", "uploadpack.allowAnySHA1InWant", "true")


def clone_bare(source: Path, path: Path, default_branch: str) -> None:
    """Copy a git repository with its whole history into a new bare repository."""
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(source), str(path)],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(f"git clone {source}: {proc.stderr.decode(errors='replace').strip()}")
    git(path, "config", "http.receivepack", "true")
    git(path, "symbolic-ref", "HEAD", f"refs/heads/{default_branch}")


def commit_directory(repo: Path, source: Path, branch: str, author: Person, message: str) -> str:
    """Commit every file under ``source`` as the first commit of ``branch``; return its sha."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        base = ["git", "--git-dir", str(repo), "--work-tree", str(source)]
        subprocess.run([*base, "add", "-A", "."], env=env, check=True, capture_output=True)
        tree = subprocess.run(
            [*base, "write-tree"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
    sha = _commit_tree(repo, tree, [], author, message)
    git(repo, "update-ref", f"refs/heads/{branch}", sha)
    return sha


def _commit_tree(repo: Path, tree: str, parents: list[str], who: Person, message: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": who.name,
        "GIT_AUTHOR_EMAIL": who.email,
        "GIT_COMMITTER_NAME": who.name,
        "GIT_COMMITTER_EMAIL": who.email,
    }
    args = ["git", "--git-dir", str(repo), "commit-tree", tree, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def commit_files(
    repo: Path,
    branch: str,
    files: dict[str, bytes | None],
    author: Person,
    message: str,
) -> str:
    """Commit ``files`` (None deletes a path) on top of ``branch`` with git fast-import."""
    parent = resolve(repo, f"refs/heads/{branch}")
    stream = bytearray()
    stamp = f"{author.name} <{author.email}> {author.date}".encode()
    stream += f"commit refs/heads/{branch}\n".encode()
    stream += b"author " + stamp + b"\ncommitter " + stamp + b"\n"
    msg = message.encode()
    stream += f"data {len(msg)}\n".encode() + msg + b"\n"
    if parent:
        stream += f"from {parent}\n".encode()
    for path, content in files.items():
        if content is None:
            stream += f'D "{_quote(path)}"\n'.encode()
        else:
            stream += f'M 100644 inline "{_quote(path)}"\n'.encode()
            stream += f"data {len(content)}\n".encode() + content + b"\n"
    stream += b"done\n"
    git(repo, "fast-import", "--quiet", "--done", input=bytes(stream))
    sha = resolve(repo, f"refs/heads/{branch}")
    assert sha is not None
    return sha


def _quote(path: str) -> str:
    return path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def resolve(repo: Path, ref: str) -> str | None:
    """The commit sha ``ref`` (a branch, tag, full ref or sha) names, or None."""
    out = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    sha = out.decode().strip()
    return sha or None


def resolve_branch_or_sha(repo: Path, ref: str) -> str | None:
    """Resolve a ref as the REST API does: branch, tag, full ref, then sha."""
    for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
        sha = resolve(repo, candidate)
        if sha:
            return sha
    return None


def list_refs(repo: Path, prefix: str = "refs/") -> dict[str, str]:
    """Every ref under ``prefix`` and the object it points at."""
    out = git(repo, "for-each-ref", "--format=%(objectname) %(refname)", prefix).decode()
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, name = line.split(" ", 1)
        refs[name] = sha
    return refs


def update_ref(repo: Path, ref: str, new: str, old: str | None = None) -> None:
    """Point ``ref`` at ``new`` (only if it still points at ``old`` when given)."""
    args = ["update-ref", ref, new]
    if old is not None:
        args.append(old)
    git(repo, *args)


def delete_ref(repo: Path, ref: str) -> None:
    """Delete ``ref``."""
    git(repo, "update-ref", "-d", ref)


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """Whether ``ancestor`` is reachable from ``descendant`` (a fast-forward is possible)."""
    args = ("merge-base", "--is-ancestor", ancestor, descendant)
    proc = subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, check=False)
    return proc.returncode == 0


def commit_info(repo: Path, sha: str) -> CommitInfo:
    """Read one commit object."""
    fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
    out = git(repo, "show", "-s", f"--format={fmt}", sha).decode(errors="replace")
    parts = out.split("\x00", 9)
    return CommitInfo(
        sha=parts[0],
        tree=parts[1],
        parents=parts[2].split() if parts[2] else [],
        author=Person(parts[3], parts[4], parts[5]),
        committer=Person(parts[6], parts[7], parts[8]),
        message=parts[9].rstrip("\n"),
    )


def rev_list(repo: Path, include: str, exclude: str | None = None) -> list[str]:
    """Commits reachable from ``include`` but not ``exclude``, oldest first."""
    args = ["rev-list", "--reverse", include]
    if exclude:
        args.append(f"^{exclude}")
    return git(repo, *args).decode().split()


def log(repo: Path, start: str, path: str | None = None) -> list[str]:
    """Commits reachable from ``start`` (touching ``path`` when given), newest first."""
    args = ["rev-list", start]
    if path:
        args += ["--", path]
    return git(repo, *args).decode().split()


def merge_base(repo: Path, a: str, b: str) -> str | None:
    """The best common ancestor of two commits."""
    out = git(repo, "merge-base", a, b, check=False).decode().strip()
    return out or None


def is_mergeable(repo: Path, base: str, head: str) -> bool:
    """Whether ``head`` merges into ``base`` without conflicts (git merge-tree)."""
    args = ("merge-tree", "--write-tree", "--no-messages", base, head)
    proc = subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, check=False)
    return proc.returncode == 0


def merge_commit(repo: Path, base: str, head: str, who: Person, message: str) -> str | None:
    """Create the merge commit of ``head`` into ``base``; None when they conflict."""
    args = ("merge-tree", "--write-tree", "--no-messages", base, head)
    proc = subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return None
    tree = proc.stdout.split("\n", 1)[0].strip()
    return _commit_tree(repo, tree, [base, head], who, message)


_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied"}


def diff_files(repo: Path, base: str, head: str) -> list[FileDiff]:
    """The files changed from ``base`` to ``head`` with counts and unified patches."""
    raw = git(repo, "diff", "--raw", "-z", "-M", "--no-abbrev", base, head).decode(errors="replace")
    numstat = git(repo, "diff", "--numstat", "-z", "-M", base, head).decode(errors="replace")
    patch_text = git(repo, "diff", "-M", "--no-color", "--no-ext-diff", base, head).decode(
        errors="replace"
    )
    entries = _parse_raw(raw)
    counts = _parse_numstat(numstat)
    patches = _split_patches(patch_text)
    files: list[FileDiff] = []
    for index, (status, old, new, sha) in enumerate(entries):
        added, deleted = counts[index] if index < len(counts) else (0, 0)
        patch = patches[index] if index < len(patches) else None
        files.append(
            FileDiff(
                filename=new,
                previous_filename=old if status == "renamed" else None,
                status=status,
                additions=added,
                deletions=deleted,
                patch=patch,
                sha=None if status == "removed" else sha,
            )
        )
    return files


def _parse_raw(raw: str) -> list[tuple[str, str, str, str]]:
    tokens = raw.split("\x00")
    out: list[tuple[str, str, str, str]] = []
    i = 0
    while i < len(tokens) and tokens[i].startswith(":"):
        meta = tokens[i][1:].split()
        letter = meta[4][0]
        if letter in "RC":
            old, new = tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            old = new = tokens[i + 1]
            i += 2
        out.append((_STATUS.get(letter, "changed"), old, new, meta[3]))
    return out


def _parse_numstat(text: str) -> list[tuple[int, int]]:
    tokens = text.split("\x00")
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens) and tokens[i]:
        added, deleted, path = tokens[i].split("\t", 2)
        i += 3 if path == "" else 1  # a rename is followed by its two paths
        out.append((int(added) if added != "-" else 0, int(deleted) if deleted != "-" else 0))
    return out


def _split_patches(text: str) -> list[str | None]:
    """Each file's hunks, starting at its first ``@@`` as GitHub's ``patch`` field does."""
    chunks: list[str | None] = []
    for chunk in text.split("\ndiff --git ") if text else []:
        start = chunk.find("\n@@")
        chunks.append(chunk[start + 1 :].rstrip("\n") if start >= 0 else None)
    return chunks


def unified_diff(repo: Path, base: str, head: str) -> str:
    """The whole unified diff, as ``application/vnd.github.diff`` returns it."""
    return git(repo, "diff", "-M", "--no-color", base, head).decode(errors="replace")


def tree_entry(repo: Path, sha: str, path: str) -> TreeEntry | None:
    """The entry at ``path`` in commit ``sha`` (empty path: the root tree)."""
    if not path:
        tree = commit_info(repo, sha).tree
        return TreeEntry("", "tree", tree, 0)
    out = git(repo, "ls-tree", "-l", "-z", sha, "--", path).decode(errors="replace")
    for item in out.split("\x00"):
        if not item:
            continue
        meta, name = item.split("\t", 1)
        _mode, kind, obj, size = meta.split()
        if name == path:
            return TreeEntry(name, kind, obj, int(size) if size != "-" else 0)
    return None


def list_tree(repo: Path, sha: str, path: str, recursive: bool = False) -> list[TreeEntry]:
    """Entries directly under ``path`` in commit ``sha`` (or every blob when recursive)."""
    target = f"{sha}:{path}" if path else sha
    args = ["ls-tree", "-l", "-z", *(["-r"] if recursive else []), target]
    out = git(repo, *args).decode(errors="replace")
    entries: list[TreeEntry] = []
    for item in out.split("\x00"):
        if not item:
            continue
        meta, name = item.split("\t", 1)
        _mode, kind, obj, size = meta.split()
        full = f"{path}/{name}" if path else name
        entries.append(TreeEntry(full, kind, obj, int(size) if size != "-" else 0))
    return entries


def read_blob(repo: Path, sha: str) -> bytes:
    """The bytes of a blob."""
    return git(repo, "cat-file", "blob", sha)
