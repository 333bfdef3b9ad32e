"""Files flopcast reads or writes on an operator's behalf, without following planted links.

Three rules, used wherever a path could have been prepared by someone else:

* a link is never followed where flopcast writes, deletes or reads a hand-edited file (``lstat`` /
  ``O_NOFOLLOW``), and the message names the link, never the content of what it points to;
* a write lands inside the folder it belongs to, or is refused before anything is written;
* a file that is rewritten is written to a temporary file in the same folder, fsynced and renamed
  over the old one, so an interrupted or refused write leaves the old file exactly as it was.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


class UnsafePath(ValueError):
    """A path flopcast refuses to use (a symbolic link, or a place outside its folder)."""


def refuse_symlink(path: Path, what: str) -> None:
    """UnsafePath if `path` is a symbolic link (dangling or not); the target is never read or shown."""
    if Path(path).is_symlink():
        raise UnsafePath(
            f"{path} is a symbolic link; flopcast does not follow links for {what}. "
            "Replace it with a real file or folder (or remove it)."
        )


def open_no_follow(path: Path, flags: int, mode: int = 0o644, *, what: str) -> int:
    """os.open with O_NOFOLLOW: a link at the last component is refused, not followed."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(
                f"{path} is a symbolic link; flopcast does not follow links for {what}. "
                "Replace it with a real file (or remove it)."
            ) from None
        raise


def read_bytes_no_follow(path: Path, *, what: str) -> bytes:
    """The bytes of a regular file, refusing a link or anything that is not a plain file."""
    descriptor = open_no_follow(path, os.O_RDONLY, what=what)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnsafePath(f"{path} is not a regular file; {what} must be plain files")
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def require_inside(path: Path, folder: Path, what: str) -> Path:
    """The resolved path, or UnsafePath when it leaves `folder` (``..``, an absolute path, a link)."""
    resolved = Path(os.path.abspath(path))
    root = Path(os.path.abspath(folder))
    if not resolved.is_relative_to(root):
        raise UnsafePath(f"{what} {path} is outside {folder}; refused (nothing was written)")
    # Every existing component below the folder must be a real folder, not a link out of it.
    current = root
    for part in resolved.relative_to(root).parts:
        current = current / part
        refuse_symlink(current, what)
    return resolved


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename: readers and an interrupted write see the old or the
    new content, never a mix. A link at `path` is refused, never written through."""
    path = Path(path)
    refuse_symlink(path, "files flopcast rewrites")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:  # an interrupt too: no temporary file is left behind
        Path(temporary).unlink(missing_ok=True)
        raise
    try:
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
