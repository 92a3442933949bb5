"""What the standalone server checks and holds so that its ``--state-file`` keeps every
acknowledged write: the file can be saved (checked at start, not at the first save), and no
other server uses it (an exclusive lock for the server's lifetime).

Both act on the file a symlink points to, as saves do (:meth:`Controller.save_state`).
"""

from __future__ import annotations

import os
from pathlib import Path

from .controller import temp_file_beside

try:
    import fcntl
except ImportError:  # Windows: no flock; docs/control-api.md says the file is not locked there
    fcntl = None  # type: ignore[assignment]

#: the end of the lock file's name, next to the state file's real target
LOCK_SUFFIX = ".lock"


class UnusableStateFile(ValueError):
    """A state file no save could write, or one another server holds."""


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`UnusableStateFile` unless a save to ``path`` can succeed: its folder exists
    and a file can be created and removed there (what a save does, so a read-only or virtual
    file system such as /proc is caught too)."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise UnusableStateFile("is a folder")
    folder = target.parent
    if not folder.exists():
        raise UnusableStateFile(f"its folder {folder} does not exist")
    if not folder.is_dir():
        raise UnusableStateFile(f"{folder} is not a folder")
    try:
        # a save's own temporary file, so one left by a kill -9 is cleaned up at the next start
        fd, probe = temp_file_beside(target)
    except OSError as error:
        raise UnusableStateFile(f"cannot be saved: no file can be created in {folder} "
                                f"({error.strerror or error})") from None
    os.close(fd)
    os.unlink(probe)


class StateFileLock:
    """An exclusive ``flock`` on ``<state file>.lock`` (next to a symlink's target), holding the
    owner's pid: two servers saving one file would each overwrite the other's writes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.state_file = Path(path)
        self.path = Path(os.path.realpath(path) + LOCK_SUFFIX)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`UnusableStateFile` naming the holder's pid."""
        if fcntl is None or self._fd is not None:
            return
        for _attempt in range(10):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise UnusableStateFile(f"cannot create its lock file {self.path} "
                                        f"({error.strerror or error})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                raise UnusableStateFile(
                    f"in use by another mockserver ({f'pid {holder}' if holder else 'pid unknown'}, "
                    f"lock {self.path}); stop it or give this server another state file") from None
            except OSError as error:
                os.close(fd)
                raise UnusableStateFile(f"cannot lock {self.path} ({error.strerror or error})") from None
            # The last holder removes the lock file as it stops: if it did so between our open
            # and our flock, we hold a file nobody else will open. Only the one at the path counts.
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            if current is not None and os.path.samestat(os.fstat(fd), current):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode("ascii"))
                self._fd = fd
                return
            os.close(fd)
        raise UnusableStateFile(f"cannot lock {self.path}: it keeps being replaced")

    def release(self) -> None:
        """Remove the lock file and let go (removed first, while still held: see acquire)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass  # a lock file left behind is harmless: the next server locks it again
        os.close(fd)

    def __enter__(self) -> StateFileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
