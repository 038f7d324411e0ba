"""Remove a folder a submission may have filled, whatever it holds; never raise.

``shutil.rmtree`` recurses (a 5,000-deep tree overflows Python's stack), stops at the
first folder it may not read, and needs the whole path to fit in ``PATH_MAX``. This walks
the tree one level at a time through directory file descriptors (one open at a time, so
depth costs no descriptors), never follows a symbolic link, makes unreadable folders
readable before entering them, and skips what still cannot go instead of failing.
"""

from __future__ import annotations

import os
import stat

# A bound on the work, so that no tree (however it was made) can keep the grader busy.
MAX_ENTRIES = 2_000_000

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _open_dir(name: str, dir_fd: int | None) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:  # a folder made unreadable (mode 000): take it back, then enter
        os.chmod(name, 0o700, dir_fd=dir_fd, follow_symlinks=False)
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def remove_tree(path: str | os.PathLike[str]) -> list[str]:
    """Remove ``path`` and everything under it; return what could not be removed (names
    relative to ``path``), empty when all is gone. Never raises."""
    path = os.fspath(path)
    left: list[str] = []
    try:
        info = os.lstat(path)
    except OSError:
        return left
    if not stat.S_ISDIR(info.st_mode):
        try:
            os.unlink(path)
        except OSError as exc:
            left.append(f"{path} ({exc.strerror})")
        return left
    try:
        _remove_contents(path, left)
        os.rmdir(path)
    except OSError as exc:
        left.append(f"{path} ({exc.strerror})")
    return left


def _remove_contents(path: str, left: list[str]) -> None:
    fd = _open_dir(path, None)
    names: list[str] = []  # the path from ``path`` down to where fd is
    skipped: set[tuple[int, int]] = set()  # (device, inode) of what could not go: never retry
    work = 0
    try:
        while work < MAX_ENTRIES:
            descended = False
            for entry in os.listdir(fd):
                work += 1
                try:
                    info = os.stat(entry, dir_fd=fd, follow_symlinks=False)
                except OSError:
                    continue
                if (info.st_dev, info.st_ino) in skipped:
                    continue
                try:
                    if stat.S_ISDIR(info.st_mode):
                        child = _open_dir(entry, fd)
                        os.close(fd)
                        fd, descended = child, True
                        names.append(entry)
                        break
                    os.unlink(entry, dir_fd=fd)
                except OSError as exc:
                    skipped.add((info.st_dev, info.st_ino))
                    left.append(f"{'/'.join([*names, entry])} ({exc.strerror})")
            if descended:
                continue
            if not names:
                return
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            name = names.pop()
            try:
                os.rmdir(name, dir_fd=fd)
            except OSError as exc:
                try:
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    skipped.add((info.st_dev, info.st_ino))
                except OSError:
                    pass
                left.append(f"{'/'.join([*names, name])} ({exc.strerror})")
        left.append(f"more than {MAX_ENTRIES} entries: the rest was left")
    finally:
        os.close(fd)
