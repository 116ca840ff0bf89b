"""Output folders: claimed by one process at a time, assembled under a hidden name, and
cleaned up after processes that died.

- `claimed(folder)`: a lock file `.NAME.lock` beside the folder, locked with flock for as
  long as the process works on it, so a second ccsim with the same --out is refused at
  start rather than finding out after the whole run. The kernel releases the lock when the
  process dies, however it dies, so a stale lock file never blocks anyone.
- `staging(folder)`: a hidden `.NAME.partial-PID-XXXX` folder beside it, holding a locked
  file of its own while its process lives. A killed run leaves it behind; the next run in
  the same parent folder finds its lock free and removes it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sim.analysis.umask import share_folder

try:
    import fcntl
except ImportError:  # Windows: fall back to whether the owning process still exists
    fcntl = None  # type: ignore[assignment]

NAME_MAX = 255  # bytes in one file name on the file systems ccsim writes to
_OWNER = ".owner"  # the locked file inside a staging folder


class OutFolderError(ValueError):
    """An output folder that cannot be used; the message names it and says why."""


class CannotWrite(OutFolderError):
    """Writing results failed (a full disk, no permission); named by the --out folder."""


def name_problem(folder: Path) -> str | None:
    """Why `folder` cannot be created, found before anything runs: a name over NAME_MAX."""
    for part in folder.parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            return f"the name {part[:40]}... is over {NAME_MAX} bytes, the limit for a file name"
    return None


def _hidden(folder: Path, suffix: str) -> Path:
    """A hidden sibling of `folder` whose name fits even when the folder's is near NAME_MAX."""
    name = folder.name
    if len(name.encode("utf-8", "surrogateescape")) > 160:
        name = name[:80] + "-" + hashlib.sha256(name.encode("utf-8", "surrogateescape")
                                                ).hexdigest()[:16]
    return folder.with_name(f".{name}{suffix}")


def _try_lock(handle: int) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _locked_file(path: Path) -> int | None:
    """An open, locked descriptor on `path` (made if missing), or None if another process
    holds it. Retries if the file was replaced between opening and locking it."""
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(handle):
            os.close(handle)
            return None
        try:
            same = os.fstat(handle).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return handle
        os.close(handle)  # its holder removed it as we opened it: take the new one


@contextlib.contextmanager
def claimed(folder: Path) -> Iterator[None]:
    """Hold `folder` for this process; OutFolderError if another ccsim holds it."""
    problem = name_problem(folder)
    if problem is not None:
        raise OutFolderError(f"{folder}: {problem}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = _hidden(folder, ".lock")
    handle = _locked_file(lock)
    if handle is None:
        raise OutFolderError(f"{folder}: in use by another ccsim (pid {_owner(lock)}); wait "
                             "for it to finish or choose another --out")
    try:
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()  # while still locked, so nobody takes a file about to vanish
        os.close(handle)


def _owner(lock: Path) -> str:
    try:
        return lock.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


@contextlib.contextmanager
def staged_into(folder: Path) -> Iterator[Path]:
    """A hidden folder beside `folder`, owned by this process, renamed to `folder` when the
    block completes and removed when it fails. Stale ones of dead processes go first."""
    remove_stale(folder.parent)
    path = Path(tempfile.mkdtemp(dir=folder.parent, prefix=_hidden(
        folder, f".partial-{os.getpid()}-").name))
    share_folder(path)
    handle: int | None = _locked_file(path / _OWNER)
    try:
        yield path
        if handle is not None:
            os.close(handle)
        handle = None
        (path / _OWNER).unlink()
        os.replace(path, folder)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    finally:
        if handle is not None:
            os.close(handle)


def remove_stale(parent: Path) -> list[Path]:
    """Remove staging folders and lock files in `parent` whose process has died; returns
    them."""
    removed: list[Path] = []
    try:
        folders = [p for p in parent.glob(".*.partial-*") if p.is_dir()]
        locks = [p for p in parent.glob(".*.lock") if p.is_file()]
    except OSError:
        return removed
    for path in folders:
        if _abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    for path in locks:
        handle = _locked_file(path)
        if handle is not None:  # nobody holds it; a claimant that opened it retries
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            os.close(handle)
            removed.append(path)
    return removed


def _abandoned(path: Path) -> bool:
    # The process that staged it is named in it; once that one is gone, so is the run (its
    # workers may still be exiting and hold the lock for a moment: they write nothing).
    if fcntl is None or not _alive(_pid_in(path.name)):
        return not _alive(_pid_in(path.name))
    try:
        handle = os.open(path / _OWNER, os.O_RDWR)
    except FileNotFoundError:
        return not _alive(_pid_in(path.name))  # made before it could be locked
    except OSError:
        return False
    try:
        return _try_lock(handle)
    finally:
        os.close(handle)


def _pid_in(name: str) -> int | None:
    pid = name.rpartition(".partial-")[2].split("-")[0]
    return int(pid) if pid.isdigit() else None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True  # not one of ours to judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cannot_write(error: OSError, staged: Path | None, folder: Path) -> CannotWrite:
    """What went wrong, named by the folder the user asked for, not the hidden staging one."""
    where = Path(error.filename) if error.filename else folder
    if staged is not None:
        with contextlib.suppress(ValueError):
            where = folder / where.relative_to(staged)
    reason = error.strerror or str(error) or errno.errorcode.get(error.errno or 0, "error")
    return CannotWrite(f"{where}: cannot write results there: {reason}")
